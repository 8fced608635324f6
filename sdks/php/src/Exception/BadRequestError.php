<?php

declare(strict_types=1);

namespace iValid\Exception;

/** 400: the request was malformed. */
class BadRequestError extends APIError
{
}
