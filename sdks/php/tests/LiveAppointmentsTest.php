<?php

declare(strict_types=1);

namespace iValid\Tests;

use iValid\Client;
use iValid\Exception\ConflictError;
use iValid\Exception\IdempotencyError;
use iValid\Exception\InvalidStatusTransition;
use iValid\Exception\NotFoundError;
use iValid\Exception\SlotNotAvailable;
use iValid\Exception\ValidationError;
use iValid\Model\Appointment;
use iValid\Model\AvailabilityCheck;
use iValid\Model\AvailabilityDay;
use iValid\Tests\Support\Dates;
use iValid\Tests\Support\LiveHub;

/** Appointments, availability, conflicts and idempotency against a live hub (S33-S40). */
final class LiveAppointmentsTest extends TestCase
{
    private const PARIS_1 = ['address' => '15 rue des Lilas', 'city' => 'Paris', 'postal_code' => '75001'];

    private LiveHub $hub;
    private Client $client;

    protected function setUp(): void
    {
        $this->hub = $this->live();
        $this->client = $this->hub->client();
    }

    /** @param array<string, mixed> $extra */
    private function book(string|\DateTimeInterface $when, array $extra = [], array $opts = []): Appointment
    {
        return $this->client->appointments->create([
            'customer_id' => $this->hub->demo['customer_id'],
            'service_id' => $this->hub->demo['service_id'],
            'scheduled_at' => $when,
        ] + $extra, $opts);
    }

    /** @param iterable<Appointment> $appointments @return list<string> */
    private static function ids(iterable $appointments): array
    {
        $ids = [];
        foreach ($appointments as $appointment) {
            $ids[] = $appointment->id;
        }
        return $ids;
    }

    /** S33: create, get, update, confirm, reschedule, complete; cancelling then is refused. */
    public function testS33AppointmentLifecycle(): void
    {
        $jean = $this->hub->demo['technician_id'];
        $pierre = $this->hub->demo['second_technician_id'];
        $start = Dates::futureSlot(3, Dates::MONDAY, 8);
        $created = $this->book($start, [ // a DateTimeImmutable: the SDK sends it as ISO 8601 UTC
            'technician_id' => $jean,
            'duration' => 120,
            'location' => self::PARIS_1,
            'notes' => 'Code portail: 1234',
            'notify_customer' => true,
            'reminder_sms' => true,
            'reminder_email' => true,
        ]);
        self::assertInstanceOf(Appointment::class, $created);
        self::assertSame('pending', $created->status);
        self::assertSame(Dates::isoZ($start), $created->scheduled_at);
        self::assertSame($jean, $created->technician->id);
        self::assertSame('Jean Martin', $created->technician->name);
        self::assertSame('Marie Dupont', $created->customer->name);
        self::assertEquals(150.0, $created->service->price);
        self::assertSame('75001', $created->location->postal_code);
        self::assertSame('Code portail: 1234', $created->notes);
        self::assertTrue($created->reminder_sms);

        self::assertEquals($created, $this->client->appointments->get($created->id));

        $updated = $this->client->appointments->update($created->id, ['notes' => 'Sonner deux fois']);
        self::assertSame('Sonner deux fois', $updated->notes);
        self::assertSame($created->scheduled_at, $updated->scheduled_at);

        self::assertSame('confirmed', $this->client->appointments->confirm($created->id)->status);

        $later = Dates::futureSlot(3, Dates::MONDAY, 13);
        $moved = $this->client->appointments->reschedule($created->id, ['scheduled_at' => Dates::isoZ($later), 'technician_id' => $pierre]);
        self::assertSame(Dates::isoZ($later), $moved->scheduled_at);
        self::assertSame($pierre, $moved->technician->id);

        self::assertSame('completed', $this->client->appointments->complete($created->id)->status);

        $error = self::catch(InvalidStatusTransition::class, fn () => $this->client->appointments->cancel($created->id));
        self::assertInstanceOf(ConflictError::class, $error);
        self::assertSame(409, $error->getHttpStatus());
        self::assertSame('INVALID_STATUS_TRANSITION', $error->getCode());
        self::assertNotEmpty($error->getRequestId());
    }

    /** S34: cancel returns the cancelled appointment; confirming it afterwards is refused. */
    public function testS34CancelReturnsTheCancelledAppointment(): void
    {
        $booked = $this->book(Dates::isoZ(Dates::futureSlot(3, Dates::THURSDAY, 8)));
        $cancelled = $this->client->appointments->cancel($booked->id);
        self::assertSame([$booked->id, 'cancelled'], [$cancelled->id, $cancelled->status]);
        self::assertSame('cancelled', $this->client->appointments->get($booked->id)->status);
        self::catch(InvalidStatusTransition::class, fn () => $this->client->appointments->confirm($booked->id));
    }

    /** S35: a taken slot throws SlotNotAvailable with details and usable suggestions. */
    public function testS35ATakenSlotRaisesSlotNotAvailableWithUsableSuggestions(): void
    {
        $jean = $this->hub->demo['technician_id'];
        $when = Dates::isoZ(Dates::futureSlot(3, Dates::TUESDAY, 9));
        $this->book($when, ['technician_id' => $jean]);

        $error = self::catch(SlotNotAvailable::class, fn () => $this->book($when, ['technician_id' => $jean]));
        self::assertSame(409, $error->getHttpStatus());
        self::assertSame('SLOT_NOT_AVAILABLE', $error->getCode());
        self::assertNotSame('', $error->getMessage());
        self::assertSame($when, $error->getDetails()['requested_slot']);
        self::assertSame($jean, $error->getDetails()['technician_id']);
        self::assertNotEmpty($error->getSuggestions(), 'the hub should propose alternatives');
        foreach ($error->getSuggestions() as $suggestion) {
            self::assertArrayHasKey('slot', $suggestion);
            self::assertArrayHasKey('technician_id', $suggestion);
            self::assertStringEndsWith('Z', $suggestion['slot']);
        }
        $first = $error->getSuggestions()[0];
        $rebooked = $this->book($first['slot'], ['technician_id' => $first['technician_id']]);
        self::assertSame($first['slot'], $rebooked->scheduled_at);
    }

    /** S36: list filters, and a customer's own appointments. */
    public function testS36ListFiltersAndCustomerAppointments(): void
    {
        $jean = $this->hub->demo['technician_id'];
        $day = Dates::futureSlot(4, Dates::WEDNESDAY, 8);
        $date = $day->format('Y-m-d');
        $a = $this->book($day, ['technician_id' => $jean]);
        $this->client->appointments->confirm($a->id);
        $b = $this->book($day->setTime(12, 0), ['technician_id' => $jean]);

        $sameDay = self::ids($this->client->appointments->list(['date_from' => $date, 'date_to' => $date]));
        self::assertEqualsCanonicalizing([$a->id, $b->id], $sameDay);

        $confirmed = self::ids($this->client->appointments->list(['status' => 'confirmed', 'technician_id' => $jean, 'date_from' => $date]));
        self::assertContains($a->id, $confirmed);
        self::assertNotContains($b->id, $confirmed);

        $mine = $this->client->customers->appointments((string) $this->hub->demo['customer_id'], ['status' => 'pending']);
        self::assertContains($b->id, self::ids($mine));
        foreach ($mine as $appointment) {
            self::assertSame($this->hub->demo['customer_id'], $appointment->customer->id);
        }

        $byPostalCode = self::ids($this->client->appointments->list(['postal_code' => '75001', 'date_from' => $date]));
        self::assertContains($a->id, $byPostalCode);
        self::assertContains($b->id, $byPostalCode);
    }

    /** S37: the same idempotency key books once; with another body it is refused. */
    public function testS37TheSameIdempotencyKeyBooksOnce(): void
    {
        $key = 'test-' . bin2hex(random_bytes(16));
        $when = Dates::isoZ(Dates::futureSlot(3, Dates::WEDNESDAY, 8));
        $first = $this->book($when, [], ['idempotency_key' => $key]);
        $again = $this->book($when, [], ['idempotency_key' => $key]);
        self::assertSame($first->id, $again->id);

        $error = self::catch(IdempotencyError::class, fn () => $this->book(Dates::isoZ(Dates::futureSlot(3, Dates::WEDNESDAY, 13)), [], ['idempotency_key' => $key]));
        self::assertSame(422, $error->getHttpStatus());
        self::assertSame('IDEMPOTENCY_KEY_REUSED', $error->getCode());
    }

    /** S38: an invalid scheduled_at throws ValidationError naming the field. */
    public function testS38ValidationErrorsListTheFields(): void
    {
        $error = self::catch(ValidationError::class, fn () => $this->book('demain matin'));
        self::assertSame(422, $error->getHttpStatus());
        self::assertSame('VALIDATION_ERROR', $error->getCode());
        self::assertContains('scheduled_at', array_column($error->getErrors(), 'field'), $error->describe());
        self::assertStringContainsString('scheduled_at', $error->describe());
    }

    /** S39: an unknown id throws NotFoundError. */
    public function testS39UnknownIdsRaiseNotFound(): void
    {
        $error = self::catch(NotFoundError::class, fn () => $this->client->appointments->get('apt_doesnotexist'));
        self::assertSame(404, $error->getHttpStatus());
        self::assertSame('NOT_FOUND', $error->getCode());
    }

    /** S40: availability for a day, over a range, and the check of one slot. */
    public function testS40AvailabilityDaySlotsAndCheck(): void
    {
        $service = $this->hub->demo['service_id'];
        $jean = $this->hub->demo['technician_id'];
        $day = Dates::futureSlot(5, Dates::MONDAY, 8);
        $date = $day->format('Y-m-d');
        $availability = $this->client->availability->get(['service_id' => $service, 'date' => $day, 'postal_code' => '75001']);
        self::assertInstanceOf(AvailabilityDay::class, $availability);
        self::assertSame($date, $availability->date);
        self::assertNotEmpty($availability->slots, 'a free Monday has slots');
        $slot = $availability->slots[0];
        self::assertContains($slot->technician_id, [$jean, $this->hub->demo['second_technician_id']]);
        self::assertMatchesRegularExpression('/^\d\d:\d\d$/', $slot->start); // local time
        self::assertMatchesRegularExpression('/^\d\d:\d\d$/', $slot->end);

        $onlyJean = $this->client->availability->get(['service_id' => $service, 'date' => $date, 'postal_code' => '75001', 'technician_id' => $jean]);
        self::assertSame([$jean], array_values(array_unique(array_map(static fn ($s) => $s->technician_id, $onlyJean->slots))));

        $ranged = $this->client->availability->slots([
            'service_id' => $service,
            'date_from' => $day,
            'date_to' => $day->modify('+2 days'),
            'postal_code' => '75001',
        ]);
        self::assertSame([$date, $day->modify('+2 days')->format('Y-m-d')], [$ranged->date_from, $ranged->date_to]);
        self::assertSame($date, $ranged->days[0]->date);
        self::assertSame($slot->start, $ranged->days[0]->slots[0]->start);

        $free = $this->client->availability->check([
            'service_id' => $service,
            'scheduled_at' => Dates::futureSlot(5, Dates::MONDAY, 9),
            'postal_code' => '75001',
        ]);
        self::assertInstanceOf(AvailabilityCheck::class, $free);
        self::assertTrue($free->available);
        self::assertNotEmpty($free->technician_id);
        self::assertSame([], $free->reasons);

        $takenAt = Dates::isoZ(Dates::futureSlot(5, Dates::FRIDAY, 9));
        $this->book($takenAt, ['technician_id' => $jean]);
        $taken = $this->client->availability->check([
            'service_id' => $service,
            'scheduled_at' => $takenAt,
            'postal_code' => '75001',
            'technician_id' => $jean,
        ]);
        self::assertFalse($taken->available);
        self::assertNotEmpty($taken->reasons);
        foreach ($taken->suggestions as $suggestion) {
            self::assertNotEmpty($suggestion->slot);
            self::assertNotEmpty($suggestion->technician_id);
        }
    }
}
