<?php

declare(strict_types=1);

namespace iValid;

use iValid\Auth\ApiKeyCredentials;
use iValid\Auth\ClientCredentials;
use iValid\Auth\Credentials;
use iValid\Http\Transport;
use iValid\Resource\Appointments;
use iValid\Resource\Availability;
use iValid\Resource\Customers;
use iValid\Resource\Events;
use iValid\Resource\Integrations;
use iValid\Resource\Services;
use iValid\Resource\Teams;
use iValid\Resource\Technicians;
use iValid\Resource\Webhooks;

/**
 * A client of the iValid API v2, holding credentials and one service per API resource.
 *
 * ```php
 * $client = new Client(['api_key' => '...', 'environment' => 'sandbox']);
 * foreach ($client->appointments->list(['status' => 'confirmed']) as $appointment) {
 *     echo $appointment->id, ' ', $appointment->scheduled_at, "\n";
 * }
 * ```
 *
 * Options: `api_key` (sent as the bearer token), or OAuth 2.0 `client_id` and `client_secret`
 * (the client fetches a token from `/oauth/token`, caches it and renews it before it expires;
 * `scope` narrows it, `token_url` overrides where). Without them, `IVALID_API_KEY`, then
 * `IVALID_CLIENT_ID` and `IVALID_CLIENT_SECRET`, are read from the environment.
 * `environment` (`production`, the default, or `sandbox`) picks the server; `base_url`, or else
 * the `IVALID_BASE_URL` environment variable, overrides it (a self-hosted hub, e.g.
 * `http://127.0.0.1:8000/v2`). `timeout` (seconds per response, 30) and `max_retries` (2).
 */
final class Client
{
    /** The SDK version, the same as the Python and Node.js SDKs'; sent in the User-Agent. */
    public const VERSION = '0.1.0';

    public const ENVIRONMENTS = [
        'production' => 'https://api.ivalid.fr/v2',
        'sandbox' => 'https://sandbox.api.ivalid.fr/v2',
    ];

    private const OPTIONS = [
        'api_key', 'environment', 'base_url', 'client_id', 'client_secret',
        'timeout', 'max_retries', 'scope', 'token_url',
    ];

    public readonly string $environment;
    public readonly string $baseUrl;
    public readonly string $tokenUrl;

    public readonly Appointments $appointments;
    public readonly Customers $customers;
    public readonly Services $services;
    public readonly Teams $teams;
    public readonly Technicians $technicians;
    public readonly Availability $availability;
    public readonly Webhooks $webhooks;
    public readonly Events $events;
    public readonly Integrations $integrations;

    private readonly Transport $transport;

    /**
     * @param array{api_key?: string|null, environment?: string, base_url?: string|null, client_id?: string|null, client_secret?: string|null, timeout?: float|int, max_retries?: int, scope?: string|null, token_url?: string|null} $options
     */
    public function __construct(array $options = [])
    {
        $unknown = array_diff(array_keys($options), self::OPTIONS);
        if ($unknown) {
            throw new \InvalidArgumentException(sprintf(
                'Unknown option(s) %s; the options are %s',
                implode(', ', $unknown),
                implode(', ', self::OPTIONS),
            ));
        }
        $environment = $options['environment'] ?? 'production';
        if (!is_string($environment) || !isset(self::ENVIRONMENTS[$environment])) {
            throw new \InvalidArgumentException(sprintf(
                'environment must be one of %s, not %s',
                implode(', ', array_keys(self::ENVIRONMENTS)),
                var_export($environment, true),
            ));
        }
        $this->environment = $environment;
        $this->baseUrl = rtrim(
            self::nonEmpty($options['base_url'] ?? null) ?? self::env('IVALID_BASE_URL') ?? self::ENVIRONMENTS[$environment],
            '/',
        );
        $this->tokenUrl = self::nonEmpty($options['token_url'] ?? null) ?? self::tokenUrlFor($this->baseUrl);
        $timeout = (float) ($options['timeout'] ?? Transport::DEFAULT_TIMEOUT);
        $this->transport = new Transport(
            $this->baseUrl,
            null,
            $timeout,
            (int) ($options['max_retries'] ?? Transport::DEFAULT_MAX_RETRIES),
        );
        $this->transport->credentials = $this->credentials($options, $timeout);

        $this->appointments = new Appointments($this->transport);
        $this->customers = new Customers($this->transport);
        $this->services = new Services($this->transport);
        $this->teams = new Teams($this->transport);
        $this->technicians = new Technicians($this->transport);
        $this->availability = new Availability($this->transport);
        $this->webhooks = new Webhooks($this->transport);
        $this->events = new Events($this->transport);
        $this->integrations = new Integrations($this->transport);
    }

    /** How many times a failed request that is safe to repeat is sent again. */
    public function maxRetries(): int
    {
        return $this->transport->maxRetries;
    }

    /** Seconds to wait for each response. */
    public function timeout(): float
    {
        return $this->transport->timeout;
    }

    /**
     * Call any API path (relative to the base URL) with the client's auth and retries.
     *
     * For endpoints or parameters this SDK version does not know yet; returns the JSON as
     * `IValidObject`s (lists as arrays), null for an empty answer.
     *
     * @param array<string, mixed>|null $params query parameters
     * @param array<string, mixed>|null $body JSON body
     * @param array{idempotency_key?: string} $opts
     */
    public function request(string $method, string $path, ?array $params = null, ?array $body = null, array $opts = []): mixed
    {
        $payload = $this->transport->request($method, $path, $params, $body, $opts['idempotency_key'] ?? null);
        return IValidObject::convert($payload);
    }

    /** Release the pooled connection (a later call opens a new one). */
    public function close(): void
    {
        $this->transport->close();
    }

    /** The OAuth token endpoint of an API base URL: `https://host/v2` → `https://host/oauth/token`. */
    public static function tokenUrlFor(string $baseUrl): string
    {
        $parts = parse_url($baseUrl);
        if ($parts === false || !isset($parts['scheme'], $parts['host'])) {
            throw new \InvalidArgumentException("Not an absolute URL: {$baseUrl}");
        }
        $path = rtrim($parts['path'] ?? '', '/');
        // Any other layout is unknown: the token endpoint is then at the server root.
        $path = str_ends_with($path, '/v2') ? substr($path, 0, -3) : '';
        $origin = $parts['scheme'] . '://' . $parts['host'] . (isset($parts['port']) ? ':' . $parts['port'] : '');
        return $origin . $path . '/oauth/token';
    }

    /** @param array<string, mixed> $options */
    private function credentials(array $options, float $timeout): Credentials
    {
        $apiKey = self::nonEmpty($options['api_key'] ?? null);
        $clientId = self::nonEmpty($options['client_id'] ?? null);
        $clientSecret = self::nonEmpty($options['client_secret'] ?? null);
        if ($apiKey === null && ($clientId === null || $clientSecret === null)) {
            $apiKey = self::env('IVALID_API_KEY');
            $clientId ??= self::env('IVALID_CLIENT_ID');
            $clientSecret ??= self::env('IVALID_CLIENT_SECRET');
        }
        if ($apiKey !== null) {
            return new ApiKeyCredentials($apiKey);
        }
        if ($clientId !== null && $clientSecret !== null) {
            return new ClientCredentials(
                $this->tokenUrl,
                $clientId,
                $clientSecret,
                self::nonEmpty($options['scope'] ?? null),
                $this->transport->postJson(...),
                $timeout,
            );
        }
        throw new \InvalidArgumentException(
            "No credentials: pass 'api_key', or 'client_id' and 'client_secret' "
            . '(or set IVALID_API_KEY, or IVALID_CLIENT_ID and IVALID_CLIENT_SECRET)',
        );
    }

    private static function env(string $name): ?string
    {
        $value = getenv($name);
        return is_string($value) && $value !== '' ? $value : null;
    }

    private static function nonEmpty(mixed $value): ?string
    {
        return is_string($value) && $value !== '' ? $value : null;
    }
}
