<?php

declare(strict_types=1);

namespace iValid\Http;

/** Internal: one curl attempt failed without a response; `neverSent` when nothing left. */
final class ConnectionFailed extends \RuntimeException
{
    public function __construct(string $message, public readonly bool $neverSent)
    {
        parent::__construct($message);
    }
}
