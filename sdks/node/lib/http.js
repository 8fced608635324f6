'use strict';
/** The transport: one place that sends requests, retries what is safe to retry, and maps errors. */

const crypto = require('node:crypto');
const {
  APIConnectionError,
  APIError,
  AuthenticationError,
  errorFromResponse,
  headersObject,
} = require('./errors');
const { encodeBody, encodeQuery, getHeader, parseRetryAfter, sleep } = require('./util');
const { VERSION } = require('./version');

const DEFAULT_TIMEOUT = 30000;
const DEFAULT_MAX_RETRIES = 2;
// A server asking for a longer pause than this gets the error back at once: sleeping through
// minutes inside a library call would look like a hang.
const MAX_RETRY_AFTER = 60;
const INITIAL_BACKOFF = 0.5;
const MAX_BACKOFF = 8;

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT']);
// Failures before a single byte of the request could reach the server.
const NEVER_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

const USER_AGENT = `ivalid-node/${VERSION} (Node ${process.version}; fetch)`;

/** An API key sent as the bearer token as is. */
class ApiKeyCredentials {
  constructor(apiKey) {
    this._apiKey = apiKey;
  }

  /** The API key. */
  async bearer() {
    return this._apiKey;
  }

  /** An API key cannot be renewed: a 401 is final. */
  invalidate() {
    return false;
  }
}

/**
 * Sends API requests with authentication, an automatic Idempotency-Key, and retries.
 *
 * Retried, up to `maxRetries` times: 429 after `Retry-After`; 502/503/504 and broken connections
 * for requests that are safe to repeat, which are GET and PUT and every POST (each POST carries an
 * Idempotency-Key, kept across its retries, so the server runs it once). A DELETE is retried only
 * when the connection could not even be opened.
 */
class HTTPClient {
  constructor({ baseUrl, credentials, timeout = DEFAULT_TIMEOUT, maxRetries = DEFAULT_MAX_RETRIES, fetch: fetchImpl, sleep: sleepImpl } = {}) {
    this.baseUrl = String(baseUrl).replace(/\/+$/, '');
    this.credentials = credentials || new ApiKeyCredentials('');
    this.timeout = timeout;
    this.maxRetries = Math.max(0, Math.trunc(Number(maxRetries) || 0));
    this._fetch = fetchImpl || globalThis.fetch;
    this._sleep = sleepImpl || sleep;
    if (typeof this._fetch !== 'function') {
      throw new TypeError('No fetch(): @ivalid/sdk needs Node.js 18 or later');
    }
  }

  /** Call the API and return the decoded JSON (undefined for an empty body); throw on errors. */
  async request(method, path, { params, body, idempotencyKey, timeout } = {}) {
    method = method.toUpperCase();
    const headers = { Accept: 'application/json' };
    const data = encodeBody(body);
    if (data !== undefined) headers['Content-Type'] = 'application/json';
    if (method === 'POST') headers['Idempotency-Key'] = idempotencyKey || crypto.randomUUID();
    else if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    const query = encodeQuery(params);
    const url = this.baseUrl + path + (query ? `?${query}` : '');

    let token = await this.credentials.bearer();
    let response = await this.send(method, url, { data, headers, token, timeout });
    if (response.status === 401 && this.credentials.invalidate(token)) {
      // The token was revoked or expired early: fetch a new one and try once more.
      token = await this.credentials.bearer();
      response = await this.send(method, url, { data, headers, token, timeout });
    }
    return decode(response);
  }

  /**
   * Send one request, with retries; resolves to the last response `{status, ok, headers, text}`,
   * whatever its status.
   */
  async send(method, url, { data, json, headers, token, timeout } = {}) {
    method = method.toUpperCase();
    const allHeaders = { 'User-Agent': USER_AGENT, ...(headers || {}) };
    if (token) allHeaders.Authorization = `Bearer ${token}`;
    if (json !== undefined) {
      data = encodeBody(json);
      if (!getHeader(allHeaders, 'Content-Type')) allHeaders['Content-Type'] = 'application/json';
    }
    const repeatable = IDEMPOTENT_METHODS.has(method) || getHeader(allHeaders, 'Idempotency-Key') !== undefined;
    const wait = timeout ?? this.timeout;
    for (let attempt = 0; ; attempt += 1) {
      let response;
      try {
        const answer = await this._fetch(url, {
          method,
          headers: allHeaders,
          body: data,
          signal: AbortSignal.timeout(wait),
        });
        const text = await answer.text();
        response = { status: answer.status, ok: answer.ok, headers: answer.headers, text };
      } catch (exc) {
        if (attempt < this.maxRetries && (repeatable || neverSent(exc))) {
          await this._sleep(backoff(attempt));
          continue;
        }
        throw new APIConnectionError(
          `${method} ${url} failed after ${attempt + 1} attempt(s): ${describe(exc)}`,
          { cause: exc },
        );
      }
      const delay = this._retryDelay(response, attempt, repeatable);
      if (delay === undefined) return response;
      await this._sleep(delay);
    }
  }

  /** Seconds to wait before retrying this response, or undefined to return it. */
  _retryDelay(response, attempt, repeatable) {
    const status = response.status;
    if (attempt >= this.maxRetries || !RETRY_STATUSES.has(status)) return undefined;
    const retryAfter = parseRetryAfter(response.headers);
    if (status === 429) {
      // A rate-limited request was not processed, so any method may be sent again.
      if (retryAfter === undefined) return backoff(attempt);
      return retryAfter <= MAX_RETRY_AFTER ? retryAfter : undefined;
    }
    if (!repeatable) return undefined;
    if (retryAfter !== undefined && retryAfter <= MAX_RETRY_AFTER) return retryAfter;
    return backoff(attempt);
  }
}

/** The decoded JSON of a response, or the error it stands for, thrown. */
function decode(response) {
  const text = response.text;
  let payload;
  try {
    payload = text.trim() ? JSON.parse(text) : undefined;
  } catch {
    payload = undefined;
    if (response.ok) {
      const headers = headersObject(response.headers);
      throw new APIError(`The API answered ${response.status} with a body that is not JSON`, {
        httpStatus: response.status,
        requestId: getHeader(headers, 'X-Request-Id') ?? null,
        headers,
        httpBody: text.slice(0, 2000),
      });
    }
  }
  if (response.ok) return payload;
  let error = errorFromResponse(response.status, payload, response.headers, text);
  if (response.status === 401 && !(error instanceof AuthenticationError)) {
    error = new AuthenticationError(error.message, { ...error, httpStatus: 401 });
  }
  throw error;
}

/** Exponential backoff with jitter: 0.25–0.5s, 0.5–1s, 1–2s … at most 8s. */
function backoff(attempt) {
  const ceiling = Math.min(MAX_BACKOFF, INITIAL_BACKOFF * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** The error codes of a fetch failure and its causes. */
function codes(exc) {
  const found = [];
  const seen = new Set();
  const walk = (e) => {
    if (!e || typeof e !== 'object' || seen.has(e)) return;
    seen.add(e);
    if (typeof e.code === 'string') found.push(e.code);
    if (Array.isArray(e.errors)) e.errors.forEach(walk);
    walk(e.cause);
  };
  walk(exc);
  return found;
}

/** True when the connection was never established (so the server saw nothing). */
function neverSent(exc) {
  return codes(exc).some((code) => NEVER_SENT_CODES.has(code));
}

/** A failure's message with the codes of its causes, e.g. `fetch failed (ECONNREFUSED)`. */
function describe(exc) {
  if (exc && exc.name === 'TimeoutError') return 'timed out';
  const list = codes(exc);
  const message = exc && exc.message ? exc.message : String(exc);
  return list.length ? `${message} (${[...new Set(list)].join(', ')})` : message;
}

module.exports = {
  ApiKeyCredentials,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TIMEOUT,
  HTTPClient,
  MAX_RETRY_AFTER,
  USER_AGENT,
  decode,
};
