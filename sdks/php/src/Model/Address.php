<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * A customer's postal address.
 *
 * @property string $street
 * @property string $city
 * @property string $postal_code
 * @property string $country
 */
class Address extends IValidObject
{
    public const FIELDS = ['street', 'city', 'postal_code', 'country'];
}
