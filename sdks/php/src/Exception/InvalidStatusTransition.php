<?php

declare(strict_types=1);

namespace iValid\Exception;

/** 409 `INVALID_STATUS_TRANSITION`: e.g. confirming an appointment that was cancelled. */
class InvalidStatusTransition extends ConflictError
{
}
