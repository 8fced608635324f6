<?php

declare(strict_types=1);

namespace iValid\Tests;

use iValid\Client;
use iValid\Exception\AuthenticationError;
use iValid\Tests\Support\Received;
use iValid\Tests\Support\Reply;
use iValid\Tests\Support\StubServer;

/** OAuth 2.0 client credentials against a stub token endpoint (S18-S22). */
final class OAuthTest extends TestCase
{
    /**
     * Serve /oauth/token: numbered tokens, refreshable; GET /v2/teams accepts only the newest.
     *
     * Both answers run in the stub's process and share its count of grants.
     */
    private function tokenServer(int $expiresIn): StubServer
    {
        $stub = $this->stub();
        $issued = 0;
        $stub->default('POST', '/oauth/token', static function (Received $request) use (&$issued, $expiresIn): Reply {
            $body = $request->json();
            if (($body['client_secret'] ?? null) !== 's3cret') {
                return new Reply(401, ['error' => 'invalid_client', 'error_description' => 'bad secret']);
            }
            $issued++;
            return new Reply(200, [
                'access_token' => "tok_{$issued}",
                'token_type' => 'Bearer',
                'expires_in' => $expiresIn,
                'refresh_token' => "ref_{$issued}",
                'scope' => $body['scope'] ?? 'appointments:read',
            ]);
        });
        $stub->default('GET', '/v2/teams', static function (Received $request) use (&$issued): Reply {
            if ($request->header('Authorization') !== "Bearer tok_{$issued}") {
                return new Reply(401, ['error' => ['code' => 'INVALID_TOKEN', 'message' => 'expired']]);
            }
            return new Reply(200, ['data' => [], 'meta' => ['total' => 0, 'page' => 1, 'per_page' => 10]]);
        });
        return $stub;
    }

    /** @return list<array<string, mixed>> the grant bodies the token endpoint received */
    private static function grants(StubServer $stub): array
    {
        return array_map(static fn (Received $r): array => $r->json(), $stub->calls('POST', '/oauth/token'));
    }

    /** @return list<?string> the Authorization header of each GET /v2/teams */
    private static function bearers(StubServer $stub): array
    {
        return array_map(static fn (Received $r): ?string => $r->header('Authorization'), $stub->calls('GET', '/v2/teams'));
    }

    private static function client(StubServer $stub, string $secret = 's3cret', ?string $scope = null): Client
    {
        return new Client(['base_url' => $stub->baseUrl(), 'client_id' => 'cid', 'client_secret' => $secret, 'scope' => $scope]);
    }

    /** S18: client credentials fetch one token and reuse it. */
    public function testS18ClientCredentialsFetchOnceAndCacheTheToken(): void
    {
        $stub = $this->tokenServer(3600);
        $client = self::client($stub, scope: 'teams:read');
        for ($i = 0; $i < 3; $i++) {
            $client->teams->list();
        }
        self::assertSame([[
            'grant_type' => 'client_credentials',
            'scope' => 'teams:read',
            'client_id' => 'cid',
            'client_secret' => 's3cret',
        ]], self::grants($stub));
        self::assertSame(array_fill(0, 3, 'Bearer tok_1'), self::bearers($stub));
    }

    /** S19: the token is renewed with the refresh_token grant before it expires. */
    public function testS19TheTokenIsRefreshedBeforeItExpires(): void
    {
        $stub = $this->tokenServer(1);
        $client = self::client($stub);
        $client->teams->list();
        usleep(1_000_000);
        $client->teams->list();
        $grants = self::grants($stub);
        self::assertSame(['client_credentials', 'refresh_token'], array_column($grants, 'grant_type'));
        self::assertSame('ref_1', $grants[1]['refresh_token']);
        // The second call went out with the new token straight away: no 401 round trip.
        self::assertSame(['Bearer tok_1', 'Bearer tok_2'], self::bearers($stub));
    }

    /** S20: a token the API rejects is replaced once and the call repeated. */
    public function testS20ARejectedTokenIsReplacedOnce(): void
    {
        $stub = $this->tokenServer(3600);
        $stub->queue('GET', '/v2/teams', new Reply(401, ['error' => ['code' => 'INVALID_TOKEN', 'message' => 'revoked']]));
        self::client($stub)->teams->list();
        self::assertCount(2, self::grants($stub));
        self::assertSame(['Bearer tok_1', 'Bearer tok_2'], self::bearers($stub));
    }

    /** S21: a refused refresh token falls back to a new client_credentials grant. */
    public function testS21ARefusedRefreshTokenFallsBackToClientCredentials(): void
    {
        $stub = $this->tokenServer(1);
        $client = self::client($stub);
        $client->teams->list();
        usleep(1_000_000);
        $stub->queue('POST', '/oauth/token', new Reply(400, ['error' => 'invalid_grant', 'error_description' => 'refresh token revoked']));
        $client->teams->list();
        self::assertSame(
            ['client_credentials', 'refresh_token', 'client_credentials'],
            array_column(self::grants($stub), 'grant_type'),
        );
        self::assertSame(['Bearer tok_1', 'Bearer tok_2'], self::bearers($stub));
    }

    /** S22: a bad client secret throws AuthenticationError (invalid_client); no API call is made. */
    public function testS22BadClientCredentialsRaiseAuthenticationError(): void
    {
        $stub = $this->tokenServer(3600);
        $client = self::client($stub, 'nope');
        $error = self::catch(AuthenticationError::class, static fn () => $client->teams->list());
        self::assertSame('invalid_client', $error->getCode());
        self::assertSame('bad secret', $error->getMessage());
        self::assertSame([], $stub->calls('GET', '/v2/teams'));
    }
}
