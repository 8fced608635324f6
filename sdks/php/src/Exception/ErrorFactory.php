<?php

declare(strict_types=1);

namespace iValid\Exception;

use iValid\Util;

/** Picks the most specific exception for an API error response (`{"error": {code, message, ...}}`). */
final class ErrorFactory
{
    private const BY_CODE = [
        'SLOT_NOT_AVAILABLE' => SlotNotAvailable::class,
        'INVALID_STATUS_TRANSITION' => InvalidStatusTransition::class,
        'VALIDATION_ERROR' => ValidationError::class,
        'IDEMPOTENCY_KEY_REUSED' => IdempotencyError::class,
        'RATE_LIMIT_EXCEEDED' => RateLimitError::class,
    ];

    private const BY_STATUS = [
        400 => BadRequestError::class,
        401 => AuthenticationError::class,
        403 => PermissionDeniedError::class,
        404 => NotFoundError::class,
        409 => ConflictError::class,
        422 => ValidationError::class,
        429 => RateLimitError::class,
    ];

    /**
     * @param array<string, string> $headers
     * @param class-string<APIError>|null $class force this class (e.g. a 401 is always authentication)
     */
    public static function fromResponse(
        int $httpStatus,
        mixed $jsonBody,
        array $headers,
        ?string $httpBody = null,
        ?string $class = null,
    ): APIError {
        $error = is_array($jsonBody) && is_array($jsonBody['error'] ?? null) ? $jsonBody['error'] : [];
        $code = is_string($error['code'] ?? null) ? $error['code'] : null;
        $message = is_string($error['message'] ?? null) ? $error['message'] : null;
        $details = is_array($error['details'] ?? null) ? $error['details'] : null;
        $suggestions = is_array($error['suggestions'] ?? null) ? array_values($error['suggestions']) : null;
        $class ??= self::BY_CODE[$code ?? ''] ?? self::BY_STATUS[$httpStatus] ?? ($httpStatus >= 500 ? ServerError::class : APIError::class);
        $fallback = Util::truncate(trim($httpBody ?? ''), 500);
        return new $class(
            $message ?? ($fallback !== '' ? $fallback : "HTTP {$httpStatus}"),
            $httpStatus,
            $code,
            $details,
            $suggestions,
            Util::header($headers, 'X-Request-Id'),
            $headers,
            $jsonBody,
            $httpBody,
        );
    }
}
