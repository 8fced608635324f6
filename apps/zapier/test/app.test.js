'use strict';

// The app against a live hub, through the platform's own test runner (`createAppTester`):
// authentication and refresh, every trigger (subscribe, a delivery from the hub, perform,
// unsubscribe, performList), every action, search and dropdown, and the error mapping.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { after, before, describe, test } = require('node:test');

const zapier = require('zapier-platform-core');

const App = require('../index.js');
const { api, fixture, freeSlots, startReceiver, waitFor } = require('./support');

const appTester = zapier.createAppTester(App);
const { signingKey } = require('../lib/signature');

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A received delivery as Zapier hands it to perform: each header name prefixed `Http-`. */
const asZapierGives = (delivery) => ({
  headers: Object.fromEntries(
    Object.entries(delivery.headers).map(([name, value]) => [
      `Http-${name.replace(/(^|-)([a-z])/g, (m, dash, c) => dash + c.toUpperCase())}`,
      value,
    ]),
  ),
  content: delivery.content,
});

/** A body signed as iValid signs (Standard Webhooks), at `timestamp`, with `secret`. */
const signed = (secret, content, timestamp) => {
  const id = `msg_${crypto.randomUUID()}`;
  const mac = crypto.createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.${content}`);
  return {
    headers: {
      'Http-Webhook-Id': id,
      'Http-Webhook-Timestamp': String(timestamp),
      'Http-Webhook-Signature': `v1,${mac.digest('base64')}`,
    },
    content,
  };
};
const F = fixture();
const auth = {}; // bundle.authData: the tokens getAccessToken obtains, refreshed in place

const bundle = (inputData = {}, extra = {}) => ({ authData: auth, inputData, ...extra });
/** A method of the app by its path (`triggers.new_customer.operation.perform`), or itself. */
const method = (path) =>
  typeof path === 'string' ? path.split('.').reduce((node, key) => node[key], App) : path;
const run = (path, inputData, extra) => appTester(method(path), bundle(inputData, extra));

/** The error a call throws, parsed: Zapier errors carry a JSON message. */
const failure = async (promise) => {
  try {
    await promise;
  } catch (error) {
    let parsed = {};
    try {
      parsed = JSON.parse(error.message);
    } catch (e) {
      parsed = { message: error.message };
    }
    return { name: error.name, ...parsed };
  }
  assert.fail('the call succeeded');
};

describe('the definition', () => {
  test('passes the platform schema validation (what `zapier validate` runs offline)', async () => {
    const results = (await zapier.createAppHandler(App)({ command: 'validate' })).results;
    assert.deepEqual(results, []);
  });

  test('a broken definition fails it (the validation is not a no-op)', async () => {
    const bad = { key: 'bad', noun: 'Bad', display: { label: 'Bad', description: 'Bad.' } };
    const broken = { ...App, triggers: { ...App.triggers, bad } }; // no operation
    const results = (await zapier.createAppHandler(broken)({ command: 'validate' })).results;
    assert.ok(results.some((e) => /triggers\.bad/.test(e.property)), JSON.stringify(results));
  });

  test('has the triggers, actions, searches and dropdowns it promises', () => {
    assert.deepEqual(Object.keys(App.triggers).sort(), [
      'appointment_cancelled',
      'appointment_confirmed',
      'appointment_updated',
      'customer',
      'new_appointment',
      'new_customer',
      'service',
      'technician',
    ]);
    assert.deepEqual(Object.keys(App.creates).sort(), [
      'cancel_appointment',
      'confirm_appointment',
      'create_appointment',
      'create_customer',
      'reschedule_appointment',
      'update_customer',
    ]);
    assert.deepEqual(Object.keys(App.searches).sort(), ['find_appointment', 'find_customer']);
    const oauth = App.authentication.oauth2Config;
    assert.equal(App.authentication.type, 'oauth2');
    assert.equal(oauth.enablePkce, true);
    assert.equal(oauth.autoRefresh, true);
  });
});

describe('authentication', () => {
  test('the authorization URL is the hub consent page with the app, redirect, state and scopes', async () => {
    const url = new URL(
      await appTester(App.authentication.oauth2Config.authorizeUrl, {
        inputData: { redirect_uri: 'https://zapier.example/return', state: 's-42' },
      }),
    );
    assert.equal(`${url.origin}${url.pathname}`, `${F.origin}/oauth/authorize`);
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('client_id'), process.env.CLIENT_ID);
    assert.equal(url.searchParams.get('redirect_uri'), 'https://zapier.example/return');
    assert.equal(url.searchParams.get('state'), 's-42');
    assert.ok(url.searchParams.get('scope').split(' ').includes('appointments:write'));
  });

  test('an authorization code (with its PKCE verifier) is exchanged for tokens', async () => {
    const tokens = await appTester(App.authentication.oauth2Config.getAccessToken, {
      inputData: F.code,
    });
    assert.ok(tokens.access_token && tokens.refresh_token, JSON.stringify(tokens));
    assert.deepEqual(Object.keys(tokens).sort(), ['access_token', 'refresh_token']);
    Object.assign(auth, tokens);
  });

  test('a code with a wrong PKCE verifier is refused with a clear error', async () => {
    const error = await failure(
      appTester(App.authentication.oauth2Config.getAccessToken, {
        inputData: { ...F.spare_code, code_verifier: crypto.randomBytes(40).toString('base64url') },
      }),
    );
    assert.match(error.message, /iValid refused the authorization code: invalid_grant \(.+\)/);
  });

  test('the connection test is GET /v2/me and labels the connection', async () => {
    const me = await appTester(App.authentication.test, bundle());
    assert.equal(me.account_id, F.account_id);
    const label = await appTester(App.authentication.connectionLabel, bundle(me));
    assert.ok(label.includes(me.account_name || me.account_id), label);
    assert.equal(me.user.email, F.user_email); // a grant's token: the user who allowed
    assert.ok(label.includes(me.user.email), label);
    assert.ok(label.endsWith('[sandbox]'), label);
  });

  test('an access token the hub refuses asks Zapier to refresh; the refreshed token works', async () => {
    // What an expired token gets: 401 from the API (a token that is not one gets the same).
    auth.access_token = `${auth.access_token.slice(0, -8)}expired0`;
    const error = await failure(run(App.authentication.test));
    assert.equal(error.name, 'RefreshAuthError');

    const before = { ...auth };
    const fresh = await appTester(App.authentication.oauth2Config.refreshAccessToken, bundle());
    assert.ok(fresh.access_token && fresh.access_token !== before.access_token);
    assert.ok(fresh.refresh_token && fresh.refresh_token !== before.refresh_token, 'rotated');
    Object.assign(auth, fresh);
    const me = await appTester(App.authentication.test, bundle());
    assert.equal(me.account_id, F.account_id);
  });

  test('a refresh token iValid refuses means reconnecting (ExpiredAuthError)', async () => {
    const error = await failure(
      appTester(App.authentication.oauth2Config.refreshAccessToken, {
        authData: { refresh_token: 'not-a-refresh-token' },
        inputData: {},
      }),
    );
    assert.equal(error.name, 'ExpiredAuthError');
    assert.match(error.message, /reconnect iValid/);
  });
});

describe('dropdowns', () => {
  for (const [key, path] of [
    ['service', '/services'],
    ['technician', '/technicians'],
    ['customer', '/customers?sort=-created_at'],
  ]) {
    test(`${key}: the account's ${key}s as {id, name}`, async () => {
      const items = await run(`triggers.${key}.operation.perform`, {}, { meta: { page: 0 } });
      const direct = await api('GET', `${path}${path.includes('?') ? '&' : '?'}per_page=100`);
      assert.deepEqual(
        items.map((i) => i.id),
        direct.body.data.map((o) => o.id),
      );
      assert.ok(items.length > 0 && items.every((i) => typeof i.name === 'string' && i.name));
      if (key === 'customer') {
        const marie = items.find((i) => i.id === F.ids.customer_id);
        assert.match(marie.name, /^Marie Dupont <.+@.+>$/);
      }
    });
  }

  test('a page past the end is empty (Zapier stops asking)', async () => {
    const items = await run('triggers.service.operation.perform', {}, { meta: { page: 5 } });
    assert.deepEqual(items, []);
  });
});

describe('triggers, actions and searches', () => {
  let receiver;
  const hooks = {}; // trigger key → subscribeData
  const deliveries = {}; // trigger key → the delivery the hub sent it
  const made = {};

  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  const EVENTS = {
    new_appointment: 'appointment.created',
    appointment_updated: 'appointment.updated',
    appointment_confirmed: 'appointment.confirmed',
    appointment_cancelled: 'appointment.cancelled',
    new_customer: 'customer.created',
  };

  test('subscribing each trigger registers a REST hook on the hub', async () => {
    for (const [key, event] of Object.entries(EVENTS)) {
      const data = await run(`triggers.${key}.operation.performSubscribe`, {}, {
        targetUrl: `${receiver.url}/hooks/${key}`,
      });
      assert.ok(String(data.id).startsWith('hook_'), JSON.stringify(data));
      assert.equal(data.event, event);
      assert.equal(data.target_url, `${receiver.url}/hooks/${key}`);
      assert.match(data.secret, /^whsec_/, 'the secret perform checks deliveries with');
      hooks[key] = data;
    }
    const status = await api('GET', '/integrations/zapier');
    assert.equal(status.status, 200, JSON.stringify(status.body));
    const active = status.body.hooks.map((h) => h.id);
    for (const data of Object.values(hooks)) assert.ok(active.includes(data.id), data.id);
  });

  test('create customer', async () => {
    const suffix = crypto.randomBytes(4).toString('hex');
    const customer = await run('creates.create_customer.operation.perform', {
      first_name: 'Lucie',
      last_name: 'Zapier',
      email: `lucie.${suffix}@example.com`,
      phone: '+33611223344',
      street: '3 rue Oberkampf',
      city: 'Paris',
      postal_code: '75011',
      tags: ['zapier', 'vip'],
    });
    assert.ok(customer.id.startsWith('cust_'));
    assert.equal(customer.name, 'Lucie Zapier');
    assert.deepEqual(customer.address, {
      street: '3 rue Oberkampf',
      city: 'Paris',
      postal_code: '75011',
      country: 'FR',
    });
    assert.deepEqual(customer.tags, ['zapier', 'vip']);
    made.customer = customer;
  });

  test('create customer with a bad e-mail: the API validation error, field named', async () => {
    const error = await failure(
      run('creates.create_customer.operation.perform', {
        first_name: 'A',
        last_name: 'B',
        email: 'not-an-email',
      }),
    );
    assert.equal(error.name, 'AppError'); // z.errors.Error
    assert.equal(error.code, 'VALIDATION_ERROR');
    assert.equal(error.status, 422);
    assert.match(error.message, /email/);
  });

  test('update customer changes only the fields given', async () => {
    const updated = await run('creates.update_customer.operation.perform', {
      customer_id: made.customer.id,
      phone: '+33699887766',
      city: '',
    });
    assert.equal(updated.phone, '+33699887766');
    assert.equal(updated.first_name, 'Lucie');
    assert.equal(updated.email, made.customer.email);
    const direct = await api('GET', `/customers/${made.customer.id}`);
    assert.equal(direct.body.phone, '+33699887766');
  });

  test('update customer with nothing to change is refused before calling iValid', async () => {
    const error = await failure(
      run('creates.update_customer.operation.perform', { customer_id: made.customer.id }),
    );
    assert.equal(error.code, 'NOTHING_TO_UPDATE');
  });

  test('find customer by e-mail (any case); an unknown e-mail finds nothing', async () => {
    const found = await run('searches.find_customer.operation.perform', {
      email: made.customer.email.toUpperCase(),
    });
    assert.deepEqual(found.map((c) => c.id), [made.customer.id]);
    const none = await run('searches.find_customer.operation.perform', {
      email: 'nobody@example.com',
    });
    assert.deepEqual(none, []);
  });

  test('create appointment books the free slot asked for', async () => {
    const [slot] = await freeSlots();
    const apt = await run('creates.create_appointment.operation.perform', {
      customer_id: made.customer.id,
      service_id: F.ids.service_id,
      technician_id: slot.technician_id,
      scheduled_at: slot.start_at,
      postal_code: '75001',
      address: '1 rue de Rivoli',
      city: 'Paris',
      notes: 'Booked from Zapier',
      reminder_sms: 'false',
      notify_customer: true,
    });
    assert.ok(apt.id.startsWith('apt_'));
    assert.equal(apt.scheduled_at, slot.start_at);
    assert.equal(apt.technician.id, slot.technician_id);
    assert.equal(apt.customer.id, made.customer.id);
    assert.equal(apt.location.postal_code, '75001');
    assert.equal(apt.status, 'pending');
    assert.equal(apt.notify_customer, true);
    assert.equal(apt.reminder_sms, false);
    made.appointment = apt;
    made.slot = slot;
  });

  test('create appointment on a taken slot: a clear error naming the suggested slots', async () => {
    const input = {
      customer_id: F.ids.customer_id,
      service_id: F.ids.service_id,
      technician_id: made.slot.technician_id,
      scheduled_at: made.slot.start_at,
      postal_code: '75001',
    };
    const error = await failure(run('creates.create_appointment.operation.perform', input));
    assert.equal(error.code, 'SLOT_NOT_AVAILABLE');
    assert.equal(error.status, 409);
    // The same request straight to the API: the message lists exactly its suggestions.
    const direct = await api('POST', '/appointments', {
      customer_id: input.customer_id,
      service_id: input.service_id,
      technician_id: input.technician_id,
      scheduled_at: input.scheduled_at,
      location: { postal_code: '75001' },
    });
    assert.equal(direct.status, 409);
    const suggestions = direct.body.error.suggestions;
    assert.ok(suggestions.length > 0);
    assert.match(error.message, /Suggested slots: /);
    for (const s of suggestions) {
      assert.ok(error.message.includes(`${s.slot} (technician ${s.technician_id})`), error.message);
    }
    assert.match(error.message, /reason: already_booked/);
  });

  test('reschedule appointment moves it to another free slot', async () => {
    const slots = await freeSlots();
    const other = slots.find((s) => s.start_at !== made.slot.start_at);
    const moved = await run('creates.reschedule_appointment.operation.perform', {
      appointment_id: made.appointment.id,
      scheduled_at: other.start_at,
      technician_id: other.technician_id,
    });
    assert.equal(moved.id, made.appointment.id);
    assert.equal(moved.scheduled_at, other.start_at);
    made.moved = moved;
  });

  test('confirm appointment', async () => {
    const apt = await run('creates.confirm_appointment.operation.perform', {
      appointment_id: made.appointment.id,
    });
    assert.equal(apt.status, 'confirmed');
  });

  test('find appointment by id, by customer; an unknown id finds nothing', async () => {
    const byId = await run('searches.find_appointment.operation.perform', {
      appointment_id: made.appointment.id,
    });
    assert.deepEqual(byId.map((a) => a.id), [made.appointment.id]);
    const byCustomer = await run('searches.find_appointment.operation.perform', {
      customer_id: made.customer.id,
      status: 'confirmed',
    });
    assert.deepEqual(byCustomer.map((a) => a.id), [made.appointment.id]);
    const none = await run('searches.find_appointment.operation.perform', {
      appointment_id: 'apt_doesnotexist',
    });
    assert.deepEqual(none, []);
    const error = await failure(run('searches.find_appointment.operation.perform', {}));
    assert.equal(error.code, 'NO_CRITERIA');
  });

  test('cancel appointment (with a reason); cancelling again is the API status error', async () => {
    const apt = await run('creates.cancel_appointment.operation.perform', {
      appointment_id: made.appointment.id,
      reason: 'Client absent',
    });
    assert.equal(apt.status, 'cancelled');
    const error = await failure(
      run('creates.confirm_appointment.operation.perform', { appointment_id: made.appointment.id }),
    );
    assert.equal(error.code, 'INVALID_STATUS_TRANSITION');
    assert.equal(error.status, 409);
  });

  test('every trigger received its event from the hub, and perform turns it into an item', async () => {
    const expected = {
      new_customer: made.customer.id,
      new_appointment: made.appointment.id,
      appointment_updated: made.appointment.id,
      appointment_confirmed: made.appointment.id,
      appointment_cancelled: made.appointment.id,
    };
    for (const [key, objectId] of Object.entries(expected)) {
      const delivery = await waitFor(`the ${EVENTS[key]} delivery to ${key}`, () =>
        receiver.received.find(
          (r) => r.path === `/hooks/${key}` && r.json && r.json.data && r.json.data.id === objectId,
        ),
      );
      assert.equal(delivery.json.event, EVENTS[key]);
      assert.ok(delivery.headers['x-ivalid-signature'], 'signed like every webhook');
      const items = await run(`triggers.${key}.operation.perform`, {}, {
        cleanedRequest: delivery.json,
        rawRequest: asZapierGives(delivery),
        subscribeData: hooks[key],
      });
      assert.equal(items.length, 1);
      if (key === 'appointment_updated') {
        assert.equal(items[0].appointment_id, objectId);
        assert.equal(items[0].id, `${objectId}:${delivery.json.data.updated_at}`);
      } else {
        assert.equal(items[0].id, objectId);
      }
      // Another event's delivery does not trigger this one.
      const reminder = JSON.stringify({ ...delivery.json, event: 'appointment.reminder' });
      const wrong = await run(`triggers.${key}.operation.perform`, {}, {
        cleanedRequest: JSON.parse(reminder),
        rawRequest: signed(hooks[key].secret, reminder, nowSeconds()),
        subscribeData: hooks[key],
      });
      assert.deepEqual(wrong, []);
      deliveries[key] = delivery;
    }
    // Only the subscribed event reaches each hook.
    for (const r of receiver.received) {
      const key = r.path.replace('/hooks/', '');
      assert.equal(r.json.event, EVENTS[key], r.path);
    }
  });

  test('perform halts on a delivery iValid did not sign for this hook', async () => {
    const key = 'new_customer';
    const delivery = deliveries[key];
    assert.ok(delivery, 'the delivery test ran first');
    const hook = hooks[key];
    const now = nowSeconds();
    const tampered = delivery.content.replace(/"id": ?"[^"]+"/, '"id": "cus_forged"');
    assert.notEqual(tampered, delivery.content);
    const cases = [
      ['another hook\'s secret', signed(hooks.new_appointment.secret, delivery.content, now), hook],
      ['a body changed after signing', { ...asZapierGives(delivery), content: tampered }, hook],
      ['a replay six minutes later', signed(hook.secret, delivery.content, now - 6 * 60), hook],
      ['a timestamp from the future', signed(hook.secret, delivery.content, now + 6 * 60), hook],
      ['no signature headers', { headers: {}, content: delivery.content }, hook],
      ['a hook without its secret', asZapierGives(delivery), { id: hook.id }],
    ];
    for (const [what, rawRequest, subscribeData] of cases) {
      const error = await failure(
        run(`triggers.${key}.operation.perform`, {}, {
          cleanedRequest: JSON.parse(rawRequest.content),
          rawRequest,
          subscribeData,
        }),
      );
      assert.equal(error.name, 'HaltedError', what);
      assert.match(error.message, /not from iValid/, what);
    }
    // The same body signed now with the hook's secret is accepted: the check is the signature.
    const items = await run(`triggers.${key}.operation.perform`, {}, {
      cleanedRequest: delivery.json,
      rawRequest: signed(hook.secret, delivery.content, now - 4 * 60),
      subscribeData: hook,
    });
    assert.equal(items.length, 1);
  });

  test('unsubscribing removes each hook; a second unsubscribe is harmless', async () => {
    for (const [key, data] of Object.entries(hooks)) {
      const done = await run(`triggers.${key}.operation.performUnsubscribe`, {}, {
        subscribeData: data,
        targetUrl: data.target_url,
      });
      assert.deepEqual(done, { id: data.id, unsubscribed: true });
    }
    const status = await api('GET', '/integrations/zapier');
    const active = status.body.hooks.map((h) => h.id);
    for (const data of Object.values(hooks)) assert.ok(!active.includes(data.id), data.id);
    const again = await run('triggers.new_customer.operation.performUnsubscribe', {}, {
      subscribeData: hooks.new_customer,
    });
    assert.deepEqual(again, { id: hooks.new_customer.id, unsubscribed: true });
  });

  test('performList: samples from the sorted lists, newest first', async () => {
    const customers = await run('triggers.new_customer.operation.performList');
    assert.equal(customers[0].id, made.customer.id);
    const created = customers.map((c) => c.created_at);
    assert.deepEqual(created, [...created].sort().reverse());

    const newest = await run('triggers.new_appointment.operation.performList');
    assert.equal(newest[0].id, made.appointment.id);

    const updated = await run('triggers.appointment_updated.operation.performList');
    assert.equal(updated[0].appointment_id, made.appointment.id);
    assert.equal(updated[0].id, `${made.appointment.id}:${updated[0].updated_at}`);
    const times = updated.map((a) => a.updated_at);
    assert.deepEqual(times, [...times].sort().reverse());

    const cancelled = await run('triggers.appointment_cancelled.operation.performList');
    assert.ok(cancelled.length > 0 && cancelled.every((a) => a.status === 'cancelled'));
    assert.equal(cancelled[0].id, made.appointment.id);

    // A confirmed one, so the confirmed list has a sample of its own.
    const [slot] = await freeSlots();
    const confirmed = await run('creates.create_appointment.operation.perform', {
      customer_id: made.customer.id,
      service_id: F.ids.service_id,
      technician_id: slot.technician_id,
      scheduled_at: slot.start_at,
      postal_code: '75001',
      status: 'confirmed',
    });
    const list = await run('triggers.appointment_confirmed.operation.performList');
    assert.ok(list.every((a) => a.status === 'confirmed'));
    assert.equal(list[0].id, confirmed.id);
  });
});
