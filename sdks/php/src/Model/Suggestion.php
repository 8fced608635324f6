<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * An alternative slot the server proposes when the one asked for is taken.
 *
 * @property string $slot
 * @property string $technician_id
 */
class Suggestion extends IValidObject
{
    public const FIELDS = ['slot', 'technician_id'];
}
