<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * The remote account a connection uses.
 *
 * @property string $id
 * @property string|null $email
 * @property string|null $name
 */
class IntegrationAccount extends IValidObject
{
    public const FIELDS = ['id', 'email', 'name'];
}
