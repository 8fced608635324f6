<?php

declare(strict_types=1);

namespace iValid\Tests\Support;

/** One scripted answer of the stub server; `drop` closes the connection without answering. */
final class Reply
{
    /** @param array<string, string> $headers */
    public function __construct(
        public readonly int $status = 200,
        public readonly mixed $body = null,
        public readonly array $headers = [],
        public readonly bool $drop = false,
    ) {
    }

    public static function dropped(): self
    {
        return new self(drop: true);
    }

    /** @return array<string, mixed> */
    public function toArray(): array
    {
        return ['status' => $this->status, 'body' => $this->body, 'headers' => $this->headers, 'drop' => $this->drop];
    }

    /** @param array<string, mixed> $data */
    public static function fromArray(array $data): self
    {
        return new self($data['status'], $data['body'], $data['headers'], $data['drop']);
    }
}
