<?php

declare(strict_types=1);

namespace iValid\Tests\Support;

/** One request the stub server received. */
final class Received
{
    /** @param array<string, string> $headers */
    public function __construct(
        public readonly string $method,
        public readonly string $path,
        public readonly array $headers,
        public readonly string $body,
    ) {
    }

    /** A header, by case-insensitive name. */
    public function header(string $name): ?string
    {
        foreach ($this->headers as $key => $value) {
            if (strtolower($key) === strtolower($name)) {
                return $value;
            }
        }
        return null;
    }

    /** The request body, decoded as arrays. */
    public function json(): mixed
    {
        return $this->body === '' ? null : json_decode($this->body, true, 512, JSON_THROW_ON_ERROR);
    }

    /** The raw query string (after `?`), `''` without one. */
    public function queryString(): string
    {
        $parts = explode('?', $this->path, 2);
        return $parts[1] ?? '';
    }

    /** @return array<string, string> the decoded query parameters */
    public function query(): array
    {
        parse_str($this->queryString(), $query);
        return array_map('strval', $query);
    }

    public function route(): string
    {
        return explode('?', $this->path, 2)[0];
    }
}
