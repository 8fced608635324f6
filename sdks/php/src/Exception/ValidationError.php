<?php

declare(strict_types=1);

namespace iValid\Exception;

/** 422 `VALIDATION_ERROR`: `getErrors()` lists each rejected field and why. */
class ValidationError extends APIError
{
    /** @return list<array<string, mixed>> The per-field problems: `[['field' => ..., 'reason' => ...]]`. */
    public function getErrors(): array
    {
        $errors = $this->details['errors'] ?? null;
        return is_array($errors) ? array_values($errors) : [];
    }

    public function describe(): string
    {
        $fields = [];
        foreach ($this->getErrors() as $error) {
            if (is_array($error)) {
                $fields[] = sprintf('%s: %s', $error['field'] ?? '', $error['reason'] ?? '');
            }
        }
        $text = parent::describe();
        return $fields ? $text . ' [' . implode('; ', $fields) . ']' : $text;
    }
}
