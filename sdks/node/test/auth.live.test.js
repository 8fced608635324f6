'use strict';
// Credentials, scopes, token refresh and rate limiting through the SDK, against live hubs.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const iValid = require('@ivalid/sdk');
const { hubFromEnv, needs, pause } = require('./helpers');

const TOKEN_TTL = 4; // seconds: IVALID_ACCESS_TOKEN_TTL of the short-token hub

function clientOf(hub, options = {}) {
  const credentials = options.clientId ? {} : { apiKey: hub.demo.api_key };
  return new iValid.Client({ baseUrl: hub.base_url, ...credentials, ...options });
}

function oauthOf(hub, options = {}) {
  return clientOf(hub, { clientId: hub.demo.client_id, clientSecret: hub.demo.client_secret, ...options });
}

async function status(hub, token) {
  const answer = await fetch(`${hub.base_url}/services`, { headers: { Authorization: `Bearer ${token}` } });
  await answer.arrayBuffer();
  return answer.status;
}

test('S27 client credentials fetch a token from /oauth/token', needs('IVALID_TEST_HUB'), async () => {
  const hub = hubFromEnv('IVALID_TEST_HUB');
  const client = oauthOf(hub);
  const customers = await client.customers.list();
  assert.ok(customers.meta.total >= 1);
  const token = await client._http.credentials.bearer();
  assert.notEqual(token, hub.demo.api_key);
  assert.equal(client._http.credentials.accessToken, token);
  // The cached token is a real bearer token of the hub.
  assert.equal(await status(hub, token), 200);
});

test('S28 a scoped token is refused what it may not do', needs('IVALID_TEST_HUB'), async () => {
  const hub = hubFromEnv('IVALID_TEST_HUB');
  const client = oauthOf(hub, { scope: 'appointments:read' });
  await client.appointments.list();
  const error = await client.customers.create({ first_name: 'Pas', last_name: 'Autorisé' }).catch((e) => e);
  assert.ok(error instanceof iValid.PermissionDeniedError, String(error));
  assert.equal(error.httpStatus, 403);
  assert.equal(error.code, 'INSUFFICIENT_SCOPE');
});

test('S29 bad credentials raise AuthenticationError', needs('IVALID_TEST_HUB'), async () => {
  const hub = hubFromEnv('IVALID_TEST_HUB');
  const error = await clientOf(hub, { apiKey: 'ivk_test_not_a_key' }).appointments.list().catch((e) => e);
  assert.ok(error instanceof iValid.AuthenticationError, String(error));
  assert.equal(error.httpStatus, 401);
  assert.ok(['UNAUTHENTICATED', 'INVALID_TOKEN'].includes(error.code), error.code);
  assert.ok(error.requestId);

  const wrong = await oauthOf(hub, { clientSecret: 'cs_wrong' }).appointments.list().catch((e) => e);
  assert.ok(wrong instanceof iValid.AuthenticationError, String(wrong));
  assert.equal(wrong.code, 'invalid_client');
});

test('S30 a revoked token is replaced transparently', needs('IVALID_TEST_HUB'), async () => {
  const hub = hubFromEnv('IVALID_TEST_HUB');
  const client = oauthOf(hub);
  await client.services.list();
  const { credentials } = client._http;
  // Simulate a token the server no longer accepts (revoked, or signed with a rotated key).
  credentials._accessToken = 'not-a-valid-token';
  assert.equal((await client.services.get(hub.demo.service_id)).name, 'Installation Climatisation');
  assert.notEqual(await credentials.bearer(), 'not-a-valid-token');
});

test('S31 the token is refreshed before it expires', needs('IVALID_TEST_SHORT_TOKEN_HUB'), async () => {
  const hub = hubFromEnv('IVALID_TEST_SHORT_TOKEN_HUB');
  const client = oauthOf(hub);
  const { credentials } = client._http;
  const grants = [];
  const post = credentials._post;
  credentials._post = (url, body) => {
    grants.push(body.grant_type);
    return post(url, body);
  };
  await client.services.list();
  const first = await credentials.bearer();
  await pause((TOKEN_TTL + 0.5) * 1000);

  // The old token is dead on the server...
  assert.equal(await status(hub, first), 401);
  // ...yet the SDK's next call just works, with a renewed token.
  assert.ok((await client.services.list()).meta.total >= 1);
  const second = await credentials.bearer();
  assert.notEqual(second, first);
  // Renewed with the refresh token the hub issued, before any request could fail.
  assert.deepEqual(grants, ['client_credentials', 'refresh_token']);
});

test('S32 a 429 is retried after Retry-After', needs('IVALID_TEST_RATE_LIMITED_HUB'), async () => {
  const hub = hubFromEnv('IVALID_TEST_RATE_LIMITED_HUB');
  const impatient = clientOf(hub, { maxRetries: 0 });
  let error;
  for (let i = 0; i < 30 && !error; i += 1) {
    error = await impatient.services.list().then(() => undefined, (e) => e);
  }
  assert.ok(error instanceof iValid.RateLimitError, String(error));
  assert.equal(error.httpStatus, 429);
  assert.equal(error.code, 'RATE_LIMIT_EXCEEDED');
  // The 5-second window, plus up to one second of margin for Redis's whole-second TTLs.
  assert.ok(error.retryAfter > 0 && error.retryAfter <= 6, `retryAfter ${error.retryAfter}`);
  assert.ok(error.requestId);

  const patient = clientOf(hub, { maxRetries: 2 });
  const started = performance.now();
  const page = await patient.services.list();
  const waited = (performance.now() - started) / 1000;
  assert.ok(page.meta.total >= 1);
  assert.ok(waited >= error.retryAfter - 2, `the SDK waited for the window to reopen (${waited}s)`);
});
