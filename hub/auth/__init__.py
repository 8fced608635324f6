"""Authentication: the OAuth 2.0 server, API keys, scopes and the signing keys (JWKS)."""
