<?php

declare(strict_types=1);

namespace iValid;

use iValid\Exception\SignatureVerificationError;
use iValid\Model\Event;

/**
 * Checking that a webhook really comes from iValid, before trusting its body.
 *
 * iValid signs every delivery twice:
 *
 * - `X-iValid-Signature: sha256=<hex>`: HMAC-SHA256 of the raw body with the webhook's secret,
 *   exactly as the API documentation shows (`verify()`).
 * - Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`): HMAC-SHA256 of
 *   `"{id}.{timestamp}.{body}"`, which also binds the time of sending, so a captured request
 *   cannot be replayed later (`verifyStandard()`, with a tolerance on the timestamp). The key is
 *   the base64-decoded part of a `whsec_<base64>` secret, as Standard Webhooks libraries expect.
 *   While a secret is rotated, the header carries one signature per active secret.
 *
 * Every function takes the secret exactly as the API returned it, `whsec_` prefix included, or
 * a list of secrets during a rotation. Always pass the raw body as received
 * (`file_get_contents('php://input')`), not JSON decoded and encoded again: any change in
 * spacing or key order changes the signature.
 */
final class Webhook
{
    public const SECRET_PREFIX = 'whsec_';
    public const SIGNATURE_HEADER = 'X-iValid-Signature';
    public const STANDARD_ID_HEADER = 'webhook-id';
    public const STANDARD_TIMESTAMP_HEADER = 'webhook-timestamp';
    public const STANDARD_SIGNATURE_HEADER = 'webhook-signature';
    /** Seconds a Standard Webhooks timestamp may differ from the local clock, either way. */
    public const DEFAULT_TOLERANCE = 300;

    /** The `X-iValid-Signature` value for a body: `sha256=` and the hex HMAC-SHA256. */
    public static function sign(string $payload, string $secret): string
    {
        return 'sha256=' . hash_hmac('sha256', $payload, $secret);
    }

    /**
     * True if `$signature` (the `X-iValid-Signature` header) signs `$payload` with `$secret`.
     *
     * This is the API documentation's `verifyWebhook(payload, signature, secret)`; the
     * comparison takes constant time.
     *
     * @param string|list<string> $secret
     */
    public static function verify(string $payload, ?string $signature, string|array $secret): bool
    {
        if ($signature === null || trim($signature) === '') {
            return false;
        }
        $given = strtolower(trim($signature));
        if (!str_starts_with($given, 'sha256=')) {
            return false;
        }
        foreach (self::secrets($secret) as $key) {
            if (hash_equals(strtolower(self::sign($payload, $key)), $given)) {
                return true;
            }
        }
        return false;
    }

    /** The Standard Webhooks `webhook-signature` value: `v1,<base64 HMAC-SHA256>`. */
    public static function signStandard(string $payload, string $secret, string $msgId, int $timestamp): string
    {
        $signed = "{$msgId}.{$timestamp}.{$payload}";
        return 'v1,' . base64_encode(hash_hmac('sha256', $signed, self::standardKey($secret), true));
    }

    /**
     * True if the Standard Webhooks headers sign `$payload` and were sent within `$tolerance`.
     *
     * @param array<string, string|list<string>> $headers any case, e.g. `getallheaders()`
     * @param string|list<string> $secret
     */
    public static function verifyStandard(
        string $payload,
        array $headers,
        string|array $secret,
        int|float $tolerance = self::DEFAULT_TOLERANCE,
        int|float|null $now = null,
    ): bool {
        try {
            self::checkStandard($payload, $headers, $secret, $tolerance, $now);
        } catch (SignatureVerificationError) {
            return false;
        }
        return true;
    }

    /**
     * Verify a received webhook and return its event; throw `SignatureVerificationError` if forged.
     *
     * Uses the Standard Webhooks headers when present (they also reject replays), otherwise
     * `X-iValid-Signature`.
     *
     * @param array<string, string|list<string>> $headers any case, e.g. `getallheaders()`
     * @param string|list<string> $secret
     * @throws SignatureVerificationError
     */
    public static function constructEvent(
        string $payload,
        array $headers,
        string|array $secret,
        int|float $tolerance = self::DEFAULT_TOLERANCE,
    ): Event {
        if (self::header($headers, self::STANDARD_SIGNATURE_HEADER) !== null) {
            self::checkStandard($payload, $headers, $secret, $tolerance, null);
        } elseif (!self::verify($payload, self::header($headers, self::SIGNATURE_HEADER), $secret)) {
            throw new SignatureVerificationError(
                'No valid ' . self::SIGNATURE_HEADER . ' or Standard Webhooks signature for this payload',
            );
        }
        try {
            $body = json_decode($payload, false, 512, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        } catch (\JsonException $e) {
            throw new SignatureVerificationError('The webhook body is not JSON: ' . $e->getMessage());
        }
        if (!$body instanceof \stdClass) {
            throw new SignatureVerificationError('The webhook body is not a JSON object');
        }
        return Event::constructFrom($body);
    }

    /**
     * @param array<string, string|list<string>> $headers
     * @param string|list<string> $secret
     * @throws SignatureVerificationError
     */
    private static function checkStandard(string $payload, array $headers, string|array $secret, int|float $tolerance, int|float|null $now): void
    {
        $msgId = self::header($headers, self::STANDARD_ID_HEADER);
        $rawTimestamp = self::header($headers, self::STANDARD_TIMESTAMP_HEADER);
        $rawSignatures = self::header($headers, self::STANDARD_SIGNATURE_HEADER);
        if (!$msgId || !$rawTimestamp || !$rawSignatures) {
            throw new SignatureVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature');
        }
        if (!preg_match('/^\s*-?\d+\s*$/', $rawTimestamp)) {
            throw new SignatureVerificationError("Invalid webhook-timestamp '{$rawTimestamp}'");
        }
        $timestamp = (int) trim($rawTimestamp);
        $current = $now ?? time();
        if (abs($current - $timestamp) > $tolerance) {
            throw new SignatureVerificationError(sprintf(
                'webhook-timestamp %d is more than %ss from now (%d)',
                $timestamp,
                $tolerance,
                $current,
            ));
        }
        $given = [];
        foreach (preg_split('/\s+/', trim($rawSignatures)) ?: [] as $item) {
            [$version, $value] = array_pad(explode(',', $item, 2), 2, '');
            if ($version === 'v1' && $value !== '') {
                $decoded = base64_decode($value, true);
                if ($decoded !== false) {
                    $given[] = $decoded;
                }
            }
        }
        foreach (self::secrets($secret) as $key) {
            $expected = hash_hmac('sha256', "{$msgId}.{$timestamp}.{$payload}", self::standardKey($key), true);
            foreach ($given as $candidate) {
                if (hash_equals($expected, $candidate)) {
                    return;
                }
            }
        }
        throw new SignatureVerificationError('No webhook-signature matches this payload and secret');
    }

    /**
     * The HMAC key of the Standard Webhooks signature, derived as the hub derives it.
     *
     * A secret `whsec_<base64>` (what the server generates) stands for the decoded bytes, the
     * Standard Webhooks rule; any other secret (one typed in by hand) is used as its UTF-8 bytes.
     */
    public static function standardKey(string $secret): string
    {
        if (str_starts_with($secret, self::SECRET_PREFIX)) {
            $encoded = substr($secret, strlen(self::SECRET_PREFIX));
            // Strict RFC 4648: the standard alphabet with its padding, as the hub decodes it.
            if ($encoded !== '' && strlen($encoded) % 4 === 0 && preg_match('#^[A-Za-z0-9+/]*={0,2}$#', $encoded)) {
                $key = base64_decode($encoded, true);
                if ($key !== false && $key !== '') {
                    return $key;
                }
            }
        }
        return $secret;
    }

    /**
     * @param string|list<string> $secret
     * @return list<string>
     */
    private static function secrets(string|array $secret): array
    {
        return is_string($secret) ? [$secret] : array_values($secret);
    }

    /** @param array<string, string|list<string>> $headers */
    private static function header(array $headers, string $name): ?string
    {
        $wanted = strtolower($name);
        foreach ($headers as $key => $value) {
            if (strtolower((string) $key) === $wanted) {
                return is_array($value) ? implode(' ', $value) : (string) $value;
            }
        }
        return null;
    }
}
