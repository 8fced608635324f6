<?php

declare(strict_types=1);

namespace iValid\Auth;

/** An API key sent as the bearer token as is. */
final class ApiKeyCredentials implements Credentials
{
    public function __construct(private readonly string $apiKey)
    {
    }

    public function bearer(): string
    {
        return $this->apiKey;
    }

    /** An API key cannot be renewed: a 401 is final. */
    public function invalidate(string $token): bool
    {
        return false;
    }
}
