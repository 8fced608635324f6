<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * Where to send the user to grant access: the provider's consent page.
 *
 * @property string $authorization_url
 * @property string $expires_at
 */
class IntegrationConnect extends IValidObject
{
    public const FIELDS = ['authorization_url', 'expires_at'];
}
