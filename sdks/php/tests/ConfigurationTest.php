<?php

declare(strict_types=1);

namespace iValid\Tests;

use iValid\Client;
use iValid\Model\Appointment;
use iValid\Tests\Support\Reply;

/** Base URLs, credentials, headers and the version (scenarios S01-S04 of sdks/SCENARIOS.md). */
final class ConfigurationTest extends TestCase
{
    private const ENV = ['IVALID_BASE_URL', 'IVALID_API_KEY', 'IVALID_CLIENT_ID', 'IVALID_CLIENT_SECRET'];

    /** @var array<string, string|false> */
    private array $saved = [];

    protected function setUp(): void
    {
        foreach (self::ENV as $name) {
            $this->saved[$name] = getenv($name);
            putenv($name);
        }
    }

    protected function tearDown(): void
    {
        foreach ($this->saved as $name => $value) {
            putenv($value === false ? $name : "{$name}={$value}");
        }
        parent::tearDown();
    }

    /** S01: environment, IVALID_BASE_URL and base_url pick the server and its token URL. */
    public function testS01EnvironmentAndBaseUrlResolution(): void
    {
        self::assertSame('https://api.ivalid.fr/v2', (new Client(['api_key' => 'k']))->baseUrl);
        $sandbox = new Client(['api_key' => 'k', 'environment' => 'sandbox']);
        self::assertSame('https://sandbox.api.ivalid.fr/v2', $sandbox->baseUrl);
        self::assertSame('https://sandbox.api.ivalid.fr/oauth/token', $sandbox->tokenUrl);

        putenv('IVALID_BASE_URL=http://127.0.0.1:8000/v2/');
        $fromEnv = new Client(['api_key' => 'k', 'environment' => 'production']);
        self::assertSame('http://127.0.0.1:8000/v2', $fromEnv->baseUrl);
        self::assertSame('http://127.0.0.1:8000/oauth/token', $fromEnv->tokenUrl);

        $explicit = new Client(['api_key' => 'k', 'base_url' => 'https://hub.example.org/ivalid/v2']);
        self::assertSame('https://hub.example.org/ivalid/v2', $explicit->baseUrl);
        self::assertSame('https://hub.example.org/ivalid/oauth/token', $explicit->tokenUrl);

        $this->expectException(\InvalidArgumentException::class);
        $this->expectExceptionMessageMatches('/environment/');
        new Client(['api_key' => 'k', 'environment' => 'staging']);
    }

    /** S01: a misspelt option is refused rather than silently ignored. */
    public function testS01UnknownOptionsAreRefused(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        $this->expectExceptionMessageMatches('/apiKey/');
        new Client(['apiKey' => 'k']);
    }

    /** S02: credentials are required; IVALID_API_KEY or IVALID_CLIENT_ID + _SECRET suffice. */
    public function testS02CredentialsAreRequired(): void
    {
        $error = self::catch(\InvalidArgumentException::class, static fn () => new Client());
        self::assertStringContainsString('credentials', $error->getMessage());

        putenv('IVALID_API_KEY=from-env');
        self::assertSame('https://api.ivalid.fr/v2', (new Client())->baseUrl);
        putenv('IVALID_API_KEY');
        putenv('IVALID_CLIENT_ID=cid');
        putenv('IVALID_CLIENT_SECRET=secret');
        self::assertInstanceOf(Client::class, new Client());
    }

    /** S03: the API key is the bearer; JSON headers; no Idempotency-Key on a GET; typed fields. */
    public function testS03ApiKeyIsTheBearerAndRequestsAreJson(): void
    {
        $stub = $this->stub();
        $stub->queue('GET', '/v2/appointments/apt_1', new Reply(200, TransportTest::APPOINTMENT));
        $appointment = $this->stubClient($stub)->appointments->get('apt_1');

        [$request] = $stub->received();
        self::assertSame('Bearer key_test', $request->header('Authorization'));
        self::assertSame('application/json', $request->header('Accept'));
        self::assertStringStartsWith('ivalid-php/' . Client::VERSION, (string) $request->header('User-Agent'));
        self::assertNull($request->header('Idempotency-Key'));

        self::assertInstanceOf(Appointment::class, $appointment);
        self::assertSame('apt_1', $appointment->id);
        self::assertSame('pending', $appointment['status']);
        self::assertSame('Jean Martin', $appointment->technician->name);
        self::assertSame(48.8566, $appointment->location->coordinates->lat);
        self::assertNull($appointment->notes); // a documented field the server left out
    }

    /** S04: the SDK's version is the Python SDK's, in the code and in composer.json. */
    public function testS04VersionMovesWithThePythonSdk(): void
    {
        $python = (string) file_get_contents(__DIR__ . '/../../python/ivalid/_version.py');
        self::assertMatchesRegularExpression('/__version__ = "([^"]+)"/', $python);
        preg_match('/__version__ = "([^"]+)"/', $python, $match);
        self::assertSame($match[1], Client::VERSION);
        $composer = json_decode((string) file_get_contents(__DIR__ . '/../composer.json'), true);
        self::assertSame($match[1], $composer['version']);
        self::assertSame('ivalid/sdk', $composer['name']);
    }
}
