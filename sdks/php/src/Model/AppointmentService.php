<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * The service as embedded in an appointment.
 *
 * @property string $id
 * @property string $name
 * @property int $duration
 * @property float|null $price
 */
class AppointmentService extends IValidObject
{
    public const FIELDS = ['id', 'name', 'duration', 'price'];
}
