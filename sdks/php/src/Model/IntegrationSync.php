<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * A synchronisation queued for the worker.
 *
 * @property string $integration
 * @property string $status
 * @property string|null $next_sync_at
 * @property string|null $backoff_until
 */
class IntegrationSync extends IValidObject
{
    public const FIELDS = ['integration', 'status', 'next_sync_at', 'backoff_until'];
}
