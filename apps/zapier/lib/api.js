'use strict';

// The iValid server this app talks to, and how its answers become Zapier errors.
//
// The address comes from the app's environment (`zapier env:set <version> IVALID_URL=...`,
// or the process environment in tests), never from what a user types in: the OAuth client
// secret is sent to that server's token endpoint, and Zapier's own guidance warns against a
// user-supplied domain in OAuth apps for that reason.

const DEFAULT_URL = 'https://api.ivalid.fr';

/** The server's origin, without a trailing slash (`https://api.ivalid.fr`). */
const serverUrl = () => (process.env.IVALID_URL || DEFAULT_URL).replace(/\/+$/, '');

/** The API's base URL (`https://api.ivalid.fr/v2`). */
const apiUrl = (path = '') => `${serverUrl()}/v2${path}`;

/** `beforeRequest`: the bearer token and JSON on every call to the API. */
const addHeaders = (request, z, bundle) => {
  request.headers = request.headers || {};
  if (bundle.authData && bundle.authData.access_token && !request.headers.Authorization) {
    request.headers.Authorization = `Bearer ${bundle.authData.access_token}`;
  }
  request.headers.Accept = request.headers.Accept || 'application/json';
  request.headers['Accept-Language'] = request.headers['Accept-Language'] || 'en';
  return request;
};

/** A slot suggestion as people read it: "2025-01-20T14:00:00Z (technician tech_xyz789)". */
const describeSuggestion = (s) => {
  const who = s.technician_name || s.technician_id;
  return who ? `${s.slot} (technician ${who})` : String(s.slot);
};

/** The user-facing message of an API error `{error: {code, message, details, suggestions}}`. */
const errorMessage = (status, error) => {
  let message = error.message || `The iValid API answered ${status}.`;
  const details = error.details || {};
  if (Array.isArray(details.errors) && details.errors.length) {
    const fields = details.errors
      .map((e) => (e.field ? `${e.field}: ${e.message || e.reason}` : e.message || e.reason))
      .join('; ');
    message = `${message} (${fields})`;
  }
  if (details.reason && error.code === 'SLOT_NOT_AVAILABLE') {
    message = `${message} (reason: ${details.reason})`;
  }
  if (Array.isArray(error.suggestions) && error.suggestions.length) {
    message = `${message} Suggested slots: ${error.suggestions.map(describeSuggestion).join(', ')}.`;
  }
  return message;
};

/**
 * `afterResponse`: an error answer of the API becomes the matching Zapier error.
 *
 * 401 asks Zapier to refresh the token and retry (`RefreshAuthError`); 429 is retried after
 * `Retry-After` (`ThrottledError`); every other error is a `z.errors.Error` carrying the
 * API's message, its code (`SLOT_NOT_AVAILABLE`, `VALIDATION_ERROR`, ...) and the status.
 * A request that handles its own errors sets `skipThrowForStatus`.
 */
const handleErrors = (response, z) => {
  if (response.status < 400 || response.skipThrowForStatus) return response;
  if (response.request && response.request.skipThrowForStatus) return response;
  if (response.request && /\/oauth\/token$/.test(String(response.request.url || ''))) {
    return response; // the token calls read RFC 6749 errors themselves
  }
  let body = response.data;
  if (body === undefined || typeof body === 'string') {
    try {
      body = JSON.parse(response.content);
    } catch (e) {
      body = undefined;
    }
  }
  const error = body && typeof body.error === 'object' && body.error ? body.error : {};
  if (response.status === 401) {
    throw new z.errors.RefreshAuthError(error.message || 'The iValid token expired.');
  }
  if (response.status === 429) {
    const wait = Number(response.getHeader('retry-after')) || 60;
    throw new z.errors.ThrottledError(error.message || 'Too many requests to iValid.', wait);
  }
  throw new z.errors.Error(
    errorMessage(response.status, error),
    error.code || `HTTP_${response.status}`,
    response.status,
  );
};

module.exports = { DEFAULT_URL, addHeaders, apiUrl, errorMessage, handleErrors, serverUrl };
