<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * Where an appointment takes place.
 *
 * @property string $address
 * @property string $city
 * @property string $postal_code
 * @property Coordinates|null $coordinates
 */
class Location extends IValidObject
{
    public const FIELDS = ['address', 'city', 'postal_code', 'coordinates'];

    protected const NESTED = [
        'coordinates' => Coordinates::class,
    ];
}
