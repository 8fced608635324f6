<?php

declare(strict_types=1);

namespace iValid\Resource;

use iValid\Model\Technician;
use iValid\Model\TechnicianSchedule;
use iValid\Page;
use iValid\Util;

/** `$client->technicians`: skills, zones, working hours, and their daily schedule. */
final class Technicians extends AbstractResource
{
    /**
     * `GET /technicians`: filter by `team_id`, `skill` or `zone` (a postal code).
     *
     * @param array{team_id?: string, skill?: string, zone?: string, page?: int, per_page?: int} $params
     * @return Page<Technician>
     */
    public function list(array $params = []): Page
    {
        return $this->fetchPage(Technician::class, '/technicians', $params);
    }

    /** `GET /technicians/:id`. */
    public function get(string $technicianId): Technician
    {
        return $this->call(Technician::class, 'GET', '/technicians/' . self::segment($technicianId));
    }

    /**
     * `POST /technicians`.
     *
     * @param array{name: string, email?: string, phone?: string, skills?: list<string>, zones?: list<string>, working_hours?: array<string, array{start: string, end: string}|null>, max_appointments_per_day?: int, current_location?: array{lat: float, lng: float}, start_location?: array{lat: float, lng: float}, team_id?: string} $params
     * @param array{idempotency_key?: string} $opts
     */
    public function create(array $params, array $opts = []): Technician
    {
        return $this->call(Technician::class, 'POST', '/technicians', body: $params, opts: $opts);
    }

    /**
     * `PUT /technicians/:id`: change only the fields given.
     *
     * @param array<string, mixed> $params
     */
    public function update(string $technicianId, array $params): Technician
    {
        return $this->call(Technician::class, 'PUT', '/technicians/' . self::segment($technicianId), body: $params);
    }

    /**
     * `GET /technicians/:id/schedule?date=YYYY-MM-DD`: the technician's day (default today).
     *
     * @param array{date?: string|\DateTimeInterface} $params a `DateTimeInterface` is cut to its date
     */
    public function schedule(string $technicianId, array $params = []): TechnicianSchedule
    {
        $query = ['date' => Util::asDate($params['date'] ?? null)];
        return $this->call(TechnicianSchedule::class, 'GET', '/technicians/' . self::segment($technicianId) . '/schedule', params: $query);
    }
}
