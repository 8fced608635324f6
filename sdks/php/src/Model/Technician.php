<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * A field technician: skills, zones and working hours.
 *
 * @property string $id
 * @property string $name
 * @property string|null $email
 * @property string|null $phone
 * @property list<string> $skills
 * @property list<string> $zones
 * @property IValidObject $working_hours WorkingHours keyed by lower-case weekday (`monday` … `sunday`).
 * @property int|null $max_appointments_per_day
 * @property Coordinates|null $current_location
 * @property Coordinates|null $start_location
 * @property string|null $team_id
 * @property string|null $created_at
 * @property string|null $updated_at
 */
class Technician extends IValidObject
{
    public const FIELDS = ['id', 'name', 'email', 'phone', 'skills', 'zones', 'working_hours', 'max_appointments_per_day', 'current_location', 'start_location', 'team_id', 'created_at', 'updated_at'];

    protected const NESTED = [
        'current_location' => Coordinates::class,
        'start_location' => Coordinates::class,
    ];

    protected const NESTED_MAPS = [
        'working_hours' => WorkingHours::class,
    ];
}
