<?php

declare(strict_types=1);

namespace iValid\Exception;

use iValid\Util;

/** 429 `RATE_LIMIT_EXCEEDED`, thrown once the SDK's own retries are used up. */
class RateLimitError extends APIError
{
    /** Seconds the server asked to wait (the `Retry-After` header), if it said. */
    public function getRetryAfter(): ?float
    {
        return Util::parseRetryAfter($this->headers);
    }
}
