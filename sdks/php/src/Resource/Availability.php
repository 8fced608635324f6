<?php

declare(strict_types=1);

namespace iValid\Resource;

use iValid\Model\AvailabilityCheck;
use iValid\Model\AvailabilityDay;
use iValid\Model\AvailabilitySlots;
use iValid\Util;

/** `$client->availability`: free slots, given required skills, zones and travel time. */
final class Availability extends AbstractResource
{
    /**
     * `GET /availability`: one day's free slots for a service at a postal code.
     *
     * @param array{service_id: string, date: string|\DateTimeInterface, postal_code: string, technician_id?: string, duration?: int} $params
     */
    public function get(array $params): AvailabilityDay
    {
        $params['date'] = Util::asDate($params['date'] ?? null);
        return $this->call(AvailabilityDay::class, 'GET', '/availability', params: $params);
    }

    /**
     * `GET /availability/slots`: free slots over a range of days (31 at most).
     *
     * @param array{service_id: string, date_from: string|\DateTimeInterface, date_to: string|\DateTimeInterface, postal_code: string, technician_id?: string, duration?: int} $params
     */
    public function slots(array $params): AvailabilitySlots
    {
        $params['date_from'] = Util::asDate($params['date_from'] ?? null);
        $params['date_to'] = Util::asDate($params['date_to'] ?? null);
        return $this->call(AvailabilitySlots::class, 'GET', '/availability/slots', params: $params);
    }

    /**
     * `POST /availability/check`: can this slot be booked? If not, reasons and suggestions.
     *
     * Give the place as `postal_code` or as `location`.
     *
     * @param array{service_id: string, scheduled_at: string|\DateTimeInterface, postal_code?: string, location?: array<string, mixed>, technician_id?: string, duration?: int} $params
     * @param array{idempotency_key?: string} $opts
     */
    public function check(array $params, array $opts = []): AvailabilityCheck
    {
        return $this->call(AvailabilityCheck::class, 'POST', '/availability/check', body: self::optionalBody($params) ?? [], opts: $opts);
    }
}
