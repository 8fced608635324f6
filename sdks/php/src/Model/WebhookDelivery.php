<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * One event sent to one endpoint, and its attempts.
 *
 * @property string $id
 * @property string $webhook_id
 * @property string $event_id
 * @property string $event_type
 * @property string $status One of `pending`, `succeeded`, `failed`, `cancelled`.
 * @property int $attempt_count
 * @property string|null $next_attempt_at
 * @property int|null $last_status_code
 * @property string|null $last_error
 * @property string|null $created_at
 * @property string|null $completed_at
 * @property list<WebhookAttempt> $attempts
 */
class WebhookDelivery extends IValidObject
{
    public const FIELDS = ['id', 'webhook_id', 'event_id', 'event_type', 'status', 'attempt_count', 'next_attempt_at', 'last_status_code', 'last_error', 'created_at', 'completed_at', 'attempts'];

    protected const NESTED = [
        'attempts' => WebhookAttempt::class,
    ];
}
