<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * A point on the map.
 *
 * @property float $lat
 * @property float $lng
 */
class Coordinates extends IValidObject
{
    public const FIELDS = ['lat', 'lng'];
}
