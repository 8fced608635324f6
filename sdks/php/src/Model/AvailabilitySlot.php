<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * A free slot: local `HH:MM` start and end (and the same as instants), and who would come.
 *
 * @property string $start
 * @property string $end
 * @property string $technician_id
 * @property string|null $technician_name
 * @property int|null $travel_time Minutes of travel to get there.
 * @property string|null $start_at
 * @property string|null $end_at
 */
class AvailabilitySlot extends IValidObject
{
    public const FIELDS = ['start', 'end', 'technician_id', 'technician_name', 'travel_time', 'start_at', 'end_at'];
}
