<?php

declare(strict_types=1);

namespace iValid\Exception;

/** 403: the credentials lack a scope the call needs (`INSUFFICIENT_SCOPE`). */
class PermissionDeniedError extends APIError
{
}
