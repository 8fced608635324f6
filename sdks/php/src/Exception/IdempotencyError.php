<?php

declare(strict_types=1);

namespace iValid\Exception;

/** 422 `IDEMPOTENCY_KEY_REUSED`: an Idempotency-Key was reused with a different request. */
class IdempotencyError extends APIError
{
}
