<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * How and when a customer likes to be reached.
 *
 * @property string|null $preferred_contact
 * @property list<string> $preferred_time_slots
 * @property string|null $language
 */
class CustomerPreferences extends IValidObject
{
    public const FIELDS = ['preferred_contact', 'preferred_time_slots', 'language'];
}
