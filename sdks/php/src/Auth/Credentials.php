<?php

declare(strict_types=1);

namespace iValid\Auth;

/** Hands the transport the bearer token to send, and hears when the server rejected it. */
interface Credentials
{
    /** The token for the next request. */
    public function bearer(): string;

    /** Forget `$token` after a 401; true if asking again may give a different token. */
    public function invalidate(string $token): bool;
}
