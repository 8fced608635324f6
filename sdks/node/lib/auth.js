'use strict';
/** OAuth 2.0 client credentials: a token fetched, cached, and renewed before it expires. */

const { APIConnectionError, AuthenticationError, errorFromResponse } = require('./errors');

// Renew this long before the token expires, so a request never leaves with a dying token; at most
// a tenth of the lifetime, for servers configured with very short-lived tokens.
const REFRESH_MARGIN_SECONDS = 60;

/**
 * OAuth 2.0 client credentials: fetches a token, caches it, and renews it before it expires.
 *
 * Renewal uses the refresh token when the server gave one and falls back to a new
 * client-credentials grant if the refresh is refused. Concurrent requests share one token, and
 * only one of them fetches a new one.
 */
class ClientCredentials {
  constructor({ tokenUrl, clientId, clientSecret, scope, post, clock }) {
    this.tokenUrl = tokenUrl;
    this._clientId = clientId;
    this._clientSecret = clientSecret;
    this._scope = scope;
    // (url, body) => Promise<{status, ok, headers, text}>: the transport's send, without retries
    // of what the server may have processed.
    this._post = post;
    this._clock = clock || (() => performance.now() / 1000);
    this._accessToken = null;
    this._refreshToken = null;
    this._refreshAt = 0;
    this._expiresAt = 0;
    this._renewing = null;
  }

  /** The cached access token, if one was fetched (for diagnostics). */
  get accessToken() {
    return this._accessToken;
  }

  /** Seconds until the cached token expires, or null without one. */
  get expiresIn() {
    return this._accessToken === null ? null : this._expiresAt - this._clock();
  }

  /** A valid access token, fetched or renewed first if needed. */
  async bearer() {
    while (this._accessToken === null || this._clock() >= this._refreshAt) {
      if (!this._renewing) {
        this._renewing = this._renew().finally(() => {
          this._renewing = null;
        });
      }
      await this._renewing;
    }
    return this._accessToken;
  }

  /** Drop `token` if it is still the cached one; the next `bearer()` fetches a new one. */
  invalidate(token) {
    if (this._accessToken === token) this._accessToken = null;
    return true;
  }

  async _renew() {
    if (this._refreshToken) {
      try {
        this._store(await this._grant({ grant_type: 'refresh_token', refresh_token: this._refreshToken }));
        return;
      } catch (error) {
        // Refresh token expired or revoked: start over with the client's secret.
        if (!(error instanceof AuthenticationError)) throw error;
        this._refreshToken = null;
      }
    }
    const body = { grant_type: 'client_credentials' };
    if (this._scope) body.scope = this._scope;
    this._store(await this._grant(body));
  }

  async _grant(body) {
    body = { ...body, client_id: this._clientId, client_secret: this._clientSecret };
    let response;
    try {
      response = await this._post(this.tokenUrl, body);
    } catch (exc) {
      if (exc instanceof APIConnectionError) {
        exc.message = `Could not reach the token endpoint ${this.tokenUrl}: ${exc.message}`;
      }
      throw exc;
    }
    let payload;
    try {
      payload = JSON.parse(response.text);
    } catch {
      payload = undefined;
    }
    const isObject = payload && typeof payload === 'object' && !Array.isArray(payload);
    if (response.status !== 200 || !isObject) {
      let error = errorFromResponse(response.status, payload, response.headers, response.text);
      if (isObject && typeof payload.error === 'string') {
        // RFC 6749 token errors are flat: {"error": "invalid_client", "error_description": ...}
        error.code = payload.error;
        error.message = String(payload.error_description || payload.error);
      }
      if ((response.status === 400 || response.status === 401) && !(error instanceof AuthenticationError)) {
        error = new AuthenticationError(error.message, { ...error });
      }
      throw error;
    }
    if (typeof payload.access_token !== 'string') {
      throw new AuthenticationError('The token endpoint answered without an access_token', {
        httpStatus: response.status,
        jsonBody: payload,
      });
    }
    return payload;
  }

  _store(payload) {
    const now = this._clock();
    let lifetime = Number(payload.expires_in);
    if (!Number.isFinite(lifetime) || lifetime <= 0) lifetime = 3600;
    this._accessToken = payload.access_token;
    this._refreshToken = payload.refresh_token || this._refreshToken;
    this._expiresAt = now + lifetime;
    this._refreshAt = now + lifetime - Math.min(REFRESH_MARGIN_SECONDS, lifetime / 10);
  }
}

module.exports = { ClientCredentials, REFRESH_MARGIN_SECONDS };
