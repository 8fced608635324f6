<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * The free slots of one day (`GET /availability`).
 *
 * @property string $date
 * @property list<AvailabilitySlot> $slots
 * @property string|null $next_available_date
 */
class AvailabilityDay extends IValidObject
{
    public const FIELDS = ['date', 'slots', 'next_available_date'];

    protected const NESTED = [
        'slots' => AvailabilitySlot::class,
    ];
}
