<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * What `POST /webhooks/:id/recover` queued again.
 *
 * @property string $webhook_id
 * @property string $since
 * @property string|null $until
 * @property int $queued
 */
class WebhookRecovery extends IValidObject
{
    public const FIELDS = ['webhook_id', 'since', 'until', 'queued'];
}
