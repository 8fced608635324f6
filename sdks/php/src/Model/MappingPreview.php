<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * What one appointment becomes at the provider.
 *
 * @property string $appointment_id
 * @property string|null $calendar_id
 * @property IValidObject $payload
 */
class MappingPreview extends IValidObject
{
    public const FIELDS = ['appointment_id', 'calendar_id', 'payload'];
}
