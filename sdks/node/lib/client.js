'use strict';
/** `Client`: the entry point, holding credentials and one service per API resource. */

const { ClientCredentials } = require('./auth');
const { ApiKeyCredentials, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, HTTPClient } = require('./http');
const {
  Appointments,
  Availability,
  Customers,
  Events,
  Integrations,
  Services,
  Teams,
  Technicians,
  Webhooks,
} = require('./resources');

/** The API base URL of each environment. */
const ENVIRONMENTS = Object.freeze({
  production: 'https://api.ivalid.fr/v2',
  sandbox: 'https://sandbox.api.ivalid.fr/v2',
});

/**
 * A client of the iValid API v2.
 *
 *     const client = new iValid.Client({ apiKey: '...', environment: 'sandbox' });
 *     for await (const appointment of client.appointments.list({ status: 'confirmed' })) { ... }
 *
 * Credentials: an API key (sent as the bearer token), or OAuth 2.0 `clientId` and
 * `clientSecret`, for which the client fetches a token from `/oauth/token`, caches it and renews
 * it before it expires. Without them, `IVALID_API_KEY`, then `IVALID_CLIENT_ID` and
 * `IVALID_CLIENT_SECRET`, are read from the environment.
 *
 * The server: `environment` picks production or sandbox; `baseUrl`, or else the
 * `IVALID_BASE_URL` environment variable, overrides it (a self-hosted hub, e.g.
 * `http://127.0.0.1:8000/v2`).
 */
class Client {
  constructor(options = {}) {
    const {
      apiKey,
      environment = 'production',
      baseUrl,
      clientId,
      clientSecret,
      scope,
      tokenUrl,
      timeout = DEFAULT_TIMEOUT,
      maxRetries = DEFAULT_MAX_RETRIES,
      fetch,
    } = options;
    if (!Object.prototype.hasOwnProperty.call(ENVIRONMENTS, environment)) {
      throw new Error(
        `environment must be one of ${Object.keys(ENVIRONMENTS).join(', ')}, not ${JSON.stringify(environment)}`,
      );
    }
    this.environment = environment;
    this.baseUrl = (baseUrl || process.env.IVALID_BASE_URL || ENVIRONMENTS[environment]).replace(/\/+$/, '');
    this.tokenUrl = tokenUrl || tokenUrlFor(this.baseUrl);
    Object.defineProperty(this, '_http', {
      value: new HTTPClient({ baseUrl: this.baseUrl, timeout, maxRetries, fetch }),
    });
    this._http.credentials = this._credentials(apiKey, clientId, clientSecret, scope);

    this.appointments = new Appointments(this._http);
    this.customers = new Customers(this._http);
    this.services = new Services(this._http);
    this.teams = new Teams(this._http);
    this.technicians = new Technicians(this._http);
    this.availability = new Availability(this._http);
    this.webhooks = new Webhooks(this._http);
    this.events = new Events(this._http);
    this.integrations = new Integrations(this._http);
  }

  _credentials(apiKey, clientId, clientSecret, scope) {
    if (!apiKey && !(clientId && clientSecret)) {
      apiKey = process.env.IVALID_API_KEY;
      clientId = clientId || process.env.IVALID_CLIENT_ID;
      clientSecret = clientSecret || process.env.IVALID_CLIENT_SECRET;
    }
    if (apiKey) return new ApiKeyCredentials(apiKey);
    if (clientId && clientSecret) {
      return new ClientCredentials({
        tokenUrl: this.tokenUrl,
        clientId,
        clientSecret,
        scope,
        post: (url, body) => this._http.send('POST', url, { json: body, headers: { Accept: 'application/json' } }),
      });
    }
    throw new Error(
      'No credentials: pass { apiKey }, or { clientId, clientSecret } ' +
        '(or set IVALID_API_KEY, or IVALID_CLIENT_ID and IVALID_CLIENT_SECRET)',
    );
  }

  /** How many times a failed request that is safe to repeat is sent again. */
  get maxRetries() {
    return this._http.maxRetries;
  }

  /** Milliseconds to wait for each response. */
  get timeout() {
    return this._http.timeout;
  }

  /**
   * Call any API path (relative to the base URL) with the client's auth and retries, for
   * endpoints or parameters this SDK version does not know yet; resolves to the decoded JSON.
   */
  request(method, path, { params, body, idempotencyKey } = {}) {
    return this._http.request(method, path, { params, body, idempotencyKey });
  }

  toString() {
    return `<iValid.Client ${this.baseUrl}>`;
  }
}

/** The OAuth token endpoint of an API base URL: `https://host/v2` → `https://host/oauth/token`. */
function tokenUrlFor(baseUrl) {
  const url = new URL(baseUrl);
  let path = url.pathname.replace(/\/+$/, '');
  // Any other layout is unknown: the token endpoint is then at the server root.
  path = path.endsWith('/v2') ? path.slice(0, -3) : '';
  return `${url.origin}${path}/oauth/token`;
}

module.exports = { Client, ENVIRONMENTS, tokenUrlFor };
