<?php

declare(strict_types=1);

namespace iValid\Tests;

use iValid\Exception\SignatureVerificationError;
use iValid\Tests\Support\LiveHub;
use iValid\Webhook;

/** `iValid\Webhook`: the X-iValid-Signature check and the Standard Webhooks check (S50-S59). */
final class WebhookSignatureTest extends TestCase
{
    private const SECRET = 'whsec_your_webhook_secret';
    // The spec's webhook payload, as raw bytes exactly as they arrive.
    private const PAYLOAD = '{"id": "evt_1234567890", "event": "appointment.created", "timestamp": "2025-01-15T14:32:05.000Z", '
        . '"data": {"id": "apt_1234567890", "customer": {"id": "cust_abc123", "name": "Marie Dupont"}, '
        . '"service": {"id": "srv_installation", "name": "Installation Climatisation"}, '
        . '"scheduled_at": "2025-01-20T09:00:00Z", "status": "confirmed"}}';

    private static function standardSecret(): string
    {
        return 'whsec_' . base64_encode(self::key32());
    }

    private static function key32(): string
    {
        return implode('', array_map('chr', range(0, 31)));
    }

    /** What the documentation's Node.js sample computes: 'sha256=' + hex HMAC of the body. */
    private static function nodeSignature(string $payload, string $secret): string
    {
        return 'sha256=' . hash_hmac('sha256', $payload, $secret);
    }

    /**
     * Standard Webhooks headers computed independently of the SDK.
     *
     * @return array<string, string>
     */
    private static function standardHeaders(string $payload, string $key, string $msgId, int $ts): array
    {
        return [
            'webhook-id' => $msgId,
            'webhook-timestamp' => (string) $ts,
            'webhook-signature' => 'v1,' . base64_encode(hash_hmac('sha256', "{$msgId}.{$ts}.{$payload}", $key, true)),
        ];
    }

    /** S50: verify accepts the documented signature; sign produces it. */
    public function testS50VerifyAcceptsTheDocumentedSignature(): void
    {
        self::assertTrue(Webhook::verify(self::PAYLOAD, self::nodeSignature(self::PAYLOAD, self::SECRET), self::SECRET));
        self::assertSame(self::nodeSignature(self::PAYLOAD, self::SECRET), Webhook::sign(self::PAYLOAD, self::SECRET));
        $upper = 'sha256=' . strtoupper(substr(self::nodeSignature(self::PAYLOAD, self::SECRET), 7));
        self::assertTrue(Webhook::verify(self::PAYLOAD, $upper, self::SECRET));
    }

    /** @return array<string, array{string, ?string, string}> */
    public static function rejected(): array
    {
        $good = self::nodeSignature(self::PAYLOAD, self::SECRET);
        return [
            'body-changed' => [self::PAYLOAD . ' ', $good, self::SECRET],
            'wrong-secret' => [self::PAYLOAD, $good, 'whsec_other'],
            'no-prefix' => [self::PAYLOAD, substr($good, 7), self::SECRET],
            'other-algorithm' => [self::PAYLOAD, 'sha1=' . str_repeat('0', 40), self::SECRET],
            'empty' => [self::PAYLOAD, '', self::SECRET],
            'missing' => [self::PAYLOAD, null, self::SECRET],
            'garbage' => [self::PAYLOAD, 'sha256=zz', self::SECRET],
        ];
    }

    /**
     * S51: verify rejects a changed body, a wrong secret, a missing prefix, another algorithm, garbage.
     *
     * @dataProvider rejected
     */
    public function testS51VerifyRejects(string $payload, ?string $signature, string $secret): void
    {
        self::assertFalse(Webhook::verify($payload, $signature, $secret));
    }

    /** S52: verify accepts any one of several secrets (rotation). */
    public function testS52VerifyAcceptsAnyOfSeveralSecrets(): void
    {
        $signature = self::nodeSignature(self::PAYLOAD, 'whsec_new');
        self::assertTrue(Webhook::verify(self::PAYLOAD, $signature, ['whsec_new', 'whsec_old']));
        self::assertFalse(Webhook::verify(self::PAYLOAD, $signature, ['whsec_old']));
    }

    /** @return array<string, array{string, string}> */
    public static function keys(): array
    {
        return [
            'whsec-base64-is-decoded' => [self::standardSecret(), self::key32()],
            'typed-in-secret-is-utf8' => [self::SECRET, self::SECRET],
            'no-prefix-is-utf8' => ['plain secret', 'plain secret'],
        ];
    }

    /**
     * S53: the Standard key is the decoded `whsec_<base64>`, else the secret's bytes; signStandard.
     *
     * @dataProvider keys
     */
    public function testS53VerifyStandardDerivesTheKeyAsTheHubDoes(string $secret, string $key): void
    {
        $now = time();
        $headers = self::standardHeaders(self::PAYLOAD, $key, 'msg_2Lq', $now);
        self::assertTrue(Webhook::verifyStandard(self::PAYLOAD, $headers, $secret));
        self::assertSame($headers['webhook-signature'], Webhook::signStandard(self::PAYLOAD, $secret, 'msg_2Lq', $now));
    }

    /** S54: any listed v1 signature, header names in any case. */
    public function testS54VerifyStandardAcceptsAnyListedSignatureAndAnyHeaderCase(): void
    {
        $now = time();
        $good = self::standardHeaders(self::PAYLOAD, self::key32(), 'msg_1', $now);
        $headers = [
            'Webhook-Id' => 'msg_1',
            'Webhook-Timestamp' => (string) $now,
            'Webhook-Signature' => 'v1,bm90IGl0 ' . $good['webhook-signature'],
        ];
        self::assertTrue(Webhook::verifyStandard(self::PAYLOAD, $headers, self::standardSecret()));
        // PSR-7 style headers: each value a list.
        $lists = array_map(static fn (string $v): array => [$v], $headers);
        self::assertTrue(Webhook::verifyStandard(self::PAYLOAD, $lists, self::standardSecret()));
    }

    /** @return array<string, array{int, bool}> */
    public static function ages(): array
    {
        return ['now' => [0, true], 'just-inside' => [299, true], 'slightly-ahead' => [-299, true], 'too-old-replay' => [301, false], 'too-far-ahead' => [-301, false]];
    }

    /**
     * S55: the timestamp tolerance is 300 s either way, configurable.
     *
     * @dataProvider ages
     */
    public function testS55VerifyStandardEnforcesTheTimestampTolerance(int $age, bool $ok): void
    {
        $now = 1_800_000_000;
        $headers = self::standardHeaders(self::PAYLOAD, self::key32(), 'msg_1', $now - $age);
        self::assertSame($ok, Webhook::verifyStandard(self::PAYLOAD, $headers, self::standardSecret(), now: $now));
        self::assertTrue(Webhook::verifyStandard(self::PAYLOAD, $headers, self::standardSecret(), 600, $now));
    }

    /** S56: a changed body, another id, a wrong secret, any missing header, a bad timestamp. */
    public function testS56VerifyStandardRejectsTamperingAndMissingHeaders(): void
    {
        $now = time();
        $secret = self::standardSecret();
        $headers = self::standardHeaders(self::PAYLOAD, self::key32(), 'msg_1', $now);
        self::assertFalse(Webhook::verifyStandard(self::PAYLOAD . 'x', $headers, $secret));
        self::assertFalse(Webhook::verifyStandard(self::PAYLOAD, ['webhook-id' => 'msg_2'] + $headers, $secret));
        self::assertFalse(Webhook::verifyStandard(self::PAYLOAD, $headers, 'whsec_' . str_repeat('A', 44)));
        foreach (array_keys($headers) as $name) {
            $partial = $headers;
            unset($partial[$name]);
            self::assertFalse(Webhook::verifyStandard(self::PAYLOAD, $partial, $secret), $name);
        }
        self::assertFalse(Webhook::verifyStandard(self::PAYLOAD, ['webhook-timestamp' => 'yesterday'] + $headers, $secret));
    }

    /** S57: constructEvent prefers the Standard headers; a stale timestamp is refused. */
    public function testS57ConstructEventPrefersStandardHeaders(): void
    {
        $now = time();
        $headers = self::standardHeaders(self::PAYLOAD, self::key32(), 'msg_1', $now)
            + ['X-iValid-Signature' => 'sha256=deadbeef']; // ignored: the Standard headers are checked
        $event = Webhook::constructEvent(self::PAYLOAD, $headers, self::standardSecret());
        self::assertSame('appointment.created', $event->event);
        self::assertSame('Marie Dupont', $event->data->customer->name);

        $stale = self::standardHeaders(self::PAYLOAD, self::key32(), 'msg_1', $now - 3600);
        $error = self::catch(SignatureVerificationError::class, static fn () => Webhook::constructEvent(self::PAYLOAD, $stale, self::standardSecret()));
        self::assertStringContainsString('webhook-timestamp', $error->getMessage());
    }

    /** S58: constructEvent falls back to X-iValid-Signature; wrong secret or no header throw. */
    public function testS58ConstructEventFallsBackToTheIValidSignature(): void
    {
        $headers = ['x-ivalid-signature' => self::nodeSignature(self::PAYLOAD, self::SECRET)];
        self::assertSame('evt_1234567890', Webhook::constructEvent(self::PAYLOAD, $headers, self::SECRET)->id);
        self::catch(SignatureVerificationError::class, static fn () => Webhook::constructEvent(self::PAYLOAD, $headers, 'whsec_wrong'));
        self::catch(SignatureVerificationError::class, static fn () => Webhook::constructEvent(self::PAYLOAD, [], self::SECRET));
    }

    /** S59: the SDK verifies what the hub signs (new and rotated-out secret), and the hub what the SDK signs. */
    public function testS59TheSdkVerifiesWhatTheHubSigns(): void
    {
        $python = LiveHub::hubs()['python'] ?? null;
        if (!is_string($python)) {
            $this->markTestSkipped("the hub's Python is unknown: run through tests/sdk/test_sdk_php.py");
        }
        $old = 'whsec_typed_in_by_hand';
        $now = time();
        $signed = self::python($python, <<<'PY'
            import json, sys
            from hub.events import signing
            args = json.load(sys.stdin)
            new = signing.generate_secret()
            headers = signing.delivery_headers(
                "appointment.created", "dlv_1", "msg_1", args["now"], args["payload"].encode(), [new, args["old"]]
            )
            print(json.dumps({"secret": new, "headers": headers}))
            PY, ['now' => $now, 'payload' => self::PAYLOAD, 'old' => $old]);
        $new = $signed['secret'];
        $headers = $signed['headers'];
        self::assertTrue(Webhook::verify(self::PAYLOAD, $headers['X-iValid-Signature'], $new));
        self::assertTrue(Webhook::verifyStandard(self::PAYLOAD, $headers, $new));
        self::assertTrue(Webhook::verifyStandard(self::PAYLOAD, $headers, $old)); // the rotated-out secret still signs
        self::assertSame('evt_1234567890', Webhook::constructEvent(self::PAYLOAD, $headers, $new)->id);
        self::assertFalse(Webhook::verifyStandard(self::PAYLOAD, $headers, 'whsec_' . base64_encode(random_bytes(32))));

        // And the other way round: what the SDK signs, the hub's own verifier accepts.
        $sdkHeaders = [
            'webhook-id' => 'msg_2',
            'webhook-timestamp' => (string) $now,
            'webhook-signature' => Webhook::signStandard(self::PAYLOAD, $new, 'msg_2', $now),
        ];
        $verdict = self::python($python, <<<'PY'
            import json, sys
            from hub.events import signing
            args = json.load(sys.stdin)
            try:
                signing.verify_standard(args["headers"], args["payload"].encode(), [args["secret"]])
                print(json.dumps({"ok": True}))
            except signing.WebhookVerificationError as exc:
                print(json.dumps({"ok": False, "why": str(exc)}))
            PY, ['headers' => $sdkHeaders, 'payload' => self::PAYLOAD, 'secret' => $new]);
        self::assertSame(['ok' => true], $verdict);
        $tampered = self::python($python, <<<'PY'
            import json, sys
            from hub.events import signing
            args = json.load(sys.stdin)
            try:
                signing.verify_standard(args["headers"], args["payload"].encode(), [args["secret"]])
                print(json.dumps({"ok": True}))
            except signing.WebhookVerificationError as exc:
                print(json.dumps({"ok": False}))
            PY, ['headers' => $sdkHeaders, 'payload' => self::PAYLOAD . ' ', 'secret' => $new]);
        self::assertSame(['ok' => false], $tampered);
    }

    /**
     * Run a Python snippet with the hub importable; JSON in on stdin, JSON out on stdout.
     *
     * @param array<string, mixed> $input
     * @return array<string, mixed>
     */
    private static function python(string $python, string $code, array $input): array
    {
        $process = proc_open([$python, '-c', $code], [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        self::assertIsResource($process);
        fwrite($pipes[0], json_encode($input, JSON_THROW_ON_ERROR));
        fclose($pipes[0]);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        self::assertSame(0, proc_close($process), (string) $err);
        return json_decode((string) $out, true, 512, JSON_THROW_ON_ERROR);
    }
}
