<?php

declare(strict_types=1);

namespace iValid\Exception;

/** The API answered with an error status; subclasses narrow it down by status and code. */
class APIError extends IValidError
{
}
