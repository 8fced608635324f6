<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * A service the account offers: duration, price and required skills.
 *
 * @property string $id
 * @property string $name
 * @property string|null $description
 * @property int $duration
 * @property int|null $buffer_before
 * @property int|null $buffer_after
 * @property float|null $price
 * @property string|null $currency
 * @property list<string> $required_skills
 * @property bool|null $available_online
 * @property string|null $color
 * @property string|null $category
 * @property string|null $created_at
 * @property string|null $updated_at
 */
class Service extends IValidObject
{
    public const FIELDS = ['id', 'name', 'description', 'duration', 'buffer_before', 'buffer_after', 'price', 'currency', 'required_skills', 'available_online', 'color', 'category', 'created_at', 'updated_at'];
}
