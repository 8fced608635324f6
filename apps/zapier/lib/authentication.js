'use strict';

// OAuth 2.0 authorization code with PKCE against the iValid server, refresh on 401.
//
// Zapier computes the PKCE pair itself when `enablePkce` is true: it adds `code_challenge`
// and `code_challenge_method` to the authorization URL and offers the verifier to the token
// request as `bundle.inputData.code_verifier`. `CLIENT_ID` and `CLIENT_SECRET` are the app's
// environment (`ivalid apps create` prints them; `zapier env:set` stores them).

const { apiUrl, serverUrl } = require('./api');

// What the app may do in the account: read and write appointments and customers, read the
// catalogue and the teams (for the dropdowns). REST hooks need no scope of their own.
const SCOPES = [
  'appointments:read',
  'appointments:write',
  'customers:read',
  'customers:write',
  'services:read',
  'teams:read',
];

/** The token endpoint's answer, refused loudly when it is an RFC 6749 error. */
const tokens = (z, response, what) => {
  const data = response.data || {};
  if (response.status !== 200 || !data.access_token) {
    const reason = data.error
      ? `${data.error}${data.error_description ? ` (${data.error_description})` : ''}`
      : `HTTP ${response.status}`;
    throw new z.errors.Error(`iValid refused the ${what}: ${reason}`, 'OAUTH_ERROR', response.status);
  }
  const out = { access_token: data.access_token };
  if (data.refresh_token) out.refresh_token = data.refresh_token;
  return out;
};

/** Where Zapier sends the user: the consent page of the server in IVALID_URL. */
const authorizeUrl = (z, bundle) => {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: process.env.CLIENT_ID || '',
    redirect_uri: bundle.inputData.redirect_uri,
    state: bundle.inputData.state,
    scope: SCOPES.join(' '),
  });
  return `${serverUrl()}/oauth/authorize?${params}`;
};

const getAccessToken = async (z, bundle) => {
  const response = await z.request({
    url: `${serverUrl()}/oauth/token`,
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: {
      grant_type: 'authorization_code',
      code: bundle.inputData.code,
      redirect_uri: bundle.inputData.redirect_uri,
      code_verifier: bundle.inputData.code_verifier,
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
    },
    skipThrowForStatus: true,
  });
  return tokens(z, response, 'authorization code');
};

const refreshAccessToken = async (z, bundle) => {
  const response = await z.request({
    url: `${serverUrl()}/oauth/token`,
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: {
      grant_type: 'refresh_token',
      refresh_token: bundle.authData.refresh_token,
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
    },
    skipThrowForStatus: true,
  });
  if (response.status === 400 || response.status === 401) {
    // The grant was revoked (or the refresh token reused): only a new connection helps.
    const data = response.data || {};
    throw new z.errors.ExpiredAuthError(
      `iValid refused to refresh the connection (${data.error || response.status}): reconnect iValid.`,
    );
  }
  return tokens(z, response, 'refresh token');
};

/** The connection test: `GET /v2/me` (account, environment, and the user who granted). */
const test = async (z) => {
  const response = await z.request({ url: apiUrl('/me') });
  return response.data;
};

/** "Dupont Plomberie (marie@example.fr)"; the environment when it is the sandbox. */
const connectionLabel = (z, bundle) => {
  const me = bundle.inputData || {};
  const who = me.user && me.user.email ? ` (${me.user.email})` : '';
  const sandbox = me.environment === 'sandbox' ? ' [sandbox]' : '';
  return `${me.account_name || me.account_id || 'iValid'}${who}${sandbox}`;
};

module.exports = {
  SCOPES,
  authentication: {
    type: 'oauth2',
    test,
    connectionLabel,
    fields: [],
    oauth2Config: {
      authorizeUrl,
      getAccessToken,
      refreshAccessToken,
      autoRefresh: true,
      enablePkce: true,
    },
  },
};
