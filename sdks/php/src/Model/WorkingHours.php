<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * One day's working hours, `HH:MM` local time.
 *
 * @property string $start
 * @property string $end
 */
class WorkingHours extends IValidObject
{
    public const FIELDS = ['start', 'end'];
}
