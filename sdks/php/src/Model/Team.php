<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * A group of technicians.
 *
 * @property string $id
 * @property string $name
 * @property string|null $description
 * @property list<string> $technician_ids
 * @property string|null $created_at
 * @property string|null $updated_at
 */
class Team extends IValidObject
{
    public const FIELDS = ['id', 'name', 'description', 'technician_ids', 'created_at', 'updated_at'];
}
