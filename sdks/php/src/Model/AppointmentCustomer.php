<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * The customer as embedded in an appointment.
 *
 * @property string $id
 * @property string $name
 * @property string|null $email
 * @property string|null $phone
 */
class AppointmentCustomer extends IValidObject
{
    public const FIELDS = ['id', 'name', 'email', 'phone'];
}
