'use strict';
/**
 * Checking that a webhook really comes from iValid, before trusting its body.
 *
 * iValid signs every delivery twice:
 *
 * - `X-iValid-Signature: sha256=<hex>`: HMAC-SHA256 of the raw body with the webhook's secret,
 *   exactly as the API documentation shows (`verify`).
 * - Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`): HMAC-SHA256 of
 *   `"{id}.{timestamp}.{body}"`, which also binds the time of sending, so a captured request
 *   cannot be replayed later (`verifyStandard`, with a tolerance on the timestamp). The key is the
 *   base64-decoded part of a `whsec_<base64>` secret, as Standard Webhooks libraries expect.
 *   While a secret is rotated, the header carries one signature per active secret.
 *
 * Both take the secret exactly as the API returned it, `whsec_` prefix included. Always pass the
 * raw body as received (a Buffer or the exact string), not JSON parsed and stringified again:
 * any change in spacing or key order changes the signature.
 */

const crypto = require('node:crypto');
const { SignatureVerificationError } = require('./errors');
const { getHeader } = require('./util');

const SECRET_PREFIX = 'whsec_';
const SIGNATURE_HEADER = 'X-iValid-Signature';
const STANDARD_ID_HEADER = 'webhook-id';
const STANDARD_TIMESTAMP_HEADER = 'webhook-timestamp';
const STANDARD_SIGNATURE_HEADER = 'webhook-signature';
/** Seconds a Standard Webhooks timestamp may differ from the local clock, either way. */
const DEFAULT_TOLERANCE = 300;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function toBuffer(payload) {
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (payload instanceof ArrayBuffer) return Buffer.from(payload);
  throw new TypeError('The webhook payload must be the raw body: a string, Buffer or Uint8Array');
}

function secretsOf(secret) {
  return typeof secret === 'string' ? [secret] : [...secret];
}

/** A strict base64 decoding, or null when the text is not base64. */
function decodeBase64(text) {
  if (!text || !BASE64.test(text)) return null;
  return Buffer.from(text, 'base64');
}

function safeEqual(a, b) {
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** The `X-iValid-Signature` value for a body: `sha256=` and the hex HMAC-SHA256. */
function sign(payload, secret) {
  return `sha256=${crypto.createHmac('sha256', secret).update(toBuffer(payload)).digest('hex')}`;
}

/**
 * True if `signature` (the `X-iValid-Signature` header) signs `payload` with `secret` (or one of
 * several secrets, during a rotation). This is the API documentation's
 * `verifyWebhook(payload, signature, secret)`; the comparison takes constant time.
 */
function verify(payload, signature, secret) {
  if (typeof signature !== 'string' || !signature) return false;
  const given = Buffer.from(signature.trim().toLowerCase());
  if (!given.toString().startsWith('sha256=')) return false;
  const body = toBuffer(payload);
  return secretsOf(secret).some((key) => safeEqual(Buffer.from(sign(body, key).toLowerCase()), given));
}

/**
 * The HMAC key of the Standard Webhooks signature, derived as the hub derives it: a secret
 * `whsec_<base64>` stands for the decoded bytes; any other secret is used as its UTF-8 bytes.
 */
function standardKey(secret) {
  if (secret.startsWith(SECRET_PREFIX)) {
    const key = decodeBase64(secret.slice(SECRET_PREFIX.length));
    if (key && key.length) return key;
  }
  return Buffer.from(secret, 'utf8');
}

/** The Standard Webhooks `webhook-signature` value: `v1,<base64 HMAC-SHA256>`. */
function signStandard(payload, secret, { msgId, timestamp }) {
  const mac = crypto
    .createHmac('sha256', standardKey(secret))
    .update(`${msgId}.${timestamp}.`)
    .update(toBuffer(payload))
    .digest('base64');
  return `v1,${mac}`;
}

function checkStandard(payload, headers, secret, { tolerance = DEFAULT_TOLERANCE, now } = {}) {
  const msgId = getHeader(headers, STANDARD_ID_HEADER);
  const rawTimestamp = getHeader(headers, STANDARD_TIMESTAMP_HEADER);
  const rawSignatures = getHeader(headers, STANDARD_SIGNATURE_HEADER);
  if (!msgId || !rawTimestamp || !rawSignatures) {
    throw new SignatureVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature');
  }
  const text = String(rawTimestamp).trim();
  if (!/^-?\d+$/.test(text)) {
    throw new SignatureVerificationError(`Invalid webhook-timestamp ${JSON.stringify(rawTimestamp)}`);
  }
  const timestamp = Number(text);
  const current = now === undefined ? Date.now() / 1000 : now;
  if (Math.abs(current - timestamp) > tolerance) {
    throw new SignatureVerificationError(
      `webhook-timestamp ${timestamp} is more than ${tolerance}s from now (${Math.round(current)})`,
    );
  }
  const given = [];
  for (const item of String(rawSignatures).split(/\s+/)) {
    const comma = item.indexOf(',');
    if (comma < 0 || item.slice(0, comma) !== 'v1') continue;
    const decoded = decodeBase64(item.slice(comma + 1));
    if (decoded) given.push(decoded);
  }
  const body = toBuffer(payload);
  for (const key of secretsOf(secret)) {
    const expected = Buffer.from(signStandard(body, key, { msgId, timestamp }).slice(3), 'base64');
    if (given.some((candidate) => safeEqual(expected, candidate))) return;
  }
  throw new SignatureVerificationError('No webhook-signature matches this payload and secret');
}

/** True if the Standard Webhooks headers sign `payload` and were sent within `tolerance` s. */
function verifyStandard(payload, headers, secret, options = {}) {
  try {
    checkStandard(payload, headers, secret, options);
  } catch (error) {
    if (error instanceof SignatureVerificationError) return false;
    throw error;
  }
  return true;
}

/**
 * Verify a received webhook and return its event; throw `SignatureVerificationError` if forged.
 *
 * Uses the Standard Webhooks headers when present (they also reject replays), otherwise
 * `X-iValid-Signature`. `headers` may be `req.headers` of node:http/Express, a fetch `Headers`,
 * or any object.
 */
function constructEvent(payload, headers, secret, { tolerance = DEFAULT_TOLERANCE } = {}) {
  if (getHeader(headers, STANDARD_SIGNATURE_HEADER) !== undefined) {
    checkStandard(payload, headers, secret, { tolerance });
  } else if (!verify(payload, getHeader(headers, SIGNATURE_HEADER), secret)) {
    throw new SignatureVerificationError(
      `No valid ${SIGNATURE_HEADER} or Standard Webhooks signature for this payload`,
    );
  }
  let body;
  try {
    body = JSON.parse(toBuffer(payload).toString('utf8'));
  } catch (exc) {
    throw new SignatureVerificationError(`The webhook body is not JSON: ${exc.message}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new SignatureVerificationError('The webhook body is not a JSON object');
  }
  return body;
}

module.exports = {
  DEFAULT_TOLERANCE,
  SIGNATURE_HEADER,
  SignatureVerificationError,
  constructEvent,
  sign,
  signStandard,
  verify,
  verifyStandard,
};
