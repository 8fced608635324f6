<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * A booked intervention: who, what, when, where, and its status.
 *
 * @property string $id
 * @property AppointmentCustomer $customer
 * @property AppointmentService $service
 * @property AppointmentTechnician|null $technician
 * @property string $scheduled_at
 * @property string|null $ends_at
 * @property int|null $duration
 * @property string $status One of `pending`, `confirmed`, `completed`, `cancelled`.
 * @property Location|null $location
 * @property string|null $notes
 * @property bool|null $notify_customer
 * @property bool|null $reminder_sms
 * @property bool|null $reminder_email
 * @property string|null $created_at
 * @property string|null $updated_at
 */
class Appointment extends IValidObject
{
    public const FIELDS = ['id', 'customer', 'service', 'technician', 'scheduled_at', 'ends_at', 'duration', 'status', 'location', 'notes', 'notify_customer', 'reminder_sms', 'reminder_email', 'created_at', 'updated_at'];

    protected const NESTED = [
        'customer' => AppointmentCustomer::class,
        'service' => AppointmentService::class,
        'technician' => AppointmentTechnician::class,
        'location' => Location::class,
    ];
}
