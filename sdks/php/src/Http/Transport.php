<?php

declare(strict_types=1);

namespace iValid\Http;

use iValid\Auth\ApiKeyCredentials;
use iValid\Auth\Credentials;
use iValid\Client;
use iValid\Exception\APIConnectionError;
use iValid\Exception\APIError;
use iValid\Exception\AuthenticationError;
use iValid\Exception\ErrorFactory;
use iValid\Util;

/**
 * Sends API requests with authentication, an automatic Idempotency-Key, and retries (over curl).
 *
 * Retried, up to `maxRetries` times: 429 after `Retry-After`; 502/503/504 and broken
 * connections for requests that are safe to repeat, which are GET and PUT and every POST (each
 * POST carries an Idempotency-Key, kept across its retries, so the server runs it once). A
 * DELETE is retried only when the connection could not even be opened.
 */
final class Transport
{
    public const DEFAULT_TIMEOUT = 30.0;
    public const DEFAULT_MAX_RETRIES = 2;
    /**
     * A server asking for a longer pause than this gets the error back at once: sleeping
     * through minutes inside a library call would look like a hang.
     */
    public const MAX_RETRY_AFTER = 60.0;
    public const INITIAL_BACKOFF = 0.5;
    public const MAX_BACKOFF = 8.0;

    private const RETRY_STATUSES = [429, 502, 503, 504];
    private const IDEMPOTENT_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT'];
    /** curl errors raised before any byte of the request left: the server saw nothing. */
    private const NEVER_SENT_ERRORS = [CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT];

    public Credentials $credentials;
    public readonly string $baseUrl;
    public readonly int $maxRetries;
    public readonly string $userAgent;

    /** @var \CurlHandle|null one handle, reused so connections are kept alive */
    private ?\CurlHandle $curl = null;

    /** @var \Closure(float): void */
    private \Closure $sleep;

    /** @param (callable(float): void)|null $sleep */
    public function __construct(
        string $baseUrl,
        ?Credentials $credentials = null,
        public readonly float $timeout = self::DEFAULT_TIMEOUT,
        int $maxRetries = self::DEFAULT_MAX_RETRIES,
        ?callable $sleep = null,
    ) {
        $this->baseUrl = rtrim($baseUrl, '/');
        $this->credentials = $credentials ?? new ApiKeyCredentials('');
        $this->maxRetries = max(0, $maxRetries);
        $this->sleep = $sleep !== null ? $sleep(...) : static function (float $seconds): void {
            usleep((int) round($seconds * 1e6));
        };
        $curl = curl_version();
        $this->userAgent = sprintf('ivalid-php/%s (PHP %s; curl %s)', Client::VERSION, PHP_VERSION, is_array($curl) ? $curl['version'] : '?');
    }

    /** Release the pooled connection; a later request opens a new one. */
    public function close(): void
    {
        $this->curl = null;
    }

    /**
     * Call the API and return the decoded JSON (objects as `stdClass`, null for an empty body).
     *
     * @param array<string, mixed>|null $params query parameters
     * @param array<string, mixed>|null $body JSON body
     * @throws APIError|APIConnectionError
     */
    public function request(
        string $method,
        string $path,
        ?array $params = null,
        ?array $body = null,
        ?string $idempotencyKey = null,
    ): mixed {
        $method = strtoupper($method);
        $headers = ['Accept' => 'application/json'];
        $data = Util::encodeBody($body);
        if ($data !== null) {
            $headers['Content-Type'] = 'application/json';
        }
        if ($method === 'POST') {
            $headers['Idempotency-Key'] = $idempotencyKey ?? self::uuid4();
        } elseif ($idempotencyKey !== null) {
            $headers['Idempotency-Key'] = $idempotencyKey;
        }
        $url = $this->baseUrl . $path;
        $query = Util::encodeQuery($params ?? []);

        $token = $this->credentials->bearer();
        $response = $this->send($method, $url, $query, $data, $headers, $token);
        if ($response->status === 401 && $this->credentials->invalidate($token)) {
            // The token was revoked or expired early: fetch a new one and try once more.
            $token = $this->credentials->bearer();
            $response = $this->send($method, $url, $query, $data, $headers, $token);
        }
        return self::decode($response);
    }

    /**
     * Send one request, with retries; returns the last response, whatever its status.
     *
     * @param array<string, string> $query
     * @param array<string, string> $headers
     * @throws APIConnectionError
     */
    public function send(
        string $method,
        string $url,
        array $query = [],
        ?string $data = null,
        array $headers = [],
        ?string $token = null,
        ?float $timeout = null,
    ): Response {
        $method = strtoupper($method);
        $headers = ['User-Agent' => $this->userAgent] + $headers;
        if ($token !== null && $token !== '') {
            $headers['Authorization'] = "Bearer {$token}";
        }
        if ($query) {
            $url .= (str_contains($url, '?') ? '&' : '?') . http_build_query($query, '', '&', PHP_QUERY_RFC3986);
        }
        $repeatable = in_array($method, self::IDEMPOTENT_METHODS, true) || isset($headers['Idempotency-Key']);
        $attempt = 0;
        while (true) {
            try {
                $response = $this->once($method, $url, $data, $headers, $timeout ?? $this->timeout);
            } catch (ConnectionFailed $e) {
                if ($attempt < $this->maxRetries && ($repeatable || $e->neverSent)) {
                    ($this->sleep)(self::backoff($attempt));
                    $attempt++;
                    continue;
                }
                throw new APIConnectionError(sprintf(
                    '%s %s failed after %d attempt(s): %s',
                    $method,
                    $url,
                    $attempt + 1,
                    $e->getMessage(),
                ));
            }
            $delay = $this->retryDelay($response, $attempt, $repeatable);
            if ($delay === null) {
                return $response;
            }
            ($this->sleep)($delay);
            $attempt++;
        }
    }

    /**
     * A JSON POST (the OAuth token endpoint), with the transport's retries but no bearer token.
     *
     * @param array<string, mixed> $json
     */
    public function postJson(string $url, array $json, ?float $timeout = null): Response
    {
        $headers = ['Accept' => 'application/json', 'Content-Type' => 'application/json'];
        return $this->send('POST', $url, [], Util::encodeBody($json), $headers, null, $timeout);
    }

    /**
     * @param array<string, string> $headers
     * @throws ConnectionFailed
     */
    private function once(string $method, string $url, ?string $data, array $headers, float $timeout): Response
    {
        $curl = $this->curl ??= curl_init();
        curl_reset($curl);
        $lines = ['Expect:']; // no "100 Continue" round trip before large bodies
        foreach ($headers as $name => $value) {
            $lines[] = "{$name}: {$value}";
        }
        $received = [];
        $status = 0;
        curl_setopt_array($curl, [
            CURLOPT_URL => $url,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_HTTPHEADER => $lines,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_TIMEOUT_MS => (int) ceil($timeout * 1000),
            CURLOPT_CONNECTTIMEOUT_MS => (int) ceil($timeout * 1000),
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
            CURLOPT_HEADERFUNCTION => static function ($handle, string $line) use (&$received, &$status): int {
                $trimmed = trim($line);
                if (preg_match('#^HTTP/\S+\s+(\d{3})#', $trimmed, $match)) {
                    $status = (int) $match[1]; // a new header block (after a 1xx): start over
                    $received = [];
                } elseif (str_contains($trimmed, ':')) {
                    [$name, $value] = explode(':', $trimmed, 2);
                    $received[trim($name)] = trim($value);
                }
                return strlen($line);
            },
        ]);
        if ($data !== null) {
            curl_setopt($curl, CURLOPT_POSTFIELDS, $data);
        } elseif ($method === 'HEAD') {
            curl_setopt($curl, CURLOPT_NOBODY, true);
        }
        $body = curl_exec($curl);
        $errno = curl_errno($curl);
        if ($body === false || $errno !== 0) {
            $neverSent = in_array($errno, self::NEVER_SENT_ERRORS, true)
                || ($errno === CURLE_OPERATION_TIMEDOUT && curl_getinfo($curl, CURLINFO_CONNECT_TIME) == 0.0);
            $message = curl_error($curl);
            $this->curl = null; // never reuse a connection in an unknown state
            throw new ConnectionFailed("curl error {$errno}: {$message}", $neverSent);
        }
        return new Response($status, $received, (string) $body);
    }

    /** Seconds to wait before retrying this response, or null to return it. */
    private function retryDelay(Response $response, int $attempt, bool $repeatable): ?float
    {
        $status = $response->status;
        if ($attempt >= $this->maxRetries || !in_array($status, self::RETRY_STATUSES, true)) {
            return null;
        }
        $retryAfter = Util::parseRetryAfter($response->headers);
        if ($status === 429) {
            // A rate-limited request was not processed, so any method may be sent again.
            if ($retryAfter === null) {
                return self::backoff($attempt);
            }
            return $retryAfter <= self::MAX_RETRY_AFTER ? $retryAfter : null;
        }
        if (!$repeatable) {
            return null;
        }
        if ($retryAfter !== null && $retryAfter <= self::MAX_RETRY_AFTER) {
            return $retryAfter;
        }
        return self::backoff($attempt);
    }

    /** @throws APIError */
    private static function decode(Response $response): mixed
    {
        $payload = null;
        if (trim($response->body) !== '') {
            try {
                $payload = json_decode($response->body, false, 512, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
            } catch (\JsonException) {
                if ($response->isSuccess()) {
                    throw new APIError(
                        "The API answered {$response->status} with a body that is not JSON",
                        $response->status,
                        requestId: $response->header('X-Request-Id'),
                        headers: $response->headers,
                        httpBody: Util::truncate($response->body, 2000),
                    );
                }
            }
        }
        if ($response->isSuccess()) {
            return $payload;
        }
        $class = $response->status === 401 ? AuthenticationError::class : null;
        throw ErrorFactory::fromResponse($response->status, $response->json(), $response->headers, $response->body, $class);
    }

    /** Exponential backoff with jitter: 0.25–0.5 s, 0.5–1 s, 1–2 s … at most 8 s. */
    private static function backoff(int $attempt): float
    {
        $ceiling = min(self::MAX_BACKOFF, self::INITIAL_BACKOFF * 2 ** $attempt);
        return $ceiling / 2 + $ceiling / 2 * (mt_rand() / mt_getrandmax());
    }

    /** A random (version 4) UUID, the automatic Idempotency-Key. */
    private static function uuid4(): string
    {
        $bytes = random_bytes(16);
        $bytes[6] = chr((ord($bytes[6]) & 0x0F) | 0x40);
        $bytes[8] = chr((ord($bytes[8]) & 0x3F) | 0x80);
        return vsprintf('%s%s-%s-%s-%s-%s%s%s', str_split(bin2hex($bytes), 4));
    }
}
