<?php

declare(strict_types=1);

namespace iValid\Exception;

/** The server could not be reached, or the connection broke before a response arrived. */
class APIConnectionError extends IValidError
{
}
