<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * A technician and the remote calendar his appointments go to.
 *
 * @property string $technician_id
 * @property string $technician_name
 * @property string|null $email
 * @property string|null $calendar_id
 * @property string|null $linked_by
 * @property string|null $last_pulled_at
 * @property string|null $channel_expires_at
 * @property string|null $channel_error
 */
class TechnicianLink extends IValidObject
{
    public const FIELDS = ['technician_id', 'technician_name', 'email', 'calendar_id', 'linked_by', 'last_pulled_at', 'channel_expires_at', 'channel_error'];
}
