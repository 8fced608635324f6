<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * The connection after it was disconnected.
 *
 * @property string $integration
 * @property string $status
 * @property bool $revoked Whether the provider confirmed the grant is revoked.
 */
class IntegrationDisconnect extends IValidObject
{
    public const FIELDS = ['integration', 'status', 'revoked'];
}
