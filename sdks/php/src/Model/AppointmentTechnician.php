<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * The technician as embedded in an appointment.
 *
 * @property string $id
 * @property string $name
 */
class AppointmentTechnician extends IValidObject
{
    public const FIELDS = ['id', 'name'];
}
