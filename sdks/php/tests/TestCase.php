<?php

declare(strict_types=1);

namespace iValid\Tests;

use iValid\Client;
use iValid\Tests\Support\LiveHub;
use iValid\Tests\Support\StubServer;

/** What the SDK's tests share: a stub server per test, the live hubs, catching exceptions. */
abstract class TestCase extends \PHPUnit\Framework\TestCase
{
    /** @var list<StubServer> */
    private array $stubs = [];

    protected function tearDown(): void
    {
        foreach ($this->stubs as $stub) {
            $stub->close();
        }
        $this->stubs = [];
    }

    /** A scripted loopback HTTP server, stopped after the test. */
    protected function stub(): StubServer
    {
        return $this->stubs[] = new StubServer();
    }

    /**
     * A client of a stub server, with a test API key unless told otherwise.
     *
     * @param array<string, mixed> $options
     */
    protected function stubClient(StubServer $stub, array $options = []): Client
    {
        if (!isset($options['client_id'])) {
            $options += ['api_key' => 'key_test'];
        }
        return new Client($options + ['base_url' => $stub->baseUrl()]);
    }

    /** The live hub `$name`, or the test is skipped (phpunit run without the pytest driver). */
    protected function live(string $name = 'live'): LiveHub
    {
        $hub = LiveHub::get($name);
        if ($hub === null) {
            $this->markTestSkipped('no live hub: run through tests/sdk/test_sdk_php.py (make sdk-php)');
        }
        return $hub;
    }

    /**
     * The exception `$call` throws, asserted to be a `$class`.
     *
     * @template E of \Throwable
     * @param class-string<E> $class
     * @return E
     */
    protected static function catch(string $class, callable $call): \Throwable
    {
        try {
            $call();
        } catch (\Throwable $e) {
            self::assertInstanceOf($class, $e, (string) $e);
            return $e;
        }
        self::fail("expected {$class}, nothing was thrown");
    }
}
