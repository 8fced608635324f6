'use strict';
// Appointments, availability, conflicts and idempotency through the SDK, against a live hub.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { test } = require('node:test');
const iValid = require('@ivalid/sdk');
const { futureSlot, hubFromEnv, isoDay, isoZ, needs } = require('./helpers');

const [MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY] = [0, 1, 2, 3, 4];
const PARIS_1 = { address: '15 rue des Lilas', city: 'Paris', postal_code: '75001' };
const live = needs('IVALID_TEST_HUB');
const hub = hubFromEnv('IVALID_TEST_HUB');
const client = hub ? new iValid.Client({ apiKey: hub.demo.api_key, baseUrl: hub.base_url }) : null;

function book(when, extra = {}, options) {
  return client.appointments.create(
    { customer_id: hub.demo.customer_id, service_id: hub.demo.service_id, scheduled_at: when, ...extra },
    options,
  );
}

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

test('S33 the appointment lifecycle', live, async () => {
  const jean = hub.demo.technician_id;
  const pierre = hub.demo.second_technician_id;
  const start = futureSlot(3, MONDAY, 8);
  const created = await book(start, { // a Date: the SDK sends it as ISO 8601 UTC
    technician_id: jean,
    duration: 120,
    location: PARIS_1,
    notes: 'Code portail: 1234',
    notify_customer: true,
    reminder_sms: true,
    reminder_email: true,
  });
  assert.equal(created.status, 'pending');
  assert.equal(created.scheduled_at, isoZ(start));
  assert.equal(created.technician.id, jean);
  assert.equal(created.technician.name, 'Jean Martin');
  assert.equal(created.customer.name, 'Marie Dupont');
  assert.equal(created.service.price, 150.0);
  assert.equal(created.location.postal_code, '75001');
  assert.equal(created.notes, 'Code portail: 1234');
  assert.equal(created.reminder_sms, true);

  assert.deepEqual(await client.appointments.get(created.id), created);

  const updated = await client.appointments.update(created.id, { notes: 'Sonner deux fois' });
  assert.equal(updated.notes, 'Sonner deux fois');
  assert.equal(updated.scheduled_at, created.scheduled_at);

  assert.equal((await client.appointments.confirm(created.id)).status, 'confirmed');

  const later = futureSlot(3, MONDAY, 13);
  const moved = await client.appointments.reschedule(created.id, { scheduled_at: isoZ(later), technician_id: pierre });
  assert.equal(moved.scheduled_at, isoZ(later));
  assert.equal(moved.technician.id, pierre);

  assert.equal((await client.appointments.complete(created.id)).status, 'completed');

  const error = await rejection(client.appointments.cancel(created.id));
  assert.ok(error instanceof iValid.InvalidStatusTransition, String(error));
  assert.ok(error instanceof iValid.ConflictError);
  assert.equal(error.httpStatus, 409);
  assert.equal(error.code, 'INVALID_STATUS_TRANSITION');
  assert.ok(error.requestId);
});

test('S34 cancel returns the cancelled appointment', live, async () => {
  const booked = await book(isoZ(futureSlot(3, THURSDAY, 8)));
  const cancelled = await client.appointments.cancel(booked.id);
  assert.equal(cancelled.id, booked.id);
  assert.equal(cancelled.status, 'cancelled');
  assert.equal((await client.appointments.get(booked.id)).status, 'cancelled');
  const error = await rejection(client.appointments.confirm(booked.id));
  assert.ok(error instanceof iValid.InvalidStatusTransition, String(error));
});

test('S35 a taken slot raises SlotNotAvailable with usable suggestions', live, async () => {
  const jean = hub.demo.technician_id;
  const when = isoZ(futureSlot(3, TUESDAY, 9));
  await book(when, { technician_id: jean });

  const error = await rejection(book(when, { technician_id: jean }));
  assert.ok(error instanceof iValid.SlotNotAvailable, String(error));
  assert.equal(error.httpStatus, 409);
  assert.equal(error.code, 'SLOT_NOT_AVAILABLE');
  assert.ok(error.message);
  assert.equal(error.details.requested_slot, when);
  assert.equal(error.details.technician_id, jean);
  assert.ok(error.suggestions.length, 'the hub should propose alternatives');
  for (const suggestion of error.suggestions) {
    assert.ok('slot' in suggestion && 'technician_id' in suggestion);
    assert.ok(suggestion.slot.endsWith('Z'));
  }
  const [first] = error.suggestions;
  const rebooked = await book(first.slot, { technician_id: first.technician_id });
  assert.equal(rebooked.scheduled_at, first.slot);
});

test('S36 list filters and customer appointments', live, async () => {
  const day = futureSlot(4, WEDNESDAY, 8);
  const jean = hub.demo.technician_id;
  const a = await book(day, { technician_id: jean });
  await client.appointments.confirm(a.id);
  const noon = new Date(day);
  noon.setUTCHours(12);
  const b = await book(noon, { technician_id: jean });

  const sameDay = await ids(client.appointments.list({ date_from: isoDay(day), date_to: isoDay(day) }));
  assert.deepEqual(sameDay, new Set([a.id, b.id]));

  const confirmed = await ids(client.appointments.list({ status: 'confirmed', technician_id: jean, date_from: isoDay(day) }));
  assert.ok(confirmed.has(a.id) && !confirmed.has(b.id));

  const mine = await client.customers.appointments(hub.demo.customer_id, { status: 'pending' }).autoPagingToArray();
  assert.ok(mine.some((x) => x.id === b.id));
  assert.ok(mine.every((x) => x.customer.id === hub.demo.customer_id));

  const byPostalCode = await ids(client.appointments.list({ postal_code: '75001', date_from: isoDay(day) }));
  assert.ok(byPostalCode.has(a.id) && byPostalCode.has(b.id));
});

test('S37 the same idempotency key books once', live, async () => {
  const key = `test-${crypto.randomUUID()}`;
  const when = isoZ(futureSlot(3, WEDNESDAY, 8));
  const first = await book(when, {}, { idempotencyKey: key });
  const again = await book(when, {}, { idempotencyKey: key });
  assert.equal(again.id, first.id);

  const error = await rejection(book(isoZ(futureSlot(3, WEDNESDAY, 13)), {}, { idempotencyKey: key }));
  assert.ok(error instanceof iValid.IdempotencyError, String(error));
  assert.equal(error.httpStatus, 422);
  assert.equal(error.code, 'IDEMPOTENCY_KEY_REUSED');
});

test('S38 validation errors list the fields', live, async () => {
  const error = await rejection(book('demain matin'));
  assert.ok(error instanceof iValid.ValidationError, String(error));
  assert.equal(error.httpStatus, 422);
  assert.equal(error.code, 'VALIDATION_ERROR');
  assert.ok(error.errors.some((e) => e.field === 'scheduled_at'), JSON.stringify(error.errors));
});

test('S39 unknown ids raise NotFoundError', live, async () => {
  const error = await rejection(client.appointments.get('apt_doesnotexist'));
  assert.ok(error instanceof iValid.NotFoundError, String(error));
  assert.equal(error.httpStatus, 404);
  assert.equal(error.code, 'NOT_FOUND');
});

test('S40 availability: a day, a range of days, and one slot', live, async () => {
  const day = futureSlot(5, MONDAY, 8);
  const availability = await client.availability.get({ service_id: hub.demo.service_id, date: day, postal_code: '75001' });
  assert.equal(availability.date, isoDay(day));
  assert.ok(availability.slots.length, 'a free Monday has slots');
  const [slot] = availability.slots;
  assert.ok([hub.demo.technician_id, hub.demo.second_technician_id].includes(slot.technician_id));
  assert.equal(slot.start.length, 5); // "09:00", local time
  assert.equal(slot.end.length, 5);

  const onlyJean = await client.availability.get({
    service_id: hub.demo.service_id,
    date: isoDay(day),
    postal_code: '75001',
    technician_id: hub.demo.technician_id,
  });
  assert.deepEqual(new Set(onlyJean.slots.map((s) => s.technician_id)), new Set([hub.demo.technician_id]));

  const twoDaysLater = new Date(day.getTime() + 2 * 86400000);
  const ranged = await client.availability.slots({
    service_id: hub.demo.service_id,
    date_from: day,
    date_to: twoDaysLater,
    postal_code: '75001',
  });
  assert.equal(ranged.date_from, isoDay(day));
  assert.equal(ranged.date_to, isoDay(twoDaysLater));
  assert.equal(ranged.days[0].date, isoDay(day));
  assert.equal(ranged.days[0].slots[0].start, slot.start);

  const free = await client.availability.check({
    service_id: hub.demo.service_id,
    scheduled_at: futureSlot(5, MONDAY, 9),
    postal_code: '75001',
  });
  assert.equal(free.available, true);
  assert.ok(free.technician_id);
  assert.deepEqual(free.reasons, []);

  const jean = hub.demo.technician_id;
  const takenAt = isoZ(futureSlot(5, FRIDAY, 9));
  await book(takenAt, { technician_id: jean });
  const taken = await client.availability.check({
    service_id: hub.demo.service_id,
    scheduled_at: takenAt,
    postal_code: '75001',
    technician_id: jean,
  });
  assert.equal(taken.available, false);
  assert.ok(taken.reasons.length);
  assert.ok(taken.suggestions.every((s) => s.slot && s.technician_id));
});
