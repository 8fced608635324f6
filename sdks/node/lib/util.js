'use strict';
/** Small helpers shared by the transport and the resources: headers, dates, parameter encoding. */

/** A header's value, looked up case-insensitively in a Headers object or a plain object. */
function getHeader(headers, name) {
  if (!headers) return undefined;
  if (typeof headers.get === 'function') {
    const value = headers.get(name);
    return value === null ? undefined : value;
  }
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value.join(', ') : value;
  }
  return undefined;
}

/** Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date), or undefined. */
function parseRetryAfter(headers, now = Date.now()) {
  const raw = getHeader(headers, 'Retry-After');
  if (raw === undefined || raw === null) return undefined;
  const text = String(raw).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.max(0, Number(text));
  const when = Date.parse(text);
  if (Number.isNaN(when)) return undefined;
  return Math.max(0, (when - now) / 1000);
}

/** ISO 8601 in UTC with a `Z`, milliseconds only when there are some. */
function formatDatetime(value) {
  return value.toISOString().replace('.000Z', 'Z');
}

/** A calendar-day parameter: a Date is cut to its UTC day (`YYYY-MM-DD`); text passes through. */
function asDate(value) {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return value;
}

/** A JavaScript value made JSON-ready: Dates become ISO 8601 strings, undefined is dropped. */
function encodeValue(value) {
  if (value instanceof Date) return formatDatetime(value);
  if (Array.isArray(value)) return value.map(encodeValue);
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = encodeValue(item);
    }
    return out;
  }
  return value;
}

/** Query parameters as strings: null/undefined dropped, booleans lower-case, arrays comma-joined. */
function encodeQuery(params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'boolean') query.append(key, value ? 'true' : 'false');
    else if (Array.isArray(value)) query.append(key, value.map((v) => String(encodeValue(v))).join(','));
    else query.append(key, String(encodeValue(value)));
  }
  return query.toString();
}

/** A JSON request body (undefined for no body); undefined fields are left out, null is sent. */
function encodeBody(body) {
  if (body === undefined || body === null) return undefined;
  return JSON.stringify(encodeValue(body));
}

/** One path segment, percent-encoded so an id can never change the route. */
function segment(value) {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`Expected a non-empty id, got ${JSON.stringify(value)}`);
  }
  return encodeURIComponent(value);
}

/** Resolve after `seconds`. */
function sleep(seconds) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, seconds * 1000)));
}

module.exports = {
  asDate,
  encodeBody,
  encodeQuery,
  encodeValue,
  formatDatetime,
  getHeader,
  parseRetryAfter,
  segment,
  sleep,
};
