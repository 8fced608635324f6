<?php

declare(strict_types=1);

namespace iValid;

/** Small helpers shared by the transport and the resources: headers, dates, parameter encoding. */
final class Util
{
    /**
     * A header's value, looked up case-insensitively.
     *
     * @param array<string, string> $headers
     */
    public static function header(array $headers, string $name): ?string
    {
        $wanted = strtolower($name);
        foreach ($headers as $key => $value) {
            if (strtolower((string) $key) === $wanted) {
                return $value;
            }
        }
        return null;
    }

    /**
     * Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date), or null.
     *
     * @param array<string, string> $headers
     */
    public static function parseRetryAfter(array $headers, ?float $now = null): ?float
    {
        $raw = self::header($headers, 'Retry-After');
        if ($raw === null) {
            return null;
        }
        $raw = trim($raw);
        if (is_numeric($raw)) {
            return max(0.0, (float) $raw);
        }
        $when = \DateTimeImmutable::createFromFormat(\DateTimeInterface::RFC7231, $raw, new \DateTimeZone('UTC'));
        if ($when === false) {
            return null;
        }
        return max(0.0, $when->getTimestamp() - ($now ?? microtime(true)));
    }

    /** ISO 8601 in UTC with a `Z`: `2025-01-20T09:00:00Z` (milliseconds only when there are some). */
    public static function formatDateTime(\DateTimeInterface $value): string
    {
        $utc = \DateTimeImmutable::createFromInterface($value)->setTimezone(new \DateTimeZone('UTC'));
        $micro = (int) $utc->format('u');
        return $utc->format($micro ? 'Y-m-d\TH:i:s.v' : 'Y-m-d\TH:i:s') . 'Z';
    }

    /** A value made JSON-ready: `DateTimeInterface` becomes ISO 8601 UTC text, recursively. */
    public static function encodeValue(mixed $value): mixed
    {
        if ($value instanceof \DateTimeInterface) {
            return self::formatDateTime($value);
        }
        if (is_array($value)) {
            return array_map(self::encodeValue(...), $value);
        }
        return $value;
    }

    /**
     * Query parameters as strings: null dropped, booleans `true`/`false`, lists comma-joined.
     *
     * @param array<string, mixed> $params
     * @return array<string, string>
     */
    public static function encodeQuery(array $params): array
    {
        $query = [];
        foreach ($params as $key => $value) {
            if ($value === null) {
                continue;
            }
            if (is_bool($value)) {
                $query[$key] = $value ? 'true' : 'false';
            } elseif (is_array($value)) {
                $query[$key] = implode(',', array_map(
                    static fn (mixed $v): string => self::scalar(self::encodeValue($v)),
                    $value,
                ));
            } else {
                $query[$key] = self::scalar(self::encodeValue($value));
            }
        }
        return $query;
    }

    /**
     * A JSON request body (slashes and non-ASCII as is, an empty body as `{}`).
     *
     * @param array<string, mixed>|null $body
     */
    public static function encodeBody(?array $body): ?string
    {
        if ($body === null) {
            return null;
        }
        $value = self::encodeValue($body);
        return json_encode(
            $value === [] ? new \stdClass() : $value,
            JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION | JSON_THROW_ON_ERROR,
        );
    }

    /** A calendar-day parameter: a `DateTimeInterface` is cut to its `Y-m-d` date; text passes. */
    public static function asDate(mixed $value): mixed
    {
        return $value instanceof \DateTimeInterface ? $value->format('Y-m-d') : $value;
    }

    /** At most `$bytes` bytes of UTF-8 text, never cutting a character in two. */
    public static function truncate(string $text, int $bytes): string
    {
        if (strlen($text) <= $bytes) {
            return $text;
        }
        return (string) preg_replace('/[\xC0-\xFF][\x80-\xBF]*$/', '', substr($text, 0, $bytes));
    }

    private static function scalar(mixed $value): string
    {
        if (is_bool($value)) {
            return $value ? 'true' : 'false';
        }
        if (is_scalar($value) || $value instanceof \Stringable) {
            return (string) $value;
        }
        throw new \InvalidArgumentException('A query parameter must be a scalar, a date or a list of them');
    }
}
