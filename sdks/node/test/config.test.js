'use strict';
// The client's configuration, its version, its errors and pages as objects (no server).

const assert = require('node:assert/strict');
const { test } = require('node:test');
const iValid = require('@ivalid/sdk');
const packageJson = require('../package.json');
const { pythonSdkVersion } = require('./helpers');

const SDK_VARIABLES = ['IVALID_BASE_URL', 'IVALID_API_KEY', 'IVALID_CLIENT_ID', 'IVALID_CLIENT_SECRET'];

/** Run `body` with the SDK's environment variables set to `values` only, then restore them. */
function withEnv(values, body) {
  const saved = Object.fromEntries(SDK_VARIABLES.map((name) => [name, process.env[name]]));
  try {
    for (const name of SDK_VARIABLES) delete process.env[name];
    Object.assign(process.env, values);
    return body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

test('S01 the environment picks the base URL; IVALID_BASE_URL and baseUrl override it', () => {
  withEnv({}, () => {
    const production = new iValid.Client({ apiKey: 'k' });
    assert.equal(production.environment, 'production');
    assert.equal(production.baseUrl, 'https://api.ivalid.fr/v2');
    assert.equal(production.tokenUrl, 'https://api.ivalid.fr/oauth/token');
    const sandbox = new iValid.Client({ apiKey: 'k', environment: 'sandbox' });
    assert.equal(sandbox.baseUrl, 'https://sandbox.api.ivalid.fr/v2');
    assert.equal(sandbox.tokenUrl, 'https://sandbox.api.ivalid.fr/oauth/token');
    assert.deepEqual(iValid.ENVIRONMENTS, {
      production: 'https://api.ivalid.fr/v2',
      sandbox: 'https://sandbox.api.ivalid.fr/v2',
    });
  });
  withEnv({ IVALID_BASE_URL: 'http://127.0.0.1:8000/v2/' }, () => {
    const fromEnv = new iValid.Client({ apiKey: 'k', environment: 'production' });
    assert.equal(fromEnv.baseUrl, 'http://127.0.0.1:8000/v2');
    assert.equal(fromEnv.tokenUrl, 'http://127.0.0.1:8000/oauth/token');
    const explicit = new iValid.Client({ apiKey: 'k', baseUrl: 'https://hub.example.org/ivalid/v2' });
    assert.equal(explicit.baseUrl, 'https://hub.example.org/ivalid/v2');
    assert.equal(explicit.tokenUrl, 'https://hub.example.org/ivalid/oauth/token');
  });
  assert.throws(() => new iValid.Client({ apiKey: 'k', environment: 'staging' }), /environment/);
});

test('S02 credentials are required, and read from the environment', () => {
  withEnv({}, () => {
    assert.throws(() => new iValid.Client(), /credentials/);
    assert.throws(() => new iValid.Client({ clientId: 'cid' }), /credentials/);
  });
  withEnv({ IVALID_API_KEY: 'from-env' }, () => {
    assert.equal(new iValid.Client().baseUrl, 'https://api.ivalid.fr/v2');
  });
  withEnv({ IVALID_CLIENT_ID: 'cid', IVALID_CLIENT_SECRET: 'cs' }, () => {
    assert.ok(new iValid.Client({ environment: 'sandbox' }));
  });
});

test('S04 the version is the Python SDK version', () => {
  assert.equal(packageJson.version, pythonSdkVersion());
  assert.equal(iValid.VERSION, packageJson.version);
});

test('S17 errors print status, code and request id', () => {
  const error = new iValid.SlotNotAvailable("Le créneau demandé n'est plus disponible", {
    httpStatus: 409,
    code: 'SLOT_NOT_AVAILABLE',
    suggestions: [{ slot: '2025-01-20T14:00:00Z', technician_id: 'tech_xyz789' }],
    requestId: 'req_1',
  });
  assert.equal(String(error), "409 SLOT_NOT_AVAILABLE: Le créneau demandé n'est plus disponible (request req_1)");
  assert.ok(error instanceof iValid.ConflictError && error instanceof iValid.APIError);
  assert.ok(error instanceof iValid.IValidError && error instanceof Error);
  assert.equal(error.name, 'SlotNotAvailable');
  assert.equal(error.suggestions[0].slot, '2025-01-20T14:00:00Z');
  assert.match(error.stack, /^SlotNotAvailable: Le créneau/);

  const invalid = new iValid.ValidationError('Données invalides', {
    httpStatus: 422,
    code: 'VALIDATION_ERROR',
    details: { errors: [{ field: 'email', reason: 'invalid' }] },
  });
  assert.deepEqual(invalid.errors, [{ field: 'email', reason: 'invalid' }]);
  assert.equal(String(invalid), '422 VALIDATION_ERROR: Données invalides [email: invalid]');
  assert.equal(String(new iValid.APIConnectionError('refused')), 'refused');
});

test('S26 objects are the API JSON and a page serialises to {data, meta}', () => {
  const appointment = { id: 'apt_1', customer: { id: 'cust_1', name: 'Marie Dupont' }, a_field_added_later: { nested: [{ x: 1 }] } };
  const meta = { total: 42, page: 1, per_page: 10, total_pages: 5 };
  const page = new iValid.Page([appointment], meta);
  assert.equal(page.meta.total_pages, 5);
  assert.ok(page.hasMore);
  assert.deepEqual(JSON.parse(JSON.stringify(page)), { data: [appointment], meta });
  assert.equal(page.data[0].a_field_added_later.nested[0].x, 1);
  assert.ok(String(page).includes('1/5'));
  return page.nextPage().then((next) => assert.equal(next, null)); // a page built by hand cannot fetch
});

test('S01 the ES module entry exports the same objects', async () => {
  const esm = await import('@ivalid/sdk');
  assert.equal(esm.Client, iValid.Client);
  assert.equal(esm.default, iValid);
  assert.equal(esm.SlotNotAvailable, iValid.SlotNotAvailable);
  assert.equal(esm.webhooks.verify, iValid.webhooks.verify);
});
