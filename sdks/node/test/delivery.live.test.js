'use strict';
// A webhook delivered by `ivalid worker` to a loopback receiver verifies with the SDK (S48).

const assert = require('node:assert/strict');
const { test } = require('node:test');
const iValid = require('@ivalid/sdk');
const { futureSlot, hubFromEnv, needs, pause, reply, stubServer } = require('./helpers');

test('S48 delivered webhooks verify with the SDK', needs('IVALID_TEST_HUB'), async (t) => {
  const hub = hubFromEnv('IVALID_TEST_HUB');
  const client = new iValid.Client({ apiKey: hub.demo.api_key, baseUrl: hub.base_url });
  const receiver = await stubServer(t);
  receiver.default('POST', '/hooks/ivalid', () => reply(200, { ok: true }));
  const hook = await client.webhooks.create({ url: `${receiver.origin}/hooks/ivalid`, events: ['appointment.created'] });
  assert.ok(hook.secret && hook.secret.startsWith('whsec_'));
  const booked = await client.appointments.create({
    customer_id: hub.demo.customer_id,
    service_id: hub.demo.service_id,
    scheduled_at: futureSlot(7, 0, 9),
  });

  // Events recorded before the hook existed may be fanned out to it too: skip those.
  const ours = () => receiver.calls('POST', '/hooks/ivalid').filter((r) => r.json().data?.id === booked.id);
  const deadline = Date.now() + 30000;
  while (!ours().length && Date.now() < deadline) await pause(200);
  assert.ok(ours().length, 'the worker did not deliver the webhook within 30s');
  const [request] = ours();
  const signature = request.headers['x-ivalid-signature'];
  assert.equal(iValid.webhooks.verify(request.body, signature, hook.secret), true);
  assert.equal(iValid.webhooks.verify(request.body.toString('utf8'), signature, hook.secret), true);
  assert.equal(iValid.webhooks.verifyStandard(request.body, request.headers, hook.secret), true);
  assert.equal(iValid.webhooks.verify(request.body, signature, 'whsec_not_this_one'), false);
  const event = iValid.webhooks.constructEvent(request.body, request.headers, hook.secret);
  assert.equal(event.event, 'appointment.created');
  assert.equal(event.data.id, booked.id);
  assert.equal(event.data.customer.name, 'Marie Dupont');

  let [delivery] = (await client.webhooks.deliveries(hook.id, { event_id: event.id })).data;
  const settled = Date.now() + 10000;
  while (delivery.status === 'pending' && Date.now() < settled) {
    await pause(200);
    [delivery] = (await client.webhooks.deliveries(hook.id, { event_id: event.id })).data;
  }
  assert.equal(delivery.status, 'succeeded');
  assert.equal(delivery.attempts[0].status_code, 200);
  const again = await client.webhooks.retryDelivery(hook.id, delivery.id);
  assert.equal(again.event_id, event.id);
  await client.webhooks.delete(hook.id);
});
