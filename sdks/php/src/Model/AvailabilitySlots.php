<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * Free slots over a date range, grouped by day (`GET /availability/slots`).
 *
 * @property string $date_from
 * @property string $date_to
 * @property list<AvailabilityDay> $days
 */
class AvailabilitySlots extends IValidObject
{
    public const FIELDS = ['date_from', 'date_to', 'days'];

    protected const NESTED = [
        'days' => AvailabilityDay::class,
    ];
}
