<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * A customer of the account, with contact details and preferences.
 *
 * @property string $id
 * @property string $first_name
 * @property string $last_name
 * @property string|null $name
 * @property string|null $email
 * @property string|null $phone
 * @property Address|null $address
 * @property CustomerPreferences|null $preferences
 * @property list<string> $tags
 * @property IValidObject $custom_fields
 * @property string|null $created_at
 * @property string|null $updated_at
 */
class Customer extends IValidObject
{
    public const FIELDS = ['id', 'first_name', 'last_name', 'name', 'email', 'phone', 'address', 'preferences', 'tags', 'custom_fields', 'created_at', 'updated_at'];

    protected const NESTED = [
        'address' => Address::class,
        'preferences' => CustomerPreferences::class,
    ];
}
