'use strict';
// Retries, backoff, idempotency keys, token caching and error mapping, against a loopback server.
// No mocks: the SDK talks HTTP to StubServer, a real server on 127.0.0.1 answering from a script,
// so what is tested is what goes over the wire.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const iValid = require('@ivalid/sdk');
const { DROP, StubServer, pause, reply, stubServer } = require('./helpers');

const APPOINTMENT = {
  id: 'apt_1',
  customer: { id: 'cust_1', name: 'Marie Dupont' },
  service: { id: 'srv_1', name: 'Installation Climatisation', duration: 120 },
  technician: { id: 'tech_1', name: 'Jean Martin' },
  scheduled_at: '2025-01-20T09:00:00Z',
  status: 'pending',
  location: { postal_code: '75001', coordinates: { lat: 48.8566, lng: 2.3522 } },
};

function clientOf(stub, options = {}) {
  return new iValid.Client({ apiKey: 'key_test', baseUrl: stub.baseUrl, ...options });
}

function rateLimited(retryAfter = '1') {
  return reply(429, { error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Trop de requêtes' } }, { 'Retry-After': retryAfter });
}

test('S03 the API key is the bearer and requests are JSON', async (t) => {
  const stub = await stubServer(t);
  stub.queue('GET', '/v2/appointments/apt_1', reply(200, APPOINTMENT));
  const appointment = await clientOf(stub).appointments.get('apt_1');
  const [request] = stub.received;
  assert.equal(stub.received.length, 1);
  assert.equal(request.headers.authorization, 'Bearer key_test');
  assert.equal(request.headers.accept, 'application/json');
  assert.match(request.headers['user-agent'], /^ivalid-node\/\d+\.\d+\.\d+/);
  assert.equal(request.headers['idempotency-key'], undefined);
  assert.equal(appointment.id, 'apt_1');
  assert.equal(appointment.status, 'pending');
  assert.equal(appointment.technician.name, 'Jean Martin');
  assert.equal(appointment.location.coordinates.lat, 48.8566);
  assert.equal(appointment.notes, undefined); // a documented field the server left out
});

test('S07 a 429 is retried after Retry-After', async (t) => {
  const stub = await stubServer(t);
  stub.queue('GET', '/v2/appointments/apt_1', rateLimited('1'), reply(200, APPOINTMENT));
  const started = performance.now();
  const appointment = await clientOf(stub, { maxRetries: 2 }).appointments.get('apt_1');
  const elapsed = (performance.now() - started) / 1000;
  assert.equal(appointment.id, 'apt_1');
  assert.equal(stub.received.length, 2);
  assert.ok(elapsed >= 0.95, `the SDK must wait for Retry-After before retrying (waited ${elapsed}s)`);
});

test('S08 a 429 POST is retried with the same Idempotency-Key', async (t) => {
  const stub = await stubServer(t);
  stub.queue('POST', '/v2/appointments', rateLimited('0'), reply(201, APPOINTMENT));
  await clientOf(stub).appointments.create({
    customer_id: 'cust_1',
    service_id: 'srv_1',
    scheduled_at: '2025-01-20T09:00:00Z',
  });
  const [first, second] = stub.calls('POST', '/v2/appointments');
  assert.equal(first.headers['idempotency-key'], second.headers['idempotency-key']);
  assert.ok(first.headers['idempotency-key'].length >= 32);
  assert.equal(first.headers['content-type'], 'application/json');
  assert.deepEqual(first.json(), {
    customer_id: 'cust_1',
    service_id: 'srv_1',
    scheduled_at: '2025-01-20T09:00:00Z',
  });
});

test('S09 429 past maxRetries raises RateLimitError', async (t) => {
  const stub = await stubServer(t);
  stub.queue('GET', '/v2/events', rateLimited('0'), rateLimited('0'), rateLimited('0'));
  const error = await clientOf(stub, { maxRetries: 1 }).events.list().catch((e) => e);
  assert.ok(error instanceof iValid.RateLimitError, String(error));
  assert.equal(stub.received.length, 2);
  assert.equal(error.httpStatus, 429);
  assert.equal(error.code, 'RATE_LIMIT_EXCEEDED');
  assert.equal(error.retryAfter, 0);
  assert.equal(error.requestId, 'req_stub2');
});

test('S10 a Retry-After longer than a minute is not slept through', async (t) => {
  const stub = await stubServer(t);
  stub.queue('GET', '/v2/events', rateLimited('3600'));
  const error = await clientOf(stub, { maxRetries: 3 }).events.list().catch((e) => e);
  assert.ok(error instanceof iValid.RateLimitError);
  assert.equal(stub.received.length, 1);
  assert.equal(error.retryAfter, 3600);
});

test('S11 server errors are retried for GET and POST but not DELETE', async (t) => {
  const stub = await stubServer(t);
  const busy = () => reply(503, { error: { code: 'UNAVAILABLE', message: 'busy' } }, { 'Retry-After': '0' });
  stub.queue('GET', '/v2/services', busy(), reply(200, { data: [], meta: {} }));
  stub.queue('POST', '/v2/appointments/apt_1/confirm', busy(), reply(200, APPOINTMENT));
  stub.queue('DELETE', '/v2/appointments/apt_1', busy());
  const client = clientOf(stub);
  await client.services.list();
  await client.appointments.confirm('apt_1');
  const error = await client.appointments.cancel('apt_1').catch((e) => e);
  assert.ok(error instanceof iValid.ServerError, String(error));
  assert.equal(error.httpStatus, 503);
  assert.equal(stub.calls('GET', '/v2/services').length, 2);
  const confirms = stub.calls('POST', '/v2/appointments/apt_1/confirm');
  assert.equal(confirms.length, 2);
  assert.equal(confirms[0].headers['idempotency-key'], confirms[1].headers['idempotency-key']);
  assert.equal(stub.calls('DELETE', '/v2/appointments/apt_1').length, 1);
});

test('S12 a dropped connection is retried for POST with the same key', async (t) => {
  const stub = await stubServer(t);
  stub.queue('POST', '/v2/customers', DROP, reply(201, { id: 'cust_9' }));
  const customer = await clientOf(stub).customers.create({ first_name: 'Marie', last_name: 'Dupont' });
  assert.equal(customer.id, 'cust_9');
  const [first, second] = stub.calls('POST', '/v2/customers');
  assert.equal(first.headers['idempotency-key'], second.headers['idempotency-key']);
});

test('S12 a dropped connection is not retried for DELETE', async (t) => {
  const stub = await stubServer(t);
  stub.queue('DELETE', '/v2/webhooks/wh_1', DROP);
  const error = await clientOf(stub).webhooks.delete('wh_1').catch((e) => e);
  assert.ok(error instanceof iValid.APIConnectionError, String(error));
  assert.equal(stub.received.length, 1);
});

test('S13 an unreachable server raises APIConnectionError', async () => {
  const stub = await new StubServer().start();
  const baseUrl = stub.baseUrl;
  await stub.close(); // nothing listens on that port any more
  const client = new iValid.Client({ apiKey: 'k', baseUrl, maxRetries: 1 });
  const error = await client.teams.list().catch((e) => e);
  assert.ok(error instanceof iValid.APIConnectionError, String(error));
  assert.ok(error instanceof iValid.IValidError);
  assert.equal(error.httpStatus, null);
  assert.match(error.message, /ECONNREFUSED/);
});

test('S14 a caller-supplied idempotency key is sent', async (t) => {
  const stub = await stubServer(t);
  stub.queue('POST', '/v2/appointments', reply(201, APPOINTMENT));
  await clientOf(stub).appointments.create(
    { customer_id: 'cust_1', service_id: 'srv_1', scheduled_at: '2025-01-20T09:00:00Z' },
    { idempotencyKey: 'order-42' },
  );
  assert.equal(stub.received[0].headers['idempotency-key'], 'order-42');
  assert.equal(stub.received[0].json().idempotencyKey, undefined);
});

const MAPPING = [
  [400, 'BAD_REQUEST', 'BadRequestError'],
  [401, 'INVALID_TOKEN', 'AuthenticationError'],
  [403, 'INSUFFICIENT_SCOPE', 'PermissionDeniedError'],
  [404, 'NOT_FOUND', 'NotFoundError'],
  [409, 'SLOT_NOT_AVAILABLE', 'SlotNotAvailable'],
  [409, 'INVALID_STATUS_TRANSITION', 'InvalidStatusTransition'],
  [409, 'SOMETHING_NEW', 'ConflictError'],
  [422, 'VALIDATION_ERROR', 'ValidationError'],
  [422, 'IDEMPOTENCY_KEY_REUSED', 'IdempotencyError'],
  [500, 'INTERNAL_ERROR', 'ServerError'],
  [418, null, 'APIError'],
];

for (const [status, code, className] of MAPPING) {
  test(`S15 ${status} ${code} is a ${className}`, async (t) => {
    const stub = await stubServer(t);
    const body = {
      error: {
        code,
        message: "Le créneau demandé n'est plus disponible",
        details: { errors: [{ field: 'email', reason: 'invalid' }] },
        suggestions: [{ slot: '2025-01-20T14:00:00Z', technician_id: 'tech_xyz789' }],
      },
    };
    stub.queue('POST', '/v2/appointments/apt_1/complete', reply(status, body));
    const error = await clientOf(stub, { maxRetries: 0 }).appointments.complete('apt_1').catch((e) => e);
    assert.equal(error.constructor, iValid[className], `${error.name}: ${error}`);
    assert.equal(error.name, className);
    assert.ok(error instanceof iValid.IValidError && error instanceof iValid.APIError && error instanceof Error);
    assert.equal(error.httpStatus, status);
    assert.equal(error.code, code);
    assert.equal(error.message, "Le créneau demandé n'est plus disponible");
    assert.equal(error.details.errors[0].field, 'email');
    assert.equal(error.suggestions[0].technician_id, 'tech_xyz789');
    assert.match(error.requestId, /^req_stub/);
    assert.ok(String(error).includes(String(status)) && String(error).includes(error.requestId));
  });
}

test('S16 a non-JSON error body still raises the right error', async (t) => {
  const stub = await stubServer(t);
  stub.queue('GET', '/v2/teams/team_1', reply(404));
  const error = await clientOf(stub).teams.get('team_1').catch((e) => e);
  assert.ok(error instanceof iValid.NotFoundError, String(error));
  assert.equal(error.httpStatus, 404);
});

// -- OAuth client credentials -------------------------------------------------------------------

/** Serve /oauth/token: numbered tokens, refreshable; returns the grant bodies received. */
function tokenEndpoint(stub, expiresIn) {
  const grants = [];
  stub.default('POST', '/oauth/token', (request) => {
    const body = request.json();
    grants.push(body);
    if (body.client_secret !== 's3cret') {
      return reply(401, { error: 'invalid_client', error_description: 'bad secret' });
    }
    const n = grants.length;
    return reply(200, {
      access_token: `tok_${n}`,
      token_type: 'Bearer',
      expires_in: expiresIn,
      refresh_token: `ref_${n}`,
      scope: body.scope || 'appointments:read',
    });
  });
  return grants;
}

/** Answer GET /v2/teams, accepting only the newest token issued so far. */
function echoBearer(stub, grants) {
  stub.default('GET', '/v2/teams', (request) => {
    if (request.headers.authorization !== `Bearer tok_${grants.length}`) {
      return reply(401, { error: { code: 'INVALID_TOKEN', message: 'expired' } });
    }
    return reply(200, { data: [], meta: { total: 0, page: 1, per_page: 10 } });
  });
}

function oauthClient(stub, secret = 's3cret', extra = {}) {
  return new iValid.Client({ baseUrl: stub.baseUrl, clientId: 'cid', clientSecret: secret, ...extra });
}

test('S18 client credentials fetch once and cache the token', async (t) => {
  const stub = await stubServer(t);
  const grants = tokenEndpoint(stub, 3600);
  echoBearer(stub, grants);
  const client = oauthClient(stub, 's3cret', { scope: 'teams:read' });
  await Promise.all([client.teams.list(), client.teams.list()]); // concurrent calls share one token
  await client.teams.list();
  assert.deepEqual(grants, [
    { grant_type: 'client_credentials', scope: 'teams:read', client_id: 'cid', client_secret: 's3cret' },
  ]);
  assert.deepEqual(
    stub.calls('GET', '/v2/teams').map((r) => r.headers.authorization),
    ['Bearer tok_1', 'Bearer tok_1', 'Bearer tok_1'],
  );
  assert.equal(stub.calls('POST', '/oauth/token')[0].headers['idempotency-key'], undefined);
});

test('S19 the token is refreshed before it expires', async (t) => {
  const stub = await stubServer(t);
  const grants = tokenEndpoint(stub, 1);
  echoBearer(stub, grants);
  const client = oauthClient(stub);
  await client.teams.list();
  await pause(1000);
  await client.teams.list();
  assert.deepEqual(grants.map((g) => g.grant_type), ['client_credentials', 'refresh_token']);
  assert.equal(grants[1].refresh_token, 'ref_1');
  // The second call went out with the new token straight away: no 401 round trip.
  assert.deepEqual(stub.calls('GET', '/v2/teams').map((r) => r.headers.authorization), ['Bearer tok_1', 'Bearer tok_2']);
});

test('S20 a rejected token is replaced once', async (t) => {
  const stub = await stubServer(t);
  const grants = tokenEndpoint(stub, 3600);
  stub.queue('GET', '/v2/teams', reply(401, { error: { code: 'INVALID_TOKEN', message: 'revoked' } }));
  echoBearer(stub, grants);
  await oauthClient(stub).teams.list();
  assert.equal(grants.length, 2);
  assert.deepEqual(stub.calls('GET', '/v2/teams').map((r) => r.headers.authorization), ['Bearer tok_1', 'Bearer tok_2']);
});

test('S21 a refused refresh token falls back to client credentials', async (t) => {
  const stub = await stubServer(t);
  const grants = tokenEndpoint(stub, 1);
  echoBearer(stub, grants);
  const client = oauthClient(stub);
  await client.teams.list();
  await pause(1000);
  stub.queue('POST', '/oauth/token', reply(400, { error: 'invalid_grant', error_description: 'refresh token revoked' }));
  await client.teams.list();
  // The refused refresh was answered from the queue; both grants that reached the endpoint's
  // default handler are client credentials.
  assert.deepEqual(grants.map((g) => g.grant_type), ['client_credentials', 'client_credentials']);
  assert.deepEqual(
    stub.calls('POST', '/oauth/token').map((r) => r.json().grant_type),
    ['client_credentials', 'refresh_token', 'client_credentials'],
  );
});

test('S22 bad client credentials raise AuthenticationError', async (t) => {
  const stub = await stubServer(t);
  tokenEndpoint(stub, 3600);
  const error = await oauthClient(stub, 'nope').teams.list().catch((e) => e);
  assert.ok(error instanceof iValid.AuthenticationError, String(error));
  assert.equal(error.code, 'invalid_client');
  assert.equal(error.message, 'bad secret');
  assert.deepEqual(stub.calls('GET', '/v2/teams'), []);
});

// -- pagination and parameters ------------------------------------------------------------------

test('S23 iterating a page fetches the next pages lazily', async (t) => {
  const stub = await stubServer(t);
  stub.default('GET', '/v2/customers', (request) => {
    const number = Number(request.query.get('page') || 1);
    const size = Number(request.query.get('per_page') || 10);
    const ids = Array.from({ length: 25 }, (_, i) => i + 1).slice((number - 1) * size, number * size);
    const meta = { total: 25, page: number, per_page: size, total_pages: 3 };
    return reply(200, { data: ids.map((i) => ({ id: `cust_${i}` })), meta });
  });
  const client = clientOf(stub);
  const first = await client.customers.list({ tag: 'premium', per_page: 10 });
  assert.deepEqual(first.data.slice(0, 2).map((c) => c.id), ['cust_1', 'cust_2']);
  assert.equal(first.meta.total, 25);
  assert.equal(first.meta.total_pages, 3);
  assert.ok(first.hasMore);
  assert.equal(stub.received.length, 1);

  const walk = first[Symbol.asyncIterator]();
  const taken = [];
  for (let i = 0; i < 11; i += 1) taken.push((await walk.next()).value.id);
  assert.equal(taken.at(-1), 'cust_11');
  assert.equal(stub.received.length, 2, 'page 2 is fetched only when page 1 is used up');

  const everything = [];
  for await (const c of first) everything.push(c.id);
  assert.deepEqual(everything, Array.from({ length: 25 }, (_, i) => `cust_${i + 1}`));

  const second = stub.received[1].query;
  assert.equal(second.get('tag'), 'premium');
  assert.equal(second.get('page'), '2');
  assert.equal(second.get('per_page'), '10');

  // The promise list() returns iterates too, like the page it resolves to.
  const fromPromise = [];
  for await (const c of client.customers.list({ tag: 'premium', per_page: 10 })) fromPromise.push(c.id);
  assert.equal(fromPromise.length, 25);
  assert.equal((await client.customers.list({ per_page: 10 }).autoPagingToArray({ limit: 12 })).length, 12);
  const seen = [];
  await client.customers.list({ per_page: 10 }).autoPagingEach((c) => {
    seen.push(c.id);
    return seen.length < 3;
  });
  assert.deepEqual(seen, ['cust_1', 'cust_2', 'cust_3']);
});

test('S24 query values are encoded', async (t) => {
  const stub = await stubServer(t);
  stub.default('GET', '/v2/events', () => reply(200, { data: [], meta: {} }));
  const page = await clientOf(stub).events.list({
    type: 'appointment.created',
    date_from: '2025-01-01',
    date_to: new Date(Date.UTC(2025, 0, 31, 12, 30)),
    page: undefined,
    per_page: null,
  });
  assert.deepEqual(page.data, []);
  const query = stub.received[0].path.split('?')[1];
  assert.ok(query.includes('date_from=2025-01-01'), query);
  assert.ok(query.includes('date_to=2025-01-31T12%3A30%3A00Z'), query);
  assert.ok(!query.includes('page'), query);
});
