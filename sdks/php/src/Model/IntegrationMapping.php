<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * How fields map to the provider: the account's override and the resulting rules.
 *
 * @property string $integration
 * @property IValidObject|null $override
 * @property string $time_zone
 * @property list<IValidObject> $rules
 */
class IntegrationMapping extends IValidObject
{
    public const FIELDS = ['integration', 'override', 'time_zone', 'rules'];
}
