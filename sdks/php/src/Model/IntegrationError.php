<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * The last error of a connection.
 *
 * @property string|null $code
 * @property string|null $message
 * @property string|null $at
 */
class IntegrationError extends IValidObject
{
    public const FIELDS = ['code', 'message', 'at'];
}
