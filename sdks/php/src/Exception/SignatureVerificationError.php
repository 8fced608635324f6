<?php

declare(strict_types=1);

namespace iValid\Exception;

/** A webhook's signature or timestamp did not check out. */
class SignatureVerificationError extends IValidError
{
}
