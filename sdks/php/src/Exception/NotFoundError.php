<?php

declare(strict_types=1);

namespace iValid\Exception;

/** 404: no such resource in this account and environment. */
class NotFoundError extends APIError
{
}
