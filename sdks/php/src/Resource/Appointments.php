<?php

declare(strict_types=1);

namespace iValid\Resource;

use iValid\Model\Appointment;
use iValid\Page;

/**
 * `$client->appointments`: book, change, confirm, reschedule, complete and cancel interventions.
 *
 * `$opts` of every POST: `['idempotency_key' => '...']` (otherwise the SDK generates one).
 */
final class Appointments extends AbstractResource
{
    /**
     * `GET /appointments`: a page of appointments matching the filters.
     *
     * @param array{status?: string, technician_id?: string, customer_id?: string, date_from?: string|\DateTimeInterface, date_to?: string|\DateTimeInterface, postal_code?: string, sort?: '-created_at'|'-updated_at'|'created_at'|'updated_at', updated_since?: string|\DateTimeInterface, page?: int, per_page?: int} $params
     * @return Page<Appointment>
     */
    public function list(array $params = []): Page
    {
        return $this->fetchPage(Appointment::class, '/appointments', $params);
    }

    /** `GET /appointments/:id`. */
    public function get(string $appointmentId): Appointment
    {
        return $this->call(Appointment::class, 'GET', '/appointments/' . self::segment($appointmentId));
    }

    /**
     * `POST /appointments`: book a slot; `SlotNotAvailable` (with suggestions) if it is taken.
     *
     * @param array{customer_id: string, service_id: string, scheduled_at: string|\DateTimeInterface, technician_id?: string, duration?: int, location?: array<string, mixed>, notes?: string, notify_customer?: bool, reminder_sms?: bool, reminder_email?: bool, status?: string} $params
     * @param array{idempotency_key?: string} $opts
     */
    public function create(array $params, array $opts = []): Appointment
    {
        return $this->call(Appointment::class, 'POST', '/appointments', body: $params, opts: $opts);
    }

    /**
     * `PUT /appointments/:id`: change only the fields given.
     *
     * @param array<string, mixed> $params
     */
    public function update(string $appointmentId, array $params): Appointment
    {
        return $this->call(Appointment::class, 'PUT', '/appointments/' . self::segment($appointmentId), body: $params);
    }

    /**
     * `DELETE /appointments/:id`: cancel the appointment; returns it, now `cancelled`.
     *
     * @param array{reason?: string} $params
     */
    public function cancel(string $appointmentId, array $params = []): Appointment
    {
        return $this->call(Appointment::class, 'DELETE', '/appointments/' . self::segment($appointmentId), body: self::optionalBody($params));
    }

    /**
     * `POST /appointments/:id/confirm`: a pending appointment becomes `confirmed`.
     *
     * @param array{reason?: string} $params
     * @param array{idempotency_key?: string} $opts
     */
    public function confirm(string $appointmentId, array $params = [], array $opts = []): Appointment
    {
        return $this->call(Appointment::class, 'POST', '/appointments/' . self::segment($appointmentId) . '/confirm', body: self::optionalBody($params), opts: $opts);
    }

    /**
     * `POST /appointments/:id/reschedule`: move it, optionally to another technician.
     *
     * @param array{scheduled_at: string|\DateTimeInterface, technician_id?: string} $params
     * @param array{idempotency_key?: string} $opts
     */
    public function reschedule(string $appointmentId, array $params, array $opts = []): Appointment
    {
        return $this->call(Appointment::class, 'POST', '/appointments/' . self::segment($appointmentId) . '/reschedule', body: self::optionalBody($params) ?? [], opts: $opts);
    }

    /**
     * `POST /appointments/:id/complete`: mark the intervention done.
     *
     * @param array{reason?: string} $params
     * @param array{idempotency_key?: string} $opts
     */
    public function complete(string $appointmentId, array $params = [], array $opts = []): Appointment
    {
        return $this->call(Appointment::class, 'POST', '/appointments/' . self::segment($appointmentId) . '/complete', body: self::optionalBody($params), opts: $opts);
    }
}
