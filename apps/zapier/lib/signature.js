'use strict';

// A REST hook delivery is trusted only when iValid signed it with the hook's own secret.
//
// Anyone who learns a Zap's hook URL could post to it; iValid signs every delivery with the
// secret it returned when the hook was made (`subscribeData.secret`), following Standard
// Webhooks 1.0: `webhook-signature` is a space-separated list of `v1,<base64 HMAC-SHA256>`
// over `{webhook-id}.{webhook-timestamp}.{raw body}`, and a timestamp more than five minutes
// from now is refused, so a captured delivery cannot be replayed later.
//
// Zapier hands the raw request to `perform` with each header name prefixed by `Http-`
// (`Http-Webhook-Signature`); names are compared without that prefix and without case.

const crypto = require('crypto');

const SECRET_PREFIX = 'whsec_';
const TOLERANCE_SECONDS = 5 * 60;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A header's value, whatever Zapier or a test did to its name's case and prefix. */
const header = (headers, name) => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers || {})) {
    if (key.toLowerCase().replace(/^http-/, '') === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
};

/**
 * The HMAC key of a secret, as iValid derives it: `whsec_` + base64 decodes to its bytes;
 * any other secret (one a user typed in) is the UTF-8 bytes of the whole string.
 */
const signingKey = (secret) => {
  const rest = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : '';
  if (rest && BASE64.test(rest)) {
    const key = Buffer.from(rest, 'base64');
    if (key.length) return key;
  }
  return Buffer.from(secret, 'utf8');
};

/**
 * Why a delivery is not to be trusted, or null when it is.
 *
 * `rawRequest` is `{headers, content}` (the body exactly as received), `secret` the hook's,
 * `nowSeconds` the current Unix time.
 */
const rejection = (rawRequest, secret, nowSeconds) => {
  if (!secret) return 'this hook has no signing secret: turn the Zap off and on again';
  const request = rawRequest || {};
  const id = header(request.headers, 'webhook-id');
  const timestamp = header(request.headers, 'webhook-timestamp');
  const signatures = header(request.headers, 'webhook-signature');
  if (!id || !timestamp || !signatures || typeof request.content !== 'string') {
    return 'the delivery is not signed';
  }
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) {
    return 'the delivery is too old or from the future';
  }
  const expected = crypto
    .createHmac('sha256', signingKey(secret))
    .update(`${id}.${timestamp}.${request.content}`, 'utf8')
    .digest();
  for (const entry of String(signatures).split(' ')) {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value || !BASE64.test(value)) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && crypto.timingSafeEqual(given, expected)) return null;
  }
  return 'the signature does not match this hook';
};

/** Halt the run (no item, no error alert) unless iValid signed the delivery for this hook. */
const verifyDelivery = (z, bundle) => {
  const secret = bundle.subscribeData && bundle.subscribeData.secret;
  const reason = rejection(bundle.rawRequest, secret, Math.floor(Date.now() / 1000));
  if (reason) throw new z.errors.HaltedError(`Ignored a delivery not from iValid: ${reason}.`);
};

module.exports = { rejection, verifyDelivery, signingKey, TOLERANCE_SECONDS };
