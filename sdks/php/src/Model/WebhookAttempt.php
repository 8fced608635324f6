<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * One HTTP attempt of a delivery: when, the answer's status, latency, first 1 KB, error.
 *
 * @property int $number
 * @property string $attempted_at
 * @property bool $success
 * @property int|null $status_code
 * @property int|null $latency_ms
 * @property string|null $response_body
 * @property string|null $error
 * @property string|null $detail
 */
class WebhookAttempt extends IValidObject
{
    public const FIELDS = ['number', 'attempted_at', 'success', 'status_code', 'latency_ms', 'response_body', 'error', 'detail'];
}
