'use strict';
// iValid.webhooks: the X-iValid-Signature check and the Standard Webhooks check (no server).

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { test } = require('node:test');
const iValid = require('@ivalid/sdk');
const { needs } = require('./helpers');

const { webhooks } = iValid;
const SECRET = 'whsec_your_webhook_secret';
// The spec's webhook payload, as raw bytes exactly as they arrive.
const PAYLOAD = Buffer.from(
  JSON.stringify({
    id: 'evt_1234567890',
    event: 'appointment.created',
    timestamp: '2025-01-15T14:32:05.000Z',
    data: {
      id: 'apt_1234567890',
      customer: { id: 'cust_abc123', name: 'Marie Dupont' },
      service: { id: 'srv_installation', name: 'Installation Climatisation' },
      scheduled_at: '2025-01-20T09:00:00Z',
      status: 'confirmed',
    },
  }),
);
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const STANDARD_SECRET = `whsec_${KEY.toString('base64')}`;

/** The documentation's verifyWebhook, verbatim: what a Node.js receiver computes. */
function verifyWebhook(payload, signature, secret) {
  const expectedSignature = crypto
    .createHmac('sha256', secret)
    .update(payload)
    .digest('hex');

  return crypto.timingSafeEqual(
    Buffer.from(signature),
    Buffer.from('sha256=' + expectedSignature)
  );
}

/** What the documentation's sample computes: 'sha256=' + hex HMAC of the body. */
function nodeSignature(payload, secret) {
  return `sha256=${crypto.createHmac('sha256', secret).update(payload).digest('hex')}`;
}

/** Standard Webhooks headers computed independently of the SDK. */
function standardHeaders(payload, key, msgId, ts) {
  const mac = crypto.createHmac('sha256', key).update(`${msgId}.${ts}.`).update(payload).digest('base64');
  return { 'webhook-id': msgId, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${mac}` };
}

const now = () => Math.floor(Date.now() / 1000);

test('S50 verify accepts the documented signature', () => {
  const signature = nodeSignature(PAYLOAD, SECRET);
  assert.equal(webhooks.verify(PAYLOAD, signature, SECRET), true);
  assert.equal(webhooks.verify(PAYLOAD.toString('utf8'), signature, SECRET), true);
  assert.equal(webhooks.verify(new Uint8Array(PAYLOAD), signature, SECRET), true);
  assert.equal(webhooks.sign(PAYLOAD, SECRET), signature);
  assert.equal(verifyWebhook(PAYLOAD, webhooks.sign(PAYLOAD, SECRET), SECRET), true);
});

const REJECTED = [
  ['body changed', Buffer.concat([PAYLOAD, Buffer.from(' ')]), nodeSignature(PAYLOAD, SECRET), SECRET],
  ['wrong secret', PAYLOAD, nodeSignature(PAYLOAD, SECRET), 'whsec_other'],
  ['no prefix', PAYLOAD, nodeSignature(PAYLOAD, SECRET).slice(7), SECRET],
  ['other algorithm', PAYLOAD, `sha1=${'0'.repeat(40)}`, SECRET],
  ['empty', PAYLOAD, '', SECRET],
  ['missing', PAYLOAD, undefined, SECRET],
  ['null', PAYLOAD, null, SECRET],
  ['garbage', PAYLOAD, 'sha256=zz', SECRET],
];
for (const [name, payload, signature, secret] of REJECTED) {
  test(`S51 verify rejects: ${name}`, () => {
    assert.equal(webhooks.verify(payload, signature, secret), false);
  });
}

test('S52 verify accepts any of several secrets during rotation', () => {
  const signature = nodeSignature(PAYLOAD, 'whsec_new');
  assert.equal(webhooks.verify(PAYLOAD, signature, ['whsec_new', 'whsec_old']), true);
  assert.equal(webhooks.verify(PAYLOAD, signature, ['whsec_old']), false);
});

const KEYS = [
  ['whsec base64 is decoded', STANDARD_SECRET, KEY],
  ['typed-in secret is utf8', SECRET, Buffer.from(SECRET)],
  ['no prefix is utf8', 'plain secret', Buffer.from('plain secret')],
  ['unpadded base64 is utf8', 'whsec_AAA', Buffer.from('whsec_AAA')],
];
for (const [name, secret, key] of KEYS) {
  test(`S53 the Standard Webhooks key: ${name}`, () => {
    const ts = now();
    const headers = standardHeaders(PAYLOAD, key, 'msg_2Lq', ts);
    assert.equal(webhooks.verifyStandard(PAYLOAD, headers, secret), true);
    assert.equal(webhooks.signStandard(PAYLOAD, secret, { msgId: 'msg_2Lq', timestamp: ts }), headers['webhook-signature']);
  });
}

test('S54 verifyStandard accepts any listed signature and any header case', () => {
  const ts = now();
  const good = standardHeaders(PAYLOAD, KEY, 'msg_1', ts);
  const headers = {
    'Webhook-Id': 'msg_1',
    'Webhook-Timestamp': String(ts),
    'Webhook-Signature': `v1,bm90IGl0 ${good['webhook-signature']}`,
  };
  assert.equal(webhooks.verifyStandard(PAYLOAD, headers, STANDARD_SECRET), true);
  assert.equal(webhooks.verifyStandard(PAYLOAD, new Headers(headers), STANDARD_SECRET), true);
});

const AGES = [
  ['now', 0, true],
  ['just inside', 299, true],
  ['slightly ahead', -299, true],
  ['too old (replay)', 301, false],
  ['too far ahead', -301, false],
];
for (const [name, age, ok] of AGES) {
  test(`S55 the timestamp tolerance: ${name}`, () => {
    const at = 1800000000;
    const headers = standardHeaders(PAYLOAD, KEY, 'msg_1', at - age);
    assert.equal(webhooks.verifyStandard(PAYLOAD, headers, STANDARD_SECRET, { now: at }), ok);
    assert.equal(webhooks.verifyStandard(PAYLOAD, headers, STANDARD_SECRET, { now: at, tolerance: 600 }), true);
  });
}

test('S56 verifyStandard rejects tampering and missing headers', () => {
  const headers = standardHeaders(PAYLOAD, KEY, 'msg_1', now());
  assert.equal(webhooks.verifyStandard(Buffer.concat([PAYLOAD, Buffer.from('x')]), headers, STANDARD_SECRET), false);
  assert.equal(webhooks.verifyStandard(PAYLOAD, { ...headers, 'webhook-id': 'msg_2' }, STANDARD_SECRET), false);
  assert.equal(webhooks.verifyStandard(PAYLOAD, headers, `whsec_${'A'.repeat(44)}`), false);
  for (const name of Object.keys(headers)) {
    const partial = { ...headers };
    delete partial[name];
    assert.equal(webhooks.verifyStandard(PAYLOAD, partial, STANDARD_SECRET), false, name);
  }
  assert.equal(webhooks.verifyStandard(PAYLOAD, { ...headers, 'webhook-timestamp': 'yesterday' }, STANDARD_SECRET), false);
});

test('S57 constructEvent prefers the Standard headers and returns the event', () => {
  const headers = {
    ...standardHeaders(PAYLOAD, KEY, 'msg_1', now()),
    'X-iValid-Signature': 'sha256=deadbeef', // ignored: the Standard headers are checked
  };
  const event = webhooks.constructEvent(PAYLOAD, headers, STANDARD_SECRET);
  assert.equal(event.event, 'appointment.created');
  assert.equal(event.data.customer.name, 'Marie Dupont');

  const stale = standardHeaders(PAYLOAD, KEY, 'msg_1', now() - 3600);
  assert.throws(
    () => webhooks.constructEvent(PAYLOAD, stale, STANDARD_SECRET),
    (error) => error instanceof iValid.SignatureVerificationError && /webhook-timestamp/.test(error.message),
  );
});

test('S58 constructEvent falls back to the iValid signature', () => {
  const headers = { 'x-ivalid-signature': nodeSignature(PAYLOAD, SECRET) };
  assert.equal(webhooks.constructEvent(PAYLOAD, headers, SECRET).id, 'evt_1234567890');
  assert.throws(() => webhooks.constructEvent(PAYLOAD, headers, 'whsec_wrong'), iValid.SignatureVerificationError);
  assert.throws(() => webhooks.constructEvent(PAYLOAD, {}, SECRET), iValid.SignatureVerificationError);
  assert.equal(webhooks.SignatureVerificationError, iValid.SignatureVerificationError);
});

// The hub's own signing code (hub/events/signing.py) signed a payload for this test, with a new
// and a rotated-out secret; and what the SDK signs here is checked by the hub's verifier after
// this run (tests/sdk/test_sdk_node.py).
test('S59 the SDK verifies what the hub signs, and signs what the hub verifies', needs('IVALID_TEST_HUB_SIGNED', 'IVALID_TEST_SDK_SIGNED_OUT'), () => {
  const signed = JSON.parse(process.env.IVALID_TEST_HUB_SIGNED);
  const payload = Buffer.from(signed.payload_base64, 'base64');
  const [fresh, old] = signed.secrets;
  assert.equal(webhooks.verify(payload, signed.headers['X-iValid-Signature'], fresh), true);
  assert.equal(webhooks.verifyStandard(payload, signed.headers, fresh), true);
  assert.equal(webhooks.verifyStandard(payload, signed.headers, old), true); // the rotated-out secret still signs
  assert.equal(webhooks.constructEvent(payload, signed.headers, fresh).id, 'evt_1234567890');
  assert.equal(webhooks.verifyStandard(payload, signed.headers, signed.other_secret), false);

  const ts = now();
  const sdkHeaders = {
    'webhook-id': 'msg_2',
    'webhook-timestamp': String(ts),
    'webhook-signature': webhooks.signStandard(payload, fresh, { msgId: 'msg_2', timestamp: ts }),
    'X-iValid-Signature': webhooks.sign(payload, fresh),
  };
  fs.writeFileSync(process.env.IVALID_TEST_SDK_SIGNED_OUT, JSON.stringify(sdkHeaders));
});
