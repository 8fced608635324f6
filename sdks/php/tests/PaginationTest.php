<?php

declare(strict_types=1);

namespace iValid\Tests;

use iValid\IValidObject;
use iValid\Model\Appointment;
use iValid\Model\Customer;
use iValid\Model\PageMeta;
use iValid\Model\Technician;
use iValid\Model\WorkingHours;
use iValid\Page;
use iValid\Tests\Support\Received;
use iValid\Tests\Support\Reply;

/** Pages, query encoding and the objects the SDK returns (S23, S24, S26). */
final class PaginationTest extends TestCase
{
    private const SPEC_APPOINTMENT = '{"id":"apt_1234567890","customer":{"id":"cust_abc123","name":"Marie Dupont",'
        . '"email":"marie@example.com","phone":"+33612345678"},"service":{"id":"srv_installation",'
        . '"name":"Installation Climatisation","duration":120,"price":150.0},"technician":{"id":"tech_xyz789",'
        . '"name":"Jean Martin"},"scheduled_at":"2025-01-20T09:00:00Z","status":"confirmed","location":'
        . '{"address":"15 rue des Lilas","city":"Paris","postal_code":"75001","coordinates":{"lat":48.8566,'
        . '"lng":2.3522}},"custom":{},"a_field_added_later":{"nested":[{"x":1}]}}';

    /** S23: iterating a page walks every page, fetching page n+1 only when page n is used up. */
    public function testS23IteratingAPageFetchesTheNextPagesLazily(): void
    {
        $stub = $this->stub();
        $stub->default('GET', '/v2/customers', static function (Received $request): Reply {
            $query = $request->query();
            $number = (int) ($query['page'] ?? 1);
            $size = (int) ($query['per_page'] ?? 10);
            $ids = array_slice(range(1, 25), ($number - 1) * $size, $size);
            return new Reply(200, [
                'data' => array_map(static fn (int $i): array => ['id' => "cust_{$i}"], $ids),
                'meta' => ['total' => 25, 'page' => $number, 'per_page' => $size, 'total_pages' => 3],
            ]);
        });
        $client = $this->stubClient($stub);
        $first = $client->customers->list(['tag' => 'premium', 'per_page' => 10]);
        self::assertSame(['cust_1', 'cust_2'], array_slice(array_map(static fn ($c) => $c->id, $first->data), 0, 2));
        self::assertSame([25, 3], [$first->meta->total, $first->meta->total_pages]);
        self::assertTrue($first->hasMore());
        self::assertCount(1, $stub->received());

        $walk = $first->autoPagingIterator();
        $taken = [];
        foreach ($walk as $customer) {
            $taken[] = $customer->id;
            if (count($taken) === 11) {
                break;
            }
        }
        self::assertSame('cust_11', end($taken));
        self::assertCount(2, $stub->received(), 'page 2 is fetched only when page 1 is used up');

        $everything = [];
        foreach ($first as $customer) {
            self::assertInstanceOf(Customer::class, $customer);
            $everything[] = $customer->id;
        }
        self::assertSame(array_map(static fn (int $i): string => "cust_{$i}", range(1, 25)), $everything);

        $second = $stub->received()[1]->query();
        self::assertSame(['tag' => 'premium', 'per_page' => '10', 'page' => '2'], $second);
    }

    /** S24: dates and date-times are encoded (UTC `Z`, URL-encoded), nulls dropped. */
    public function testS24QueryValuesAreEncoded(): void
    {
        $stub = $this->stub();
        $stub->default('GET', '/v2/events', static fn (): Reply => new Reply(200, ['data' => [], 'meta' => new \stdClass()]));
        $stub->default('GET', '/v2/availability', static fn (): Reply => new Reply(200, ['date' => '2025-01-01', 'slots' => []]));
        $client = $this->stubClient($stub);
        $page = $client->events->list([
            'type' => 'appointment.created',
            'date_from' => '2025-01-01',
            'date_to' => new \DateTimeImmutable('2025-01-31 13:30:00', new \DateTimeZone('Europe/Paris')),
            'per_page' => null,
        ]);
        self::assertSame([], iterator_to_array($page));
        $query = $stub->received()[0]->queryString();
        self::assertStringContainsString('date_from=2025-01-01', $query);
        self::assertStringContainsString('date_to=2025-01-31T12%3A30%3A00Z', $query);
        self::assertStringNotContainsString('per_page', $query);

        // A calendar-day parameter given a date-time keeps only its date.
        $client->availability->get([
            'service_id' => 'srv_1',
            'date' => new \DateTimeImmutable('2025-01-01 08:00:00', new \DateTimeZone('UTC')),
            'postal_code' => '75001',
            'technician_id' => null,
        ]);
        self::assertSame(
            ['service_id' => 'srv_1', 'date' => '2025-01-01', 'postal_code' => '75001'],
            $stub->received()[1]->query(),
        );
    }

    /** S26: fields read as properties and keys; nested objects are typed. */
    public function testS26FieldsReadAsPropertiesAndAsKeys(): void
    {
        $apt = Appointment::constructFrom(json_decode(self::SPEC_APPOINTMENT));
        self::assertSame('apt_1234567890', $apt->id);
        self::assertSame('apt_1234567890', $apt['id']);
        self::assertSame('Marie Dupont', $apt->customer->name);
        self::assertSame(150.0, $apt->service->price);
        self::assertSame(2.3522, $apt->location->coordinates->lng);
        self::assertSame('iValid\Model\AppointmentCustomer', $apt->customer::class);
    }

    /** S26: unknown fields are kept; a documented missing field is null; an unknown name warns. */
    public function testS26UnknownFieldsAreKeptAndMissingDocumentedOnesReadNull(): void
    {
        $apt = Appointment::constructFrom(json_decode(self::SPEC_APPOINTMENT));
        self::assertSame(1, $apt['a_field_added_later']['nested'][0]->x);
        self::assertNull($apt->notes);
        self::assertFalse(isset($apt['notes']));
        $warnings = [];
        set_error_handler(static function (int $level, string $message) use (&$warnings): bool {
            $warnings[] = [$level, $message];
            return true;
        });
        try {
            $value = $apt->not_a_field; // @phpstan-ignore-line
        } finally {
            restore_error_handler();
        }
        self::assertNull($value);
        self::assertSame([[E_USER_WARNING, 'Undefined property: iValid\Model\Appointment::$not_a_field']], $warnings);
    }

    /** S26: an object serialises back to the JSON received; clones are deep. */
    public function testS26ObjectsStayPlainJson(): void
    {
        $apt = Appointment::constructFrom(json_decode(self::SPEC_APPOINTMENT));
        self::assertSame(self::SPEC_APPOINTMENT, json_encode($apt, JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION));
        self::assertSame(json_decode(self::SPEC_APPOINTMENT, true), $apt->toArray());
        self::assertIsArray($apt->toArray()['customer']);
        self::assertEquals($apt, unserialize(serialize($apt)));
        $clone = clone $apt;
        $clone->customer->name = 'Marie Martin';
        self::assertSame('Marie Dupont', $apt->customer->name);
        self::assertSame('Marie Martin', $clone['customer']['name']);
        self::assertStringContainsString('apt_1234567890', (string) $apt);
    }

    /** S26: working hours are typed per weekday. */
    public function testS26WorkingHoursAreTypedPerDay(): void
    {
        $tech = Technician::constructFrom(json_decode('{"id":"tech_1","working_hours":{"monday":{"start":"08:00","end":"18:00"}}}'));
        self::assertSame('18:00', $tech->working_hours['monday']->end);
        self::assertInstanceOf(WorkingHours::class, $tech->working_hours['monday']);
        self::assertInstanceOf(IValidObject::class, $tech->working_hours);
    }

    /** S26: a page reads and serialises like the JSON list `{data, meta}`. */
    public function testS26APageReadsLikeTheJsonList(): void
    {
        $meta = ['total' => 42, 'page' => 1, 'per_page' => 10, 'total_pages' => 5];
        $page = new Page([Appointment::constructFrom(json_decode(self::SPEC_APPOINTMENT))], PageMeta::constructFrom($meta));
        self::assertSame(42, $page['meta']['total']);
        self::assertSame(5, $page->meta->total_pages);
        self::assertTrue($page->hasMore());
        self::assertNull($page->nextPage()); // a page built by hand cannot fetch
        self::assertSame(['data' => [json_decode(self::SPEC_APPOINTMENT, true)], 'meta' => $meta], $page->toArray());
        self::assertSame(
            '{"data":[' . self::SPEC_APPOINTMENT . '],"meta":' . json_encode($meta) . '}',
            json_encode($page, JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION),
        );
        self::assertStringContainsString('1/5', (string) $page);
        self::assertCount(1, $page);
    }
}
