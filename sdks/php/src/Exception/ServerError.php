<?php

declare(strict_types=1);

namespace iValid\Exception;

/** 5xx: the server failed; requests safe to repeat were already retried. */
class ServerError extends APIError
{
}
