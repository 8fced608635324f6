<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * A webhook endpoint; `secret` is shown only by create and rotate-secret.
 *
 * @property string $id
 * @property string $url
 * @property list<string> $events
 * @property bool $active
 * @property string|null $description
 * @property string|null $secret
 * @property string|null $secret_hint The secret's last characters, to tell secrets apart.
 * @property string|null $disabled_reason
 * @property string|null $disabled_at
 * @property string|null $previous_secret_expires_at While a secret is rotated: until when the previous one still signs deliveries.
 * @property string|null $created_at
 * @property string|null $updated_at
 */
class Webhook extends IValidObject
{
    public const FIELDS = ['id', 'url', 'events', 'active', 'description', 'secret', 'secret_hint', 'disabled_reason', 'disabled_at', 'previous_secret_expires_at', 'created_at', 'updated_at'];
}
