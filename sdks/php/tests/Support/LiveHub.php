<?php

declare(strict_types=1);

namespace iValid\Tests\Support;

use iValid\Client;

/**
 * A hub process the test driver (tests/sdk/test_sdk_php.py) started, and its demo account.
 *
 * The driver writes what it started to the JSON file named by `IVALID_TEST_HUBS_FILE`:
 * `{"live": {"base_url", "demo", "env", "cwd"}, "short_token": ..., "rate_limited": ...,
 * "worker_command": [...], "python": "..."}`. Without it the live tests skip.
 */
final class LiveHub
{
    /** @var array<string, mixed>|null */
    private static ?array $hubs = null;

    /**
     * @param array<string, mixed> $demo
     * @param array<string, string> $env
     */
    private function __construct(
        public readonly string $baseUrl,
        public readonly array $demo,
        public readonly array $env,
        public readonly string $cwd,
    ) {
    }

    /** The hub called `$name` (`live`, `short_token`, `rate_limited`), or null without a driver. */
    public static function get(string $name = 'live'): ?self
    {
        $hub = self::hubs()[$name] ?? null;
        if (!is_array($hub)) {
            return null;
        }
        return new self($hub['base_url'], $hub['demo'], $hub['env'], $hub['cwd']);
    }

    /** @return array<string, mixed> the driver's whole description */
    public static function hubs(): array
    {
        if (self::$hubs === null) {
            $file = getenv('IVALID_TEST_HUBS_FILE');
            self::$hubs = is_string($file) && $file !== '' && is_file($file)
                ? json_decode((string) file_get_contents($file), true, 512, JSON_THROW_ON_ERROR)
                : [];
        }
        return self::$hubs;
    }

    public function apiKey(): string
    {
        return (string) $this->demo['api_key'];
    }

    /**
     * A client of this hub, with the demo API key unless told otherwise.
     *
     * @param array<string, mixed> $options
     */
    public function client(array $options = []): Client
    {
        if (!isset($options['client_id']) && !isset($options['api_key'])) {
            $options['api_key'] = $this->apiKey();
        }
        $options += ['base_url' => $this->baseUrl];
        return new Client($options);
    }

    /** @return array{client_id: string, client_secret: string} the demo OAuth client */
    public function oauth(): array
    {
        return ['client_id' => (string) $this->demo['client_id'], 'client_secret' => (string) $this->demo['client_secret']];
    }

    /**
     * A plain GET with a bearer token, outside the SDK: the status the hub answers.
     */
    public function statusWithToken(string $path, string $token): int
    {
        $curl = curl_init($this->baseUrl . $path);
        curl_setopt_array($curl, [
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_HTTPHEADER => ["Authorization: Bearer {$token}"],
            CURLOPT_TIMEOUT => 10,
        ]);
        curl_exec($curl);
        return (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    }
}
