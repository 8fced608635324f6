<?php

declare(strict_types=1);

namespace iValid\Tests;

use iValid\Auth\ClientCredentials;
use iValid\Client;
use iValid\Exception\AuthenticationError;
use iValid\Exception\PermissionDeniedError;
use iValid\Exception\RateLimitError;
use iValid\Http\Response;

/** Credentials, scopes, token refresh and rate limiting against live hubs (S27-S32). */
final class LiveAuthTest extends TestCase
{
    private const TOKEN_TTL = 4; // the driver's short_token hub: IVALID_ACCESS_TOKEN_TTL=4

    /** The client's OAuth credentials (private state, as the Python tests read `client._http`). */
    private static function credentials(Client $client): ClientCredentials
    {
        $credentials = (fn () => $this->transport->credentials)->call($client);
        self::assertInstanceOf(ClientCredentials::class, $credentials);
        return $credentials;
    }

    /** S27: client credentials fetch a token from /oauth/token; the cached token is a real bearer. */
    public function testS27ClientCredentialsFetchATokenFromOauthToken(): void
    {
        $live = $this->live();
        $client = $live->client($live->oauth());
        self::assertGreaterThanOrEqual(1, $client->customers->list()->meta->total);
        $token = self::credentials($client)->bearer();
        self::assertNotSame($live->apiKey(), $token);
        self::assertSame(200, $live->statusWithToken('/services', $token));
    }

    /** S28: a token scoped appointments:read may list appointments, not create customers. */
    public function testS28AScopedTokenIsRefusedWhatItMayNotDo(): void
    {
        $live = $this->live();
        $client = $live->client($live->oauth() + ['scope' => 'appointments:read']);
        $client->appointments->list();
        $error = self::catch(PermissionDeniedError::class, static fn () => $client->customers->create(['first_name' => 'Pas', 'last_name' => 'Autorisé']));
        self::assertSame(403, $error->getHttpStatus());
        self::assertSame('INSUFFICIENT_SCOPE', $error->getCode());
    }

    /** S29: a bad API key or a wrong client secret throws AuthenticationError. */
    public function testS29BadCredentialsRaiseAuthenticationError(): void
    {
        $live = $this->live();
        $client = $live->client(['api_key' => 'ivk_test_not_a_key']);
        $error = self::catch(AuthenticationError::class, static fn () => $client->appointments->list());
        self::assertSame(401, $error->getHttpStatus());
        self::assertContains($error->getCode(), ['UNAUTHENTICATED', 'INVALID_TOKEN']);
        self::assertNotEmpty($error->getRequestId());

        $client = $live->client(['client_id' => $live->demo['client_id'], 'client_secret' => 'cs_wrong']);
        self::catch(AuthenticationError::class, static fn () => $client->appointments->list());
    }

    /** S30: a cached token the hub no longer accepts is replaced transparently. */
    public function testS30ARevokedTokenIsReplacedTransparently(): void
    {
        $live = $this->live();
        $client = $live->client($live->oauth());
        $client->services->list();
        $credentials = self::credentials($client);
        // Simulate a token the server no longer accepts (revoked, or signed with a rotated key).
        (fn () => $this->accessToken = 'not-a-valid-token')->call($credentials);
        self::assertSame('Installation Climatisation', $client->services->get((string) $live->demo['service_id'])->name);
        self::assertNotSame('not-a-valid-token', $credentials->bearer());
    }

    /** S31: after the hub's 4 s tokens expire, the SDK renews with the refresh_token grant. */
    public function testS31TheTokenIsRefreshedBeforeItExpires(): void
    {
        $hub = $this->live('short_token');
        $client = $hub->client($hub->oauth());
        $credentials = self::credentials($client);
        $grants = [];
        (function () use (&$grants): void {
            $send = $this->post;
            $this->post = static function (string $url, array $json, float $timeout) use ($send, &$grants): Response {
                $grants[] = $json['grant_type'];
                return $send($url, $json, $timeout);
            };
        })->call($credentials);

        $client->services->list();
        $first = $credentials->bearer();
        usleep((int) ((self::TOKEN_TTL + 0.5) * 1e6));
        // The old token is dead on the server...
        self::assertSame(401, $hub->statusWithToken('/services', $first));
        // ...yet the SDK's next call just works, with a renewed token.
        self::assertGreaterThanOrEqual(1, $client->services->list()->meta->total);
        self::assertNotSame($first, $credentials->bearer());
        // Renewed with the refresh token the hub issued, before any request could fail.
        self::assertSame(['client_credentials', 'refresh_token'], $grants);
    }

    /** S32: on a hub allowing 5 requests per 5 s, 429 is raised or waited out. */
    public function testS32A429IsRetriedAfterRetryAfter(): void
    {
        $hub = $this->live('rate_limited');
        $impatient = $hub->client(['max_retries' => 0]);
        $error = self::catch(RateLimitError::class, static function () use ($impatient): void {
            for ($i = 0; $i < 30; $i++) {
                $impatient->services->list();
            }
        });
        self::assertSame(429, $error->getHttpStatus());
        self::assertSame('RATE_LIMIT_EXCEEDED', $error->getCode());
        $retryAfter = $error->getRetryAfter();
        // The 5-second window, plus up to one second of margin for Redis's whole-second TTLs.
        self::assertNotNull($retryAfter);
        self::assertGreaterThan(0, $retryAfter);
        self::assertLessThanOrEqual(6, $retryAfter);
        self::assertNotEmpty($error->getRequestId());

        $patient = $hub->client(['max_retries' => 2]);
        $started = microtime(true);
        $page = $patient->services->list();
        $waited = microtime(true) - $started;
        self::assertGreaterThanOrEqual(1, $page->meta->total);
        self::assertGreaterThanOrEqual($retryAfter - 2, $waited, 'the SDK waited for the window to reopen');
    }
}
