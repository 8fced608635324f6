<?php

declare(strict_types=1);

namespace iValid\Auth;

use iValid\Exception\APIConnectionError;
use iValid\Exception\AuthenticationError;
use iValid\Exception\ErrorFactory;
use iValid\Http\Response;

/**
 * OAuth 2.0 client credentials: fetches a token, caches it, and renews it before it expires.
 *
 * Renewal uses the refresh token when the server gave one and falls back to a new
 * client-credentials grant if the refresh is refused.
 */
final class ClientCredentials implements Credentials
{
    /**
     * Refresh this long before the token expires, so a request never leaves with a dying
     * token; at most a tenth of the lifetime, for servers configured with very short tokens.
     */
    public const REFRESH_MARGIN_SECONDS = 60.0;

    private ?string $accessToken = null;
    private ?string $refreshToken = null;
    private float $refreshAt = 0.0;
    private float $expiresAt = 0.0;

    /** @var \Closure(string, array<string, mixed>, float): Response */
    private \Closure $post;

    /** @var \Closure(): float */
    private \Closure $clock;

    /**
     * @param callable(string, array<string, mixed>, float): Response $post sends a JSON POST
     * @param (callable(): float)|null $clock monotonic seconds
     */
    public function __construct(
        public readonly string $tokenUrl,
        private readonly string $clientId,
        private readonly string $clientSecret,
        private readonly ?string $scope,
        callable $post,
        private readonly float $timeout,
        ?callable $clock = null,
    ) {
        $this->post = $post(...);
        $this->clock = $clock !== null ? $clock(...) : static fn (): float => hrtime(true) / 1e9;
    }

    /** The cached access token, if one was fetched (for diagnostics). */
    public function accessToken(): ?string
    {
        return $this->accessToken;
    }

    /** Seconds until the cached token expires, or null without one. */
    public function expiresIn(): ?float
    {
        return $this->accessToken === null ? null : $this->expiresAt - ($this->clock)();
    }

    /** A valid access token, fetched or refreshed first if needed. */
    public function bearer(): string
    {
        if ($this->accessToken === null || ($this->clock)() >= $this->refreshAt) {
            $this->renew();
        }
        return (string) $this->accessToken;
    }

    /** Drop `$token` if it is still the cached one; the next `bearer()` fetches a new one. */
    public function invalidate(string $token): bool
    {
        if ($this->accessToken === $token) {
            $this->accessToken = null;
        }
        return true;
    }

    private function renew(): void
    {
        if ($this->refreshToken !== null) {
            try {
                $this->store($this->grant(['grant_type' => 'refresh_token', 'refresh_token' => $this->refreshToken]));
                return;
            } catch (AuthenticationError) {
                // The refresh token expired or was revoked: start over with the client's secret.
            }
        }
        $body = ['grant_type' => 'client_credentials'];
        if ($this->scope !== null && $this->scope !== '') {
            $body['scope'] = $this->scope;
        }
        $this->store($this->grant($body));
    }

    /**
     * @param array<string, string> $body
     * @return array<string, mixed>
     */
    private function grant(array $body): array
    {
        $body += ['client_id' => $this->clientId, 'client_secret' => $this->clientSecret];
        try {
            $response = ($this->post)($this->tokenUrl, $body, $this->timeout);
        } catch (APIConnectionError $e) {
            throw new APIConnectionError(
                "Could not reach the token endpoint {$this->tokenUrl}: {$e->getMessage()}",
                previous: $e,
            );
        }
        $payload = $response->json();
        if ($response->status !== 200 || !is_array($payload)) {
            $class = in_array($response->status, [400, 401], true) ? AuthenticationError::class : null;
            $error = ErrorFactory::fromResponse($response->status, $payload, $response->headers, $response->body, $class);
            if (is_array($payload) && is_string($payload['error'] ?? null)) {
                // RFC 6749 token errors are flat: {"error": "invalid_client", "error_description": ...}
                $description = $payload['error_description'] ?? null;
                $error = new ($error::class)(
                    is_string($description) && $description !== '' ? $description : $payload['error'],
                    $error->httpStatus,
                    $payload['error'],
                    $error->details,
                    $error->suggestions,
                    $error->requestId,
                    $error->headers,
                    $payload,
                    $response->body,
                );
            }
            throw $error;
        }
        if (!is_string($payload['access_token'] ?? null)) {
            throw new AuthenticationError(
                'The token endpoint answered without an access_token',
                $response->status,
                jsonBody: $payload,
            );
        }
        return $payload;
    }

    /** @param array<string, mixed> $payload */
    private function store(array $payload): void
    {
        $now = ($this->clock)();
        $lifetime = is_numeric($payload['expires_in'] ?? null) && (float) $payload['expires_in'] > 0
            ? (float) $payload['expires_in']
            : 3600.0;
        $this->accessToken = $payload['access_token'];
        $refresh = $payload['refresh_token'] ?? null;
        $this->refreshToken = is_string($refresh) && $refresh !== '' ? $refresh : $this->refreshToken;
        $this->expiresAt = $now + $lifetime;
        $this->refreshAt = $now + $lifetime - min(self::REFRESH_MARGIN_SECONDS, $lifetime / 10);
    }
}
