<?php

declare(strict_types=1);

namespace iValid\Resource;

use iValid\Model\Integration;
use iValid\Model\IntegrationConnect;
use iValid\Model\IntegrationDisconnect;
use iValid\Model\IntegrationMapping;
use iValid\Model\IntegrationSync;
use iValid\Model\MappingPreview;
use iValid\Model\TechnicianLink;
use iValid\Page;

/** `$client->integrations`, by name: `google-calendar`, `outlook`, `zoho`, `stripe`, `zapier`, `make`. */
final class Integrations extends AbstractResource
{
    /**
     * `GET /integrations`: every integration and the account's connection status.
     *
     * @return Page<Integration>
     */
    public function list(): Page
    {
        return $this->fetchPage(Integration::class, '/integrations', []);
    }

    /** `GET /integrations/:name`. */
    public function get(string $name): Integration
    {
        return $this->call(Integration::class, 'GET', '/integrations/' . self::segment($name));
    }

    /**
     * `POST /integrations/:name/connect`: the provider's consent page to send the user to.
     *
     * The connection is made when the user comes back from it (the hub's OAuth callback).
     *
     * @param array{idempotency_key?: string} $opts
     */
    public function connect(string $name, array $opts = []): IntegrationConnect
    {
        return $this->call(IntegrationConnect::class, 'POST', '/integrations/' . self::segment($name) . '/connect', opts: $opts);
    }

    /** `DELETE /integrations/:name`: revoke the access and stop syncing. */
    public function disconnect(string $name): IntegrationDisconnect
    {
        return $this->call(IntegrationDisconnect::class, 'DELETE', '/integrations/' . self::segment($name));
    }

    /**
     * `POST /integrations/:name/sync`: queue a synchronisation now (the worker runs it).
     *
     * @param array{idempotency_key?: string} $opts
     */
    public function sync(string $name, array $opts = []): IntegrationSync
    {
        return $this->call(IntegrationSync::class, 'POST', '/integrations/' . self::segment($name) . '/sync', opts: $opts);
    }

    /** `GET /integrations/:name/mapping`: how fields map to the provider. */
    public function mapping(string $name): IntegrationMapping
    {
        return $this->call(IntegrationMapping::class, 'GET', '/integrations/' . self::segment($name) . '/mapping');
    }

    /**
     * `PUT /integrations/:name/mapping`: override rules; with no parameters, back to the default.
     *
     * @param array{defaults?: array<string, mixed>, rules?: list<array<string, mixed>>, remove?: list<array<string, mixed>>} $params
     */
    public function updateMapping(string $name, array $params = []): IntegrationMapping
    {
        return $this->call(IntegrationMapping::class, 'PUT', '/integrations/' . self::segment($name) . '/mapping', body: self::optionalBody($params) ?? []);
    }

    /**
     * `POST /integrations/:name/mapping/preview`: what an appointment becomes remotely.
     *
     * @param array{appointment_id: string, mapping?: array<string, mixed>} $params
     * @param array{idempotency_key?: string} $opts
     */
    public function previewMapping(string $name, array $params, array $opts = []): MappingPreview
    {
        return $this->call(MappingPreview::class, 'POST', '/integrations/' . self::segment($name) . '/mapping/preview', body: self::optionalBody($params) ?? [], opts: $opts);
    }

    /**
     * `GET /integrations/:name/links/technicians`: each technician's remote calendar.
     *
     * The calendars of the connected account are in `$page['calendars']`.
     *
     * @return Page<TechnicianLink>
     */
    public function technicianLinks(string $name): Page
    {
        return $this->fetchPage(TechnicianLink::class, '/integrations/' . self::segment($name) . '/links/technicians', []);
    }

    /** `PUT /integrations/:name/links/technicians/:id`: choose a calendar (null unlinks). */
    public function linkTechnician(string $name, string $technicianId, ?string $calendarId): TechnicianLink
    {
        $path = '/integrations/' . self::segment($name) . '/links/technicians/' . self::segment($technicianId);
        return $this->call(TechnicianLink::class, 'PUT', $path, body: ['calendar_id' => $calendarId]);
    }
}
