<?php

declare(strict_types=1);

namespace iValid\Tests;

use iValid\Client;
use iValid\Model\Appointment;
use iValid\Page;

/** The API documentation's PHP example, run as printed against a live hub (S05, S06). */
final class SpecExampleTest extends TestCase
{
    /** The shell line the documentation prints above the code; the README shows it as a command. */
    private const COMPOSER_LINE = 'composer require ivalid/sdk';

    private static function readme(): string
    {
        return (string) file_get_contents(__DIR__ . '/../README.md');
    }

    /** The PHP block of the spec (`php-example.php`), or the README's copy of it. */
    private static function specExample(): string
    {
        $spec = __DIR__ . '/../../../../shared/spec/ivalid-api-v2.md';
        $text = is_file($spec) ? (string) file_get_contents($spec) : self::readme();
        self::assertSame(1, preg_match('/`php-example\.php`\s*```php\n(.*?)```/s', $text, $match), 'no php-example.php block');
        return $match[1];
    }

    /** The example minus its `composer require` line, which is a shell command, not PHP. */
    private static function runnable(string $block): string
    {
        $lines = explode("\n", $block);
        self::assertSame(self::COMPOSER_LINE, trim($lines[0]));
        return ltrim(implode("\n", array_slice($lines, 1)));
    }

    /** S06: the README shows the spec's example verbatim, install line included. */
    public function testS06TheReadmeShowsTheSpecExampleVerbatim(): void
    {
        self::assertStringContainsString(self::specExample(), self::readme());
        self::assertStringContainsString(self::COMPOSER_LINE, self::readme());
    }

    /** S06: every PHP block of the README is valid PHP (`php -l`). */
    public function testS06EveryReadmePhpBlockIsValidPhp(): void
    {
        preg_match_all('/```php\n(.*?)```/s', self::readme(), $matches);
        self::assertGreaterThanOrEqual(5, count($matches[1]));
        foreach ($matches[1] as $block) {
            if (str_starts_with($block, self::COMPOSER_LINE)) {
                $block = self::runnable($block);
            }
            if (!str_starts_with(ltrim($block), '<?php')) {
                $block = "<?php\n" . $block;
            }
            $file = tempnam(sys_get_temp_dir(), 'readme') . '.php';
            file_put_contents($file, $block);
            exec(sprintf('%s -l %s 2>&1', escapeshellarg(PHP_BINARY), escapeshellarg($file)), $output, $status);
            unlink($file);
            self::assertSame(0, $status, implode("\n", $output) . "\n" . $block);
        }
    }

    /** S05: the spec's example runs as printed; only the placeholders and the base URL differ. */
    public function testS05TheSpecPhpExampleRunsAsPrinted(): void
    {
        $live = $this->live();
        $code = self::runnable(self::specExample());
        // What is substituted, and nothing else: the demo account's credentials and ids replace
        // the documentation's placeholders (cust_abc123 / srv_installation are not real ids on a
        // fresh server), and the base URL reaches the test server through IVALID_BASE_URL, which
        // the Client reads, so 'environment' => 'production' stays as printed.
        $substitutions = [
            "'your_api_key'" => var_export($live->apiKey(), true),
            "'cust_abc123'" => var_export((string) $live->demo['customer_id'], true),
            "'srv_installation'" => var_export((string) $live->demo['service_id'], true),
        ];
        foreach ($substitutions as $placeholder => $value) {
            self::assertSame(1, substr_count($code, $placeholder), $placeholder);
            $code = str_replace($placeholder, $value, $code);
        }
        $saved = getenv('IVALID_BASE_URL');
        putenv("IVALID_BASE_URL={$live->baseUrl}");
        $file = tempnam(sys_get_temp_dir(), 'php-example') . '.php';
        file_put_contents($file, $code);
        try {
            // The example's variables ($client, $appointments, $newAppointment) land here.
            require $file;
        } finally {
            unlink($file);
            putenv($saved === false ? 'IVALID_BASE_URL' : "IVALID_BASE_URL={$saved}");
        }

        self::assertInstanceOf(Client::class, $client);
        self::assertSame($live->baseUrl, $client->baseUrl);
        self::assertSame('production', $client->environment);
        self::assertInstanceOf(Page::class, $appointments);
        self::assertSame(1, $appointments->meta->page);
        foreach ($appointments->data as $appointment) {
            self::assertSame('confirmed', $appointment->status);
        }

        self::assertInstanceOf(Appointment::class, $newAppointment);
        self::assertStringStartsWith('apt_', $newAppointment->id);
        self::assertSame($live->demo['customer_id'], $newAppointment->customer->id);
        self::assertSame('Marie Dupont', $newAppointment->customer->name);
        self::assertSame('Installation Climatisation', $newAppointment->service->name);
        self::assertSame('2025-01-20T09:00:00Z', $newAppointment->scheduled_at);
        self::assertNotNull($newAppointment->technician); // the hub chose one
        self::assertEquals($newAppointment, $client->appointments->get($newAppointment->id));
    }
}
