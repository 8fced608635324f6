<?php

declare(strict_types=1);

namespace iValid\Http;

use iValid\Util;

/** One HTTP response as received: status, headers (names as sent) and raw body. */
final class Response
{
    /** @param array<string, string> $headers */
    public function __construct(
        public readonly int $status,
        public readonly array $headers,
        public readonly string $body,
    ) {
    }

    public function header(string $name): ?string
    {
        return Util::header($this->headers, $name);
    }

    public function isSuccess(): bool
    {
        return $this->status >= 200 && $this->status < 300;
    }

    /**
     * The body decoded as JSON arrays, or null when it is empty or not JSON.
     */
    public function json(): mixed
    {
        if (trim($this->body) === '') {
            return null;
        }
        try {
            return json_decode($this->body, true, 512, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        } catch (\JsonException) {
            return null;
        }
    }
}
