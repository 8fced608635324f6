'use strict';
/** What every resource service shares: calling the transport and building pages. */

const { Page, pagePromise } = require('../pagination');

/** A group of API operations under one path, e.g. `/appointments`. */
class Resource {
  constructor(http) {
    Object.defineProperty(this, '_http', { value: http });
  }

  /** One call answering one object (an empty answer becomes `{}`). */
  async _call(method, path, { params, body, options } = {}) {
    const payload = await this._http.request(method, path, {
      params,
      body,
      idempotencyKey: options && options.idempotencyKey,
      timeout: options && options.timeout,
    });
    if (payload === undefined || payload === null) return {};
    if (typeof payload !== 'object' || Array.isArray(payload)) return { data: payload };
    return payload;
  }

  /** A list endpoint: the first page, as a promise that is also an async iterator of all items. */
  _list(path, params) {
    const fetch = async (query) => {
      let payload = await this._http.request('GET', path, { params: query });
      if (Array.isArray(payload)) payload = { data: payload }; // a bare array: one page of all
      if (!payload || typeof payload !== 'object') payload = {};
      const items = Array.isArray(payload.data) ? payload.data : [];
      let meta = payload.meta && typeof payload.meta === 'object' ? payload.meta : {};
      if (!Object.keys(meta).length) {
        meta = { total: items.length, page: 1, per_page: items.length, total_pages: 1 };
      }
      const raw = Object.fromEntries(Object.entries(payload).filter(([k]) => k !== 'data' && k !== 'meta'));
      return new Page(items, meta, { params: query, fetch, raw });
    };
    return pagePromise(fetch({ ...(params || {}) }));
  }
}

/** The optional `{reason}` body of confirm, complete and cancel. */
function reasonBody(params) {
  return params && params.reason !== undefined ? { reason: params.reason } : undefined;
}

module.exports = { Resource, reasonBody };
