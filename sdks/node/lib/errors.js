'use strict';
/** The SDK's error hierarchy: every failure the API reports becomes one `IValidError` subclass. */

const { getHeader, parseRetryAfter } = require('./util');

/** Base of every error thrown by the SDK; carries what the API said about the failure. */
class IValidError extends Error {
  constructor(message, options = {}) {
    super(message || '');
    this.name = new.target.name;
    this.message = message || '';
    this.httpStatus = options.httpStatus ?? null;
    this.code = options.code ?? null;
    this.details = { ...(options.details || {}) };
    this.suggestions = [...(options.suggestions || [])];
    this.requestId = options.requestId ?? null;
    this.headers = { ...(options.headers || {}) };
    this.jsonBody = options.jsonBody;
    this.httpBody = options.httpBody;
    if (options.cause !== undefined) this.cause = options.cause;
  }

  /** `409 SLOT_NOT_AVAILABLE: <message> (request req_1)`. */
  toString() {
    const prefix = [this.httpStatus, this.code].filter((part) => part !== null && part !== '').join(' ');
    let text = prefix ? `${prefix}: ${this.message}` : this.message || '<no message>';
    if (this.requestId) text += ` (request ${this.requestId})`;
    return text;
  }
}

/** The server could not be reached, or the connection broke before a response arrived. */
class APIConnectionError extends IValidError {}

/** A webhook's signature or timestamp did not check out. */
class SignatureVerificationError extends IValidError {}

/** The API answered with an error status; subclasses narrow it down by status and code. */
class APIError extends IValidError {}

/** 400: the request was malformed. */
class BadRequestError extends APIError {}

/** 401: no credentials, or an invalid or expired token (`UNAUTHENTICATED`, `INVALID_TOKEN`). */
class AuthenticationError extends APIError {}

/** 403: the credentials lack a scope the call needs (`INSUFFICIENT_SCOPE`). */
class PermissionDeniedError extends APIError {}

/** 404: no such resource in this account and environment. */
class NotFoundError extends APIError {}

/** 409: the request conflicts with the current state of a resource. */
class ConflictError extends APIError {}

/** 409 `SLOT_NOT_AVAILABLE`: the slot is taken; `.suggestions` lists free alternatives. */
class SlotNotAvailable extends ConflictError {}

/** 409 `INVALID_STATUS_TRANSITION`: e.g. confirming an appointment that was cancelled. */
class InvalidStatusTransition extends ConflictError {}

/** 422 `VALIDATION_ERROR`: `.errors` lists each rejected field and why. */
class ValidationError extends APIError {
  /** The per-field problems: `[{ field, reason, message }]`. */
  get errors() {
    const errors = this.details.errors;
    return Array.isArray(errors) ? [...errors] : [];
  }

  toString() {
    const text = super.toString();
    const fields = this.errors
      .filter((e) => e && typeof e === 'object')
      .map((e) => `${e.field}: ${e.reason}`)
      .join('; ');
    return fields ? `${text} [${fields}]` : text;
  }
}

/** 422 `IDEMPOTENCY_KEY_REUSED`: an Idempotency-Key was reused with a different request. */
class IdempotencyError extends APIError {}

/** 429 `RATE_LIMIT_EXCEEDED`, thrown once the SDK's own retries are used up. */
class RateLimitError extends APIError {
  /** Seconds the server asked to wait (the `Retry-After` header), if it said. */
  get retryAfter() {
    const value = parseRetryAfter(this.headers);
    return value === undefined ? null : value;
  }
}

/** 5xx: the server failed; safe requests were already retried. */
class ServerError extends APIError {}

const BY_CODE = {
  SLOT_NOT_AVAILABLE: SlotNotAvailable,
  INVALID_STATUS_TRANSITION: InvalidStatusTransition,
  VALIDATION_ERROR: ValidationError,
  IDEMPOTENCY_KEY_REUSED: IdempotencyError,
  RATE_LIMIT_EXCEEDED: RateLimitError,
};

const BY_STATUS = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: ValidationError,
  429: RateLimitError,
};

/** The response headers as a plain object with lower-case names. */
function headersObject(headers) {
  if (!headers) return {};
  if (typeof headers.entries === 'function' && typeof headers.get === 'function') {
    return Object.fromEntries(headers.entries());
  }
  return { ...headers };
}

/** The most specific error for an API error response (`{"error": {code, message, ...}}`). */
function errorFromResponse(httpStatus, jsonBody, headers, httpBody) {
  let error = jsonBody && typeof jsonBody === 'object' ? jsonBody.error : undefined;
  if (!error || typeof error !== 'object' || Array.isArray(error)) error = {};
  const code = typeof error.code === 'string' ? error.code : null;
  const message = typeof error.message === 'string' ? error.message : null;
  const details = error.details && typeof error.details === 'object' && !Array.isArray(error.details)
    ? error.details
    : undefined;
  const suggestions = Array.isArray(error.suggestions) ? error.suggestions : undefined;
  const Cls = (code && BY_CODE[code]) || BY_STATUS[httpStatus] || (httpStatus >= 500 ? ServerError : APIError);
  const plain = headersObject(headers);
  return new Cls(message || String(httpBody || '').trim().slice(0, 500) || `HTTP ${httpStatus}`, {
    httpStatus,
    code,
    details,
    suggestions,
    requestId: getHeader(plain, 'X-Request-Id') ?? null,
    headers: plain,
    jsonBody,
    httpBody,
  });
}

module.exports = {
  APIConnectionError,
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  IValidError,
  IdempotencyError,
  InvalidStatusTransition,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  SignatureVerificationError,
  SlotNotAvailable,
  ValidationError,
  errorFromResponse,
  headersObject,
};
