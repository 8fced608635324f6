<?php

declare(strict_types=1);

namespace iValid\Tests;

use iValid\Client;
use iValid\Exception\ConflictError;
use iValid\Exception\NotFoundError;
use iValid\Exception\ValidationError;
use iValid\Model\Customer;
use iValid\Model\Integration;
use iValid\Model\Service;
use iValid\Model\Team;
use iValid\Model\Technician;
use iValid\Model\TechnicianSchedule;
use iValid\Model\Webhook as WebhookModel;
use iValid\Page;
use iValid\Tests\Support\Dates;
use iValid\Tests\Support\LiveHub;
use iValid\Tests\Support\Received;
use iValid\Tests\Support\Reply;
use iValid\Tests\Support\StubServer;
use iValid\Tests\Support\Worker;
use iValid\Webhook;

/** Customers, services, teams, technicians, events, webhooks, integrations on a live hub (S25, S41-S49). */
final class LiveResourcesTest extends TestCase
{
    private LiveHub $hub;
    private Client $client;

    protected function setUp(): void
    {
        $this->hub = $this->live();
        $this->client = $this->hub->client();
    }

    /** @param iterable<object> $items @return list<mixed> */
    private static function ids(iterable $items, string $field = 'id'): array
    {
        $ids = [];
        foreach ($items as $item) {
            $ids[] = $item->{$field};
        }
        return $ids;
    }

    /** A loopback endpoint that accepts every webhook delivery. */
    private function receiver(): StubServer
    {
        $receiver = $this->stub();
        $receiver->default('POST', '/hooks/ivalid', static fn (): Reply => new Reply(200, ['ok' => true]));
        return $receiver;
    }

    /** S25: 23 customers, 10 per page: three pages, walked by nextPage() and by iterating. */
    public function testS25PaginationWalksEveryPage(): void
    {
        $tag = 'page' . bin2hex(random_bytes(4));
        $created = [];
        for ($i = 0; $i < 23; $i++) {
            $created[] = $this->client->customers->create(['first_name' => sprintf('Client%02d', $i), 'last_name' => 'Pagination', 'tags' => [$tag]])->id;
        }
        $first = $this->client->customers->list(['tag' => $tag, 'per_page' => 10]);
        self::assertCount(10, $first->data);
        self::assertSame([23, 1, 10, 3], [$first->meta->total, $first->meta->page, $first->meta->per_page, $first->meta->total_pages]);
        self::assertTrue($first->hasMore());

        $second = $first->nextPage();
        self::assertNotNull($second);
        self::assertSame(2, $second->meta->page);
        self::assertCount(10, $second->data);
        $third = $second->nextPage();
        self::assertNotNull($third);
        self::assertCount(3, $third->data);
        self::assertFalse($third->hasMore());
        self::assertNull($third->nextPage());

        $walked = self::ids($first); // iterating the first page walks all three
        self::assertCount(23, $walked);
        self::assertEqualsCanonicalizing($created, $walked);
        foreach ($first->autoPagingIterator() as $customer) {
            self::assertInstanceOf(Customer::class, $customer);
        }
    }

    /** S41: customers: create, get, update, list by email and q, appointments, errors. */
    public function testS41Customers(): void
    {
        $email = 'marie.' . bin2hex(random_bytes(4)) . '@example.com';
        $customer = $this->client->customers->create([
            'first_name' => 'Marie',
            'last_name' => 'Dupont',
            'email' => $email,
            'phone' => '+33612345678',
            'address' => ['street' => '15 rue des Lilas', 'city' => 'Paris', 'postal_code' => '75001', 'country' => 'FR'],
            'preferences' => ['preferred_contact' => 'sms', 'preferred_time_slots' => ['morning', 'afternoon'], 'language' => 'fr'],
            'tags' => ['premium', 'fidele'],
            'custom_fields' => ['numero_client' => 'CLT-2024-001'],
        ]);
        self::assertInstanceOf(Customer::class, $customer);
        self::assertStringStartsWith('cust_', $customer->id);
        self::assertSame('Marie Dupont', $customer->name);
        self::assertSame('Paris', $customer->address->city);
        self::assertSame('sms', $customer->preferences->preferred_contact);
        self::assertSame('CLT-2024-001', $customer->custom_fields['numero_client']);

        self::assertEquals($customer, $this->client->customers->get($customer->id));
        $updated = $this->client->customers->update($customer->id, ['phone' => '+33700000000', 'tags' => ['premium']]);
        self::assertSame('+33700000000', $updated->phone);
        self::assertSame(['premium'], $updated->tags);
        self::assertSame($email, $updated->email);

        self::assertSame([$customer->id], self::ids($this->client->customers->list(['email' => $email])));
        self::assertContains($customer->id, self::ids($this->client->customers->list(['q' => 'Dupont', 'per_page' => 100])));
        self::assertSame([], self::ids($this->client->customers->appointments($customer->id)));

        $error = self::catch(ValidationError::class, fn () => $this->client->customers->create(['first_name' => 'Sans', 'last_name' => 'Email', 'email' => 'pas-un-email']));
        $fields = array_column($error->getErrors(), 'field');
        self::assertNotEmpty(array_filter($fields, static fn ($f) => str_ends_with((string) $f, 'email')), $error->describe());

        self::catch(NotFoundError::class, fn () => $this->client->customers->update('cust_doesnotexist', ['phone' => '+33700000000']));
    }

    /** S42: services: the demo service, create, update, list by category. */
    public function testS42Services(): void
    {
        $demo = $this->client->services->get((string) $this->hub->demo['service_id']);
        self::assertInstanceOf(Service::class, $demo);
        self::assertSame('Installation Climatisation', $demo->name);
        self::assertSame(120, $demo->duration);
        self::assertEquals(150.0, $demo->price);
        self::assertSame('EUR', $demo->currency);
        self::assertSame(['climatisation', 'electricite'], $demo->required_skills);

        $created = $this->client->services->create([
            'name' => 'Dépannage Pompe à Chaleur',
            'duration' => 90,
            'buffer_after' => 15,
            'price' => 120.5,
            'required_skills' => ['climatisation'],
            'category' => 'depannage',
            'color' => '#3B82F6',
        ]);
        self::assertStringStartsWith('srv_', $created->id);
        self::assertSame(120.5, $created->price);
        $renamed = $this->client->services->update($created->id, ['name' => 'Dépannage PAC', 'available_online' => false]);
        self::assertSame('Dépannage PAC', $renamed->name);
        self::assertFalse($renamed->available_online);
        self::assertSame('Dépannage PAC', $this->client->services->get($created->id)->name);
        self::assertContains($created->id, self::ids($this->client->services->list(['category' => 'depannage'])));
        foreach ($this->client->services->list(['category' => 'installation']) as $service) {
            self::assertSame('installation', $service->category);
        }
    }

    /** S43: teams and technicians. */
    public function testS43TeamsAndTechnicians(): void
    {
        $team = $this->client->teams->create(['name' => 'Équipe Lyon', 'description' => 'Interventions Rhône']);
        self::assertInstanceOf(Team::class, $team);
        self::assertSame([], $team->technician_ids);
        self::assertSame('Rhône et Isère', $this->client->teams->update($team->id, ['description' => 'Rhône et Isère'])->description);

        $technician = $this->client->technicians->create([
            'name' => 'Sophie Bernard',
            'email' => 'sophie.bernard@company.com',
            'team_id' => $team->id,
            'skills' => ['plomberie'],
            'zones' => ['69001', '69002'],
            'working_hours' => [
                'monday' => ['start' => '08:00', 'end' => '18:00'],
                'friday' => ['start' => '08:00', 'end' => '12:00'],
            ],
            'max_appointments_per_day' => 4,
            'current_location' => ['lat' => 45.764, 'lng' => 4.8357],
        ]);
        self::assertInstanceOf(Technician::class, $technician);
        self::assertSame('08:00', $technician->working_hours['monday']->start);
        self::assertSame(45.764, $technician->current_location->lat);
        self::assertSame([$technician->id], $this->client->teams->get($team->id)->technician_ids);

        $moved = $this->client->technicians->update($technician->id, ['zones' => ['69003'], 'max_appointments_per_day' => 5]);
        self::assertSame(['69003'], $moved->zones);
        self::assertSame(5, $moved->max_appointments_per_day);
        self::assertSame(['69003'], $this->client->technicians->get($technician->id)->zones);

        self::assertSame([$technician->id], self::ids($this->client->technicians->list(['team_id' => $team->id])));
        $plumbers = self::ids($this->client->technicians->list(['skill' => 'plomberie', 'per_page' => 100]));
        self::assertContains($technician->id, $plumbers);
        self::assertContains($this->hub->demo['second_technician_id'], $plumbers);
        self::assertContains($team->id, self::ids($this->client->teams->list(['per_page' => 100])));
    }

    /** S44: a technician's schedule for a day lists the appointment booked on it. */
    public function testS44TechnicianSchedule(): void
    {
        $jean = (string) $this->hub->demo['technician_id'];
        $start = Dates::futureSlot(6, Dates::TUESDAY, 9);
        $booked = $this->client->appointments->create([
            'customer_id' => $this->hub->demo['customer_id'],
            'service_id' => $this->hub->demo['service_id'],
            'scheduled_at' => $start,
            'technician_id' => $jean,
        ]);
        $schedule = $this->client->technicians->schedule($jean, ['date' => $start]);
        self::assertInstanceOf(TechnicianSchedule::class, $schedule);
        self::assertSame($start->format('Y-m-d'), $schedule->date);
        self::assertSame($jean, $schedule['technician']['id']);
        self::assertSame('08:00', $schedule->working_hours->start);
        self::assertSame([$booked->id], self::ids($schedule->appointments));
    }

    /** S45: a created appointment leaves one appointment.created event, readable by id. */
    public function testS45EventsRecordWhatHappened(): void
    {
        $booked = $this->client->appointments->create([
            'customer_id' => $this->hub->demo['customer_id'],
            'service_id' => $this->hub->demo['service_id'],
            'scheduled_at' => Dates::futureSlot(6, Dates::THURSDAY, 8),
        ]);
        $matching = [];
        foreach ($this->client->events->list(['type' => 'appointment.created', 'per_page' => 100]) as $event) {
            if ($event->data->id === $booked->id) {
                $matching[] = $event;
            }
        }
        self::assertCount(1, $matching);
        $event = $this->client->events->get($matching[0]->id);
        self::assertSame('appointment.created', $event->event);
        self::assertSame('Marie Dupont', $event->data->customer->name);
        self::assertStringEndsWith('Z', $event->timestamp);
    }

    /** S46: webhook management: create, get, list, pause, rotate, test, deliveries, recover, delete. */
    public function testS46WebhookManagement(): void
    {
        $receiver = $this->receiver();
        $secret = 'whsec_your_webhook_secret';
        $url = $receiver->origin() . '/hooks/ivalid';
        $events = ['appointment.created', 'appointment.updated', 'appointment.cancelled'];
        $hook = $this->client->webhooks->create(['url' => $url, 'events' => $events, 'secret' => $secret, 'active' => true]);
        self::assertInstanceOf(WebhookModel::class, $hook);
        self::assertSame($url, $hook->url);
        self::assertTrue($hook->active);
        self::assertSame($events, $hook->events);

        self::assertSame($url, $this->client->webhooks->get($hook->id)->url);
        self::assertContains($hook->id, self::ids($this->client->webhooks->list()));
        self::assertFalse($this->client->webhooks->update($hook->id, ['active' => false])->active);
        $this->client->webhooks->update($hook->id, ['active' => true]);

        $rotated = $this->client->webhooks->rotateSecret($hook->id);
        self::assertStringStartsWith('whsec_', (string) $rotated->secret);
        self::assertNotSame($secret, $rotated->secret);
        self::assertNotNull($rotated->previous_secret_expires_at);
        self::assertNull($this->client->webhooks->get($hook->id)->secret); // shown once only

        $queued = $this->client->webhooks->test($hook->id);
        self::assertSame([$hook->id, 'webhook.test'], [$queued->webhook_id, $queued->event_type]);
        $deliveries = $this->client->webhooks->deliveries($hook->id);
        self::assertInstanceOf(Page::class, $deliveries);
        self::assertContains($queued->id, self::ids($deliveries));
        self::assertSame([$queued->id], self::ids($this->client->webhooks->deliveries($hook->id, ['event_type' => 'webhook.test'])));

        $recovery = $this->client->webhooks->recover($hook->id, ['since' => Dates::futureSlot(-1, Dates::MONDAY, 0)]);
        self::assertSame($hook->id, $recovery->webhook_id);
        self::assertIsInt($recovery->queued);

        $this->client->webhooks->delete($hook->id);
        self::catch(NotFoundError::class, fn () => $this->client->webhooks->get($hook->id));
    }

    /** S47: a webhook to an unsafe URL is refused. */
    public function testS47AWebhookRefusesAnUnsafeUrl(): void
    {
        self::catch(ValidationError::class, fn () => $this->client->webhooks->create(['url' => 'http://169.254.169.254/latest', 'events' => ['appointment.created']]));
    }

    /** S48: a real delivery by `ivalid worker` verifies with verify, verifyStandard and constructEvent. */
    public function testS48DeliveredWebhooksVerifyWithTheSdk(): void
    {
        $receiver = $this->receiver();
        $hook = $this->client->webhooks->create(['url' => $receiver->origin() . '/hooks/ivalid', 'events' => ['appointment.created']]);
        self::assertStringStartsWith('whsec_', (string) $hook->secret);
        $worker = Worker::start($this->hub);
        try {
            $booked = $this->client->appointments->create([
                'customer_id' => $this->hub->demo['customer_id'],
                'service_id' => $this->hub->demo['service_id'],
                'scheduled_at' => Dates::futureSlot(7, Dates::MONDAY, 9),
            ]);
            // Events recorded before the hook existed may be fanned out to it too: skip those.
            $ours = static fn (): array => array_values(array_filter(
                $receiver->calls('POST', '/hooks/ivalid'),
                static fn (Received $r): bool => (json_decode($r->body, true)['data']['id'] ?? null) === $booked->id,
            ));
            $deadline = microtime(true) + 30;
            while (!$ours() && microtime(true) < $deadline) {
                usleep(200_000);
            }
            self::assertNotEmpty($ours(), "the worker did not deliver the webhook within 30s:\n" . $worker->logTail());
            $request = $ours()[0];
            self::assertTrue(Webhook::verify($request->body, $request->header('X-iValid-Signature'), (string) $hook->secret));
            self::assertTrue(Webhook::verifyStandard($request->body, $request->headers, (string) $hook->secret));
            $event = Webhook::constructEvent($request->body, $request->headers, (string) $hook->secret);
            self::assertSame('appointment.created', $event->event);
            self::assertSame($booked->id, $event->data->id);
            self::assertSame('Marie Dupont', $event->data->customer->name);

            $delivery = null;
            $deadline = microtime(true) + 10;
            do {
                $found = $this->client->webhooks->deliveries($hook->id, ['event_id' => $event->id])->data;
                self::assertCount(1, $found);
                $delivery = $found[0];
                if ($delivery->status !== 'pending') {
                    break;
                }
                usleep(200_000);
            } while (microtime(true) < $deadline);
            self::assertSame('succeeded', $delivery->status);
            self::assertSame(200, $delivery->attempts[0]->status_code);
            self::assertSame($event->id, $this->client->webhooks->retryDelivery($hook->id, $delivery->id)->event_id);
            $this->client->webhooks->delete($hook->id);
        } finally {
            $worker->stop();
        }
    }

    /** S49: integrations: list, get, mapping, links; sync/connect refused; disconnect; unknown name. */
    public function testS49Integrations(): void
    {
        $known = ['google-calendar', 'outlook', 'zoho', 'stripe', 'zapier', 'make'];
        $names = self::ids($this->client->integrations->list(), 'name');
        self::assertNotEmpty($names);
        self::assertSame([], array_values(array_diff($names, $known)));
        self::assertContains('google-calendar', $names);

        $google = $this->client->integrations->get('google-calendar');
        self::assertInstanceOf(Integration::class, $google);
        self::assertSame('Google Calendar', $google->display_name);
        self::assertSame('disconnected', $google->status);
        $mapping = $this->client->integrations->mapping('google-calendar');
        self::assertSame('google-calendar', $mapping->integration);
        self::assertNotEmpty($mapping->rules);
        $links = $this->client->integrations->technicianLinks('google-calendar');
        self::assertContains($this->hub->demo['technician_id'], self::ids($links, 'technician_id'));

        $error = self::catch(ConflictError::class, fn () => $this->client->integrations->sync('google-calendar'));
        self::assertSame('INTEGRATION_NOT_CONNECTED', $error->getCode());
        if (!$google->configured) { // no OAuth application on this test server
            $error = self::catch(ConflictError::class, fn () => $this->client->integrations->connect('google-calendar'));
            self::assertSame('INTEGRATION_NOT_CONFIGURED', $error->getCode());
        }
        self::assertSame('disconnected', $this->client->integrations->disconnect('google-calendar')->status);
        self::catch(NotFoundError::class, fn () => $this->client->integrations->get('fax-machine'));
    }
}
