<?php

declare(strict_types=1);

namespace iValid\Exception;

/**
 * Base of every exception the SDK throws; carries what the API said about the failure.
 *
 * `getCode()` is the API's error code (`SLOT_NOT_AVAILABLE`), a string as in `PDOException`;
 * `getMessage()` its message. The rest is both a getter and a read-only property:
 * `httpStatus`, `details`, `suggestions`, `requestId`, `headers`, `jsonBody`, `httpBody`.
 */
class IValidError extends \Exception
{
    /** @var array<string, mixed> */
    public readonly array $details;

    /** @var list<array<string, mixed>> */
    public readonly array $suggestions;

    /** @var array<string, string> */
    public readonly array $headers;

    /**
     * @param array<string, mixed>|null $details
     * @param list<array<string, mixed>>|null $suggestions
     * @param array<string, string>|null $headers
     */
    public function __construct(
        string $message = '',
        public readonly ?int $httpStatus = null,
        ?string $code = null,
        ?array $details = null,
        ?array $suggestions = null,
        public readonly ?string $requestId = null,
        ?array $headers = null,
        public readonly mixed $jsonBody = null,
        public readonly ?string $httpBody = null,
        ?\Throwable $previous = null,
    ) {
        parent::__construct($message, 0, $previous);
        // Like PDOException's SQLSTATE, the code is a string: the API's error code.
        $this->code = $code;
        $this->details = $details ?? [];
        $this->suggestions = $suggestions ?? [];
        $this->headers = $headers ?? [];
    }

    public function getHttpStatus(): ?int
    {
        return $this->httpStatus;
    }

    /** @return array<string, mixed> */
    public function getDetails(): array
    {
        return $this->details;
    }

    /** @return list<array<string, mixed>> The server's alternatives, e.g. free slots. */
    public function getSuggestions(): array
    {
        return $this->suggestions;
    }

    public function getRequestId(): ?string
    {
        return $this->requestId;
    }

    /** @return array<string, string> The response headers, names as the server sent them. */
    public function getHeaders(): array
    {
        return $this->headers;
    }

    public function getJsonBody(): mixed
    {
        return $this->jsonBody;
    }

    public function getHttpBody(): ?string
    {
        return $this->httpBody;
    }

    /** `409 SLOT_NOT_AVAILABLE: <message> (request req_1)`: the status, code, message and request. */
    public function describe(): string
    {
        $prefix = trim(($this->httpStatus !== null ? (string) $this->httpStatus : '') . ' ' . ($this->code ?? ''));
        $message = $this->getMessage();
        $text = $prefix !== '' ? "{$prefix}: {$message}" : ($message !== '' ? $message : '<no message>');
        if ($this->requestId !== null && $this->requestId !== '') {
            $text .= " (request {$this->requestId})";
        }
        return $text;
    }

    /** PHP's usual exception text, with `describe()` in place of the bare message. */
    public function __toString(): string
    {
        return sprintf(
            "%s: %s in %s:%d\nStack trace:\n%s",
            static::class,
            $this->describe(),
            $this->getFile(),
            $this->getLine(),
            $this->getTraceAsString(),
        );
    }
}
