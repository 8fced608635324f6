<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * Something that happened in the account, as webhooks deliver it.
 *
 * @property string $id
 * @property string $event The event type, e.g. `appointment.created`.
 * @property string $timestamp
 * @property mixed $data The object the event is about (an `IValidObject`: an appointment, a customer, ...).
 */
class Event extends IValidObject
{
    public const FIELDS = ['id', 'event', 'timestamp', 'data'];
}
