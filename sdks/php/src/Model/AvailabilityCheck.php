<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * Whether one slot can be booked (`POST /availability/check`), with alternatives if not.
 *
 * @property bool $available
 * @property string|null $technician_id Who would come, when available.
 * @property int|null $travel_time
 * @property list<string> $reasons Why not, when not available.
 * @property list<Suggestion> $suggestions
 */
class AvailabilityCheck extends IValidObject
{
    public const FIELDS = ['available', 'technician_id', 'travel_time', 'reasons', 'suggestions'];

    protected const NESTED = [
        'suggestions' => Suggestion::class,
    ];
}
