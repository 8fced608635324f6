<?php

declare(strict_types=1);

namespace iValid\Exception;

/** 401: no credentials, or an invalid or expired token (`UNAUTHENTICATED`, `INVALID_TOKEN`). */
class AuthenticationError extends APIError
{
}
