<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * A technician's day: working hours and the appointments booked in it.
 *
 * @property string $technician_id
 * @property string $date
 * @property WorkingHours|null $working_hours
 * @property list<Appointment> $appointments
 */
class TechnicianSchedule extends IValidObject
{
    public const FIELDS = ['technician_id', 'date', 'working_hours', 'appointments'];

    protected const NESTED = [
        'working_hours' => WorkingHours::class,
        'appointments' => Appointment::class,
    ];
}
