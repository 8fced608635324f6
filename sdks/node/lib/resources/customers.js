'use strict';
/** `client.customers`: the `/customers` endpoints. */

const { segment } = require('../util');
const { Resource } = require('./base');

/** Customers: contact details, preferences, and their appointment history. */
class Customers extends Resource {
  /** `GET /customers`: filter by `email`, `tag`, or free text `q`. */
  list(params = {}) {
    return this._list('/customers', params);
  }

  /** `GET /customers/:id`. */
  get(customerId) {
    return this._call('GET', `/customers/${segment(customerId)}`);
  }

  /** `POST /customers`. */
  create(params, options) {
    return this._call('POST', '/customers', { body: params, options });
  }

  /** `PUT /customers/:id`: change only the fields given. */
  update(customerId, params) {
    return this._call('PUT', `/customers/${segment(customerId)}`, { body: params });
  }

  /** `GET /customers/:id/appointments`: the customer's appointments, page by page. */
  appointments(customerId, params = {}) {
    return this._list(`/customers/${segment(customerId)}/appointments`, params);
  }
}

module.exports = { Customers };
