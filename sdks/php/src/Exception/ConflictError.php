<?php

declare(strict_types=1);

namespace iValid\Exception;

/** 409: the request conflicts with the current state of a resource. */
class ConflictError extends APIError
{
}
