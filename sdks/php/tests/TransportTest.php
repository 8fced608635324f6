<?php

declare(strict_types=1);

namespace iValid\Tests;

use iValid\Exception\APIConnectionError;
use iValid\Exception\APIError;
use iValid\Exception\AuthenticationError;
use iValid\Exception\BadRequestError;
use iValid\Exception\ConflictError;
use iValid\Exception\IdempotencyError;
use iValid\Exception\InvalidStatusTransition;
use iValid\Exception\IValidError;
use iValid\Exception\NotFoundError;
use iValid\Exception\PermissionDeniedError;
use iValid\Exception\RateLimitError;
use iValid\Exception\ServerError;
use iValid\Exception\SlotNotAvailable;
use iValid\Exception\ValidationError;
use iValid\Tests\Support\Reply;
use iValid\Tests\Support\StubServer;

/**
 * Retries, idempotency keys and error mapping over real HTTP to a loopback stub (S07-S17).
 *
 * No mocks: the SDK talks to `StubServer`, a real server answering from a script, so what is
 * tested is what goes over the wire.
 */
final class TransportTest extends TestCase
{
    public const APPOINTMENT = [
        'id' => 'apt_1',
        'customer' => ['id' => 'cust_1', 'name' => 'Marie Dupont'],
        'service' => ['id' => 'srv_1', 'name' => 'Installation Climatisation', 'duration' => 120],
        'technician' => ['id' => 'tech_1', 'name' => 'Jean Martin'],
        'scheduled_at' => '2025-01-20T09:00:00Z',
        'status' => 'pending',
        'location' => ['postal_code' => '75001', 'coordinates' => ['lat' => 48.8566, 'lng' => 2.3522]],
    ];

    private const CREATE = [
        'customer_id' => 'cust_1',
        'service_id' => 'srv_1',
        'scheduled_at' => '2025-01-20T09:00:00Z',
    ];

    private static function rateLimited(string $retryAfter = '1'): Reply
    {
        return new Reply(429, ['error' => ['code' => 'RATE_LIMIT_EXCEEDED', 'message' => 'Trop de requêtes']], ['Retry-After' => $retryAfter]);
    }

    /** S07: a 429 is retried after Retry-After (the SDK waits at least that long). */
    public function testS07A429IsRetriedAfterRetryAfter(): void
    {
        $stub = $this->stub();
        $stub->queue('GET', '/v2/appointments/apt_1', self::rateLimited('1'), new Reply(200, self::APPOINTMENT));
        $client = $this->stubClient($stub, ['max_retries' => 2]);
        $started = microtime(true);
        $appointment = $client->appointments->get('apt_1');
        $elapsed = microtime(true) - $started;
        self::assertSame('apt_1', $appointment->id);
        self::assertCount(2, $stub->received());
        self::assertGreaterThanOrEqual(0.95, $elapsed, 'the SDK must wait for Retry-After before retrying');
    }

    /** S08: a 429 on a POST is retried with the same generated Idempotency-Key; the body is the params. */
    public function testS08A429PostIsRetriedWithTheSameIdempotencyKey(): void
    {
        $stub = $this->stub();
        $stub->queue('POST', '/v2/appointments', self::rateLimited('0'), new Reply(201, self::APPOINTMENT));
        $this->stubClient($stub)->appointments->create(self::CREATE);
        [$first, $second] = $stub->calls('POST', '/v2/appointments');
        self::assertSame($first->header('Idempotency-Key'), $second->header('Idempotency-Key'));
        self::assertGreaterThanOrEqual(32, strlen((string) $first->header('Idempotency-Key')));
        self::assertSame(self::CREATE, $first->json());
        self::assertSame('{"customer_id":"cust_1","service_id":"srv_1","scheduled_at":"2025-01-20T09:00:00Z"}', $first->body);
    }

    /** S09: past max_retries a 429 throws RateLimitError after max_retries + 1 requests. */
    public function testS09A429GivesUpAfterMaxRetries(): void
    {
        $stub = $this->stub();
        $stub->queue('GET', '/v2/events', self::rateLimited('0'), self::rateLimited('0'), self::rateLimited('0'));
        $client = $this->stubClient($stub, ['max_retries' => 1]);
        $error = self::catch(RateLimitError::class, static fn () => $client->events->list());
        self::assertCount(2, $stub->received());
        self::assertSame(429, $error->getHttpStatus());
        self::assertSame('RATE_LIMIT_EXCEEDED', $error->getCode());
        self::assertSame(0.0, $error->getRetryAfter());
        self::assertSame('req_stub2', $error->getRequestId());
    }

    /** S10: a Retry-After longer than 60 s is not slept through. */
    public function testS10ARetryAfterLongerThanAMinuteIsNotSleptThrough(): void
    {
        $stub = $this->stub();
        $stub->queue('GET', '/v2/events', self::rateLimited('3600'));
        $client = $this->stubClient($stub, ['max_retries' => 3]);
        $error = self::catch(RateLimitError::class, static fn () => $client->events->list());
        self::assertCount(1, $stub->received());
        self::assertSame(3600.0, $error->getRetryAfter());
    }

    /** S11: 502/503/504 are retried for GET and POST, not for DELETE. */
    public function testS11ServerErrorsAreRetriedForGetAndPostButNotDelete(): void
    {
        $busy = new Reply(503, ['error' => ['code' => 'UNAVAILABLE', 'message' => 'busy']], ['Retry-After' => '0']);
        $stub = $this->stub();
        $stub->queue('GET', '/v2/services', $busy, new Reply(200, ['data' => [], 'meta' => new \stdClass()]));
        $stub->queue('POST', '/v2/appointments/apt_1/confirm', $busy, new Reply(200, self::APPOINTMENT));
        $stub->queue('DELETE', '/v2/appointments/apt_1', $busy);
        $client = $this->stubClient($stub);
        $client->services->list();
        $client->appointments->confirm('apt_1');
        $error = self::catch(ServerError::class, static fn () => $client->appointments->cancel('apt_1'));
        self::assertSame(503, $error->getHttpStatus());
        self::assertCount(2, $stub->calls('GET', '/v2/services'));
        self::assertCount(2, $stub->calls('POST', '/v2/appointments/apt_1/confirm'));
        self::assertCount(1, $stub->calls('DELETE', '/v2/appointments/apt_1'));
    }

    /** S12: a dropped connection is retried for a POST, with the same Idempotency-Key. */
    public function testS12ADroppedConnectionIsRetriedForPostWithTheSameKey(): void
    {
        $stub = $this->stub();
        $stub->queue('POST', '/v2/customers', Reply::dropped(), new Reply(201, ['id' => 'cust_9']));
        $customer = $this->stubClient($stub)->customers->create(['first_name' => 'Marie', 'last_name' => 'Dupont']);
        self::assertSame('cust_9', $customer->id);
        [$first, $second] = $stub->calls('POST', '/v2/customers');
        self::assertSame($first->header('Idempotency-Key'), $second->header('Idempotency-Key'));
    }

    /** S12: a dropped connection is not retried for a DELETE. */
    public function testS12ADroppedConnectionIsNotRetriedForDelete(): void
    {
        $stub = $this->stub();
        $stub->queue('DELETE', '/v2/webhooks/wh_1', Reply::dropped());
        $client = $this->stubClient($stub);
        self::catch(APIConnectionError::class, static fn () => $client->webhooks->delete('wh_1'));
        self::assertCount(1, $stub->received());
    }

    /** S13: an unreachable server throws APIConnectionError with no HTTP status. */
    public function testS13AnUnreachableServerRaisesApiConnectionError(): void
    {
        $stub = new StubServer();
        $baseUrl = $stub->baseUrl();
        $stub->close(); // nothing listens on that port any more
        $client = new \iValid\Client(['api_key' => 'k', 'base_url' => $baseUrl, 'max_retries' => 1]);
        $error = self::catch(APIConnectionError::class, static fn () => $client->teams->list());
        self::assertNull($error->getHttpStatus());
        self::assertInstanceOf(IValidError::class, $error);
    }

    /** S14: a caller-supplied idempotency key is sent as given. */
    public function testS14ACallerSuppliedIdempotencyKeyIsSent(): void
    {
        $stub = $this->stub();
        $stub->queue('POST', '/v2/appointments', new Reply(201, self::APPOINTMENT));
        $this->stubClient($stub)->appointments->create(self::CREATE, ['idempotency_key' => 'order-42']);
        self::assertSame('order-42', $stub->received()[0]->header('Idempotency-Key'));
    }

    /** @return array<string, array{int, ?string, class-string<APIError>}> */
    public static function errorCases(): array
    {
        return [
            '400' => [400, 'BAD_REQUEST', BadRequestError::class],
            '401' => [401, 'INVALID_TOKEN', AuthenticationError::class],
            '403' => [403, 'INSUFFICIENT_SCOPE', PermissionDeniedError::class],
            '404' => [404, 'NOT_FOUND', NotFoundError::class],
            '409-slot' => [409, 'SLOT_NOT_AVAILABLE', SlotNotAvailable::class],
            '409-status' => [409, 'INVALID_STATUS_TRANSITION', InvalidStatusTransition::class],
            '409-other' => [409, 'SOMETHING_NEW', ConflictError::class],
            '422' => [422, 'VALIDATION_ERROR', ValidationError::class],
            '422-idem' => [422, 'IDEMPOTENCY_KEY_REUSED', IdempotencyError::class],
            '500' => [500, 'INTERNAL_ERROR', ServerError::class],
            'unknown' => [418, null, APIError::class],
        ];
    }

    /**
     * S15: errors map to one hierarchy carrying status, code, message, details, suggestions, request id.
     *
     * @dataProvider errorCases
     * @param class-string<APIError> $class
     */
    public function testS15ErrorsMapToOneHierarchy(int $status, ?string $code, string $class): void
    {
        $body = ['error' => [
            'code' => $code,
            'message' => "Le créneau demandé n'est plus disponible",
            'details' => ['errors' => [['field' => 'email', 'reason' => 'invalid']]],
            'suggestions' => [['slot' => '2025-01-20T14:00:00Z', 'technician_id' => 'tech_xyz789']],
        ]];
        $stub = $this->stub();
        $stub->queue('POST', '/v2/appointments/apt_1/complete', new Reply($status, $body));
        $client = $this->stubClient($stub, ['max_retries' => 0]);
        $error = self::catch($class, static fn () => $client->appointments->complete('apt_1'));
        self::assertSame($class, $error::class);
        self::assertInstanceOf(IValidError::class, $error);
        self::assertSame($status, $error->getHttpStatus());
        self::assertSame($status, $error->httpStatus);
        self::assertSame($code, $error->getCode());
        self::assertSame("Le créneau demandé n'est plus disponible", $error->getMessage());
        self::assertSame('email', $error->getDetails()['errors'][0]['field']);
        self::assertSame('tech_xyz789', $error->getSuggestions()[0]['technician_id']);
        self::assertStringStartsWith('req_stub', (string) $error->getRequestId());
        self::assertStringContainsString((string) $status, $error->describe());
        self::assertStringContainsString((string) $error->getRequestId(), (string) $error);
    }

    /** S16: an error answer without a JSON body still throws the class of its status. */
    public function testS16ANonJsonErrorBodyStillRaisesTheRightError(): void
    {
        $stub = $this->stub();
        $stub->queue('GET', '/v2/teams/team_1', new Reply(404, null));
        $client = $this->stubClient($stub);
        $error = self::catch(NotFoundError::class, static fn () => $client->teams->get('team_1'));
        self::assertSame(404, $error->getHttpStatus());
    }

    /** S17 (no server): an error prints its status, code, message and request id. */
    public function testS17ErrorsPrintStatusCodeAndRequestId(): void
    {
        $error = new SlotNotAvailable(
            "Le créneau demandé n'est plus disponible",
            409,
            'SLOT_NOT_AVAILABLE',
            suggestions: [['slot' => '2025-01-20T14:00:00Z', 'technician_id' => 'tech_xyz789']],
            requestId: 'req_1',
        );
        $expected = "409 SLOT_NOT_AVAILABLE: Le créneau demandé n'est plus disponible (request req_1)";
        self::assertSame($expected, $error->describe());
        self::assertStringContainsString(SlotNotAvailable::class . ': ' . $expected, (string) $error);
        self::assertInstanceOf(ConflictError::class, $error);
        self::assertInstanceOf(APIError::class, $error);
        self::assertSame('2025-01-20T14:00:00Z', $error->getSuggestions()[0]['slot']);
        self::assertSame('2025-01-20T14:00:00Z', $error->suggestions[0]['slot']);
    }
}
