'use strict';
// Customers, services, teams, technicians, webhooks, events and integrations, on a live hub.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { test } = require('node:test');
const iValid = require('@ivalid/sdk');
const { futureSlot, hubFromEnv, isoDay, needs, reply, stubServer } = require('./helpers');

const [MONDAY, TUESDAY, THURSDAY] = [0, 1, 3];
const live = needs('IVALID_TEST_HUB');
const hub = hubFromEnv('IVALID_TEST_HUB');
const client = hub ? new iValid.Client({ apiKey: hub.demo.api_key, baseUrl: hub.base_url }) : null;

async function rejection(promise) {
  return promise.then(
    (value) => assert.fail(`expected an error, got ${JSON.stringify(value)}`),
    (error) => error,
  );
}

async function ids(pagePromise) {
  const found = new Set();
  for await (const item of pagePromise) found.add(item.id);
  return found;
}

test('S25 pagination walks every page', live, async () => {
  const tag = `page${crypto.randomBytes(4).toString('hex')}`;
  const created = new Set();
  for (let i = 0; i < 23; i += 1) {
    const customer = await client.customers.create({ first_name: `Client${String(i).padStart(2, '0')}`, last_name: 'Pagination', tags: [tag] });
    created.add(customer.id);
  }
  const first = await client.customers.list({ tag, per_page: 10 });
  assert.equal(first.data.length, 10);
  assert.deepEqual(first.meta, { total: 23, page: 1, per_page: 10, total_pages: 3 });
  assert.ok(first.hasMore);

  const second = await first.nextPage();
  assert.equal(second.meta.page, 2);
  assert.equal(second.data.length, 10);
  const third = await second.nextPage();
  assert.equal(third.data.length, 3);
  assert.equal(third.hasMore, false);
  assert.equal(await third.nextPage(), null);

  const walked = [];
  for await (const c of first) walked.push(c.id); // iterating the first page walks all three
  assert.equal(walked.length, 23);
  assert.deepEqual(new Set(walked), created);
  assert.deepEqual(await ids(client.customers.list({ tag, per_page: 10 })), created);
});

test('S41 customers', live, async () => {
  const email = `marie.${crypto.randomBytes(4).toString('hex')}@example.com`;
  const customer = await client.customers.create({
    first_name: 'Marie',
    last_name: 'Dupont',
    email,
    phone: '+33612345678',
    address: { street: '15 rue des Lilas', city: 'Paris', postal_code: '75001', country: 'FR' },
    preferences: { preferred_contact: 'sms', preferred_time_slots: ['morning', 'afternoon'], language: 'fr' },
    tags: ['premium', 'fidele'],
    custom_fields: { numero_client: 'CLT-2024-001' },
  });
  assert.match(customer.id, /^cust_/);
  assert.equal(customer.name, 'Marie Dupont');
  assert.equal(customer.address.city, 'Paris');
  assert.equal(customer.preferences.preferred_contact, 'sms');
  assert.equal(customer.custom_fields.numero_client, 'CLT-2024-001');

  assert.deepEqual(await client.customers.get(customer.id), customer);
  const updated = await client.customers.update(customer.id, { phone: '+33700000000', tags: ['premium'] });
  assert.equal(updated.phone, '+33700000000');
  assert.deepEqual(updated.tags, ['premium']);
  assert.equal(updated.email, email);

  assert.deepEqual((await client.customers.list({ email })).data.map((c) => c.id), [customer.id]);
  assert.ok((await ids(client.customers.list({ q: 'Dupont', per_page: 100 }))).has(customer.id));
  assert.deepEqual(await client.customers.appointments(customer.id).autoPagingToArray(), []);

  const invalid = await rejection(client.customers.create({ first_name: 'Sans', last_name: 'Email', email: 'pas-un-email' }));
  assert.ok(invalid instanceof iValid.ValidationError, String(invalid));
  assert.ok(invalid.errors.some((e) => e.field.endsWith('email')), JSON.stringify(invalid.errors));

  const missing = await rejection(client.customers.update('cust_doesnotexist', { phone: '+33700000000' }));
  assert.ok(missing instanceof iValid.NotFoundError, String(missing));
});

test('S42 services', live, async () => {
  const demo = await client.services.get(hub.demo.service_id);
  assert.deepEqual([demo.name, demo.duration, demo.price, demo.currency], ['Installation Climatisation', 120, 150.0, 'EUR']);
  assert.deepEqual(demo.required_skills, ['climatisation', 'electricite']);

  const created = await client.services.create({
    name: 'Dépannage Pompe à Chaleur',
    duration: 90,
    buffer_after: 15,
    price: 120.5,
    required_skills: ['climatisation'],
    category: 'depannage',
    color: '#3B82F6',
  });
  assert.match(created.id, /^srv_/);
  assert.equal(created.price, 120.5);
  const renamed = await client.services.update(created.id, { name: 'Dépannage PAC', available_online: false });
  assert.equal(renamed.name, 'Dépannage PAC');
  assert.equal(renamed.available_online, false);
  assert.equal((await client.services.get(created.id)).name, 'Dépannage PAC');
  assert.ok((await ids(client.services.list({ category: 'depannage' }))).has(created.id));
  const installations = await client.services.list({ category: 'installation' }).autoPagingToArray();
  assert.ok(installations.length && installations.every((s) => s.category === 'installation'));
});

test('S43 teams and technicians', live, async () => {
  const team = await client.teams.create({ name: 'Équipe Lyon', description: 'Interventions Rhône' });
  assert.deepEqual(team.technician_ids, []);
  assert.equal((await client.teams.update(team.id, { description: 'Rhône et Isère' })).description, 'Rhône et Isère');

  const technician = await client.technicians.create({
    name: 'Sophie Bernard',
    email: 'sophie.bernard@company.com',
    team_id: team.id,
    skills: ['plomberie'],
    zones: ['69001', '69002'],
    working_hours: { monday: { start: '08:00', end: '18:00' }, friday: { start: '08:00', end: '12:00' } },
    max_appointments_per_day: 4,
    current_location: { lat: 45.764, lng: 4.8357 },
  });
  assert.equal(technician.working_hours.monday.start, '08:00');
  assert.equal(technician.current_location.lat, 45.764);
  assert.deepEqual((await client.teams.get(team.id)).technician_ids, [technician.id]);

  const moved = await client.technicians.update(technician.id, { zones: ['69003'], max_appointments_per_day: 5 });
  assert.deepEqual(moved.zones, ['69003']);
  assert.equal(moved.max_appointments_per_day, 5);
  assert.deepEqual((await client.technicians.get(technician.id)).zones, ['69003']);

  assert.deepEqual((await client.technicians.list({ team_id: team.id })).data.map((t) => t.id), [technician.id]);
  const plumbers = await ids(client.technicians.list({ skill: 'plomberie', per_page: 100 }));
  assert.ok(plumbers.has(technician.id) && plumbers.has(hub.demo.second_technician_id));
  assert.ok((await ids(client.teams.list({ per_page: 100 }))).has(team.id));
});

test('S44 a technician schedule', live, async () => {
  const jean = hub.demo.technician_id;
  const start = futureSlot(6, TUESDAY, 9);
  const booked = await client.appointments.create({
    customer_id: hub.demo.customer_id,
    service_id: hub.demo.service_id,
    scheduled_at: start,
    technician_id: jean,
  });
  const schedule = await client.technicians.schedule(jean, { date: start }); // a Date: its UTC day
  assert.equal(schedule.date, isoDay(start));
  assert.equal(schedule.technician.id, jean);
  assert.equal(schedule.working_hours.start, '08:00');
  assert.deepEqual(schedule.appointments.map((a) => a.id), [booked.id]);
});

test('S45 events record what happened', live, async () => {
  const booked = await client.appointments.create({
    customer_id: hub.demo.customer_id,
    service_id: hub.demo.service_id,
    scheduled_at: futureSlot(6, THURSDAY, 8),
  });
  const matching = [];
  for await (const e of client.events.list({ type: 'appointment.created', per_page: 100 })) {
    if (e.data.id === booked.id) matching.push(e);
  }
  assert.equal(matching.length, 1);
  const event = await client.events.get(matching[0].id);
  assert.equal(event.event, 'appointment.created');
  assert.equal(event.data.customer.name, 'Marie Dupont');
  assert.ok(event.timestamp.endsWith('Z'));
});

test('S46 webhook management', live, async (t) => {
  const receiver = await stubServer(t);
  receiver.default('POST', '/hooks/ivalid', () => reply(200, { ok: true }));
  const secret = 'whsec_your_webhook_secret';
  const url = `${receiver.origin}/hooks/ivalid`;
  const events = ['appointment.created', 'appointment.updated', 'appointment.cancelled'];
  const hook = await client.webhooks.create({ url, events, secret, active: true });
  assert.equal(hook.url, url);
  assert.equal(hook.active, true);
  assert.deepEqual(hook.events, events);

  assert.equal((await client.webhooks.get(hook.id)).url, url);
  assert.ok((await ids(client.webhooks.list())).has(hook.id));
  assert.equal((await client.webhooks.update(hook.id, { active: false })).active, false);
  await client.webhooks.update(hook.id, { active: true });

  const rotated = await client.webhooks.rotateSecret(hook.id);
  assert.ok(rotated.secret && rotated.secret.startsWith('whsec_') && rotated.secret !== secret);
  assert.ok(rotated.previous_secret_expires_at);
  assert.equal((await client.webhooks.get(hook.id)).secret ?? null, null); // shown once only

  const queued = await client.webhooks.test(hook.id);
  assert.equal(queued.webhook_id, hook.id);
  assert.equal(queued.event_type, 'webhook.test');
  const deliveries = await client.webhooks.deliveries(hook.id);
  assert.ok(deliveries instanceof iValid.Page);
  assert.ok((await ids(deliveries)).has(queued.id));
  assert.deepEqual((await client.webhooks.deliveries(hook.id, { event_type: 'webhook.test' })).data.map((d) => d.id), [queued.id]);

  const recovery = await client.webhooks.recover(hook.id, { since: futureSlot(-1, MONDAY, 0) });
  assert.equal(recovery.webhook_id, hook.id);
  assert.ok(Number.isInteger(recovery.queued));

  assert.equal(await client.webhooks.delete(hook.id), undefined);
  const gone = await rejection(client.webhooks.get(hook.id));
  assert.ok(gone instanceof iValid.NotFoundError, String(gone));
});

test('S47 a webhook refuses an unsafe URL', live, async () => {
  const error = await rejection(client.webhooks.create({ url: 'http://169.254.169.254/latest', events: ['appointment.created'] }));
  assert.ok(error instanceof iValid.ValidationError, String(error));
});

test('S49 integrations', live, async () => {
  const known = new Set(['google-calendar', 'outlook', 'zoho', 'stripe', 'zapier', 'make']);
  const names = (await client.integrations.list().autoPagingToArray()).map((i) => i.name);
  assert.ok(names.length && names.every((n) => known.has(n)), names.join());
  assert.ok(names.includes('google-calendar'));

  const google = await client.integrations.get('google-calendar');
  assert.equal(google.display_name, 'Google Calendar');
  assert.equal(google.status, 'disconnected');
  const mapping = await client.integrations.mapping('google-calendar');
  assert.equal(mapping.integration, 'google-calendar');
  assert.ok(mapping.rules.length);
  const links = await client.integrations.technicianLinks('google-calendar');
  assert.ok(links.data.some((link) => link.technician_id === hub.demo.technician_id));

  const notConnected = await rejection(client.integrations.sync('google-calendar'));
  assert.ok(notConnected instanceof iValid.ConflictError, String(notConnected));
  assert.equal(notConnected.code, 'INTEGRATION_NOT_CONNECTED');
  assert.equal(google.configured, false, 'this test hub has no Google OAuth application');
  const notConfigured = await rejection(client.integrations.connect('google-calendar'));
  assert.ok(notConfigured instanceof iValid.ConflictError, String(notConfigured));
  assert.equal(notConfigured.code, 'INTEGRATION_NOT_CONFIGURED');
  assert.equal((await client.integrations.disconnect('google-calendar')).status, 'disconnected');
  const unknown = await rejection(client.integrations.get('fax-machine'));
  assert.ok(unknown instanceof iValid.NotFoundError, String(unknown));
});
