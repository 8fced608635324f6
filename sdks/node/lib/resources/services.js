'use strict';
/** `client.services`: the `/services` endpoints. */

const { segment } = require('../util');
const { Resource } = require('./base');

/** Services: what the account offers, with duration, price and required skills. */
class Services extends Resource {
  /** `GET /services`: filter by `category` or `available_online`. */
  list(params = {}) {
    return this._list('/services', params);
  }

  /** `GET /services/:id`. */
  get(serviceId) {
    return this._call('GET', `/services/${segment(serviceId)}`);
  }

  /** `POST /services`. */
  create(params, options) {
    return this._call('POST', '/services', { body: params, options });
  }

  /** `PUT /services/:id`: change only the fields given. */
  update(serviceId, params) {
    return this._call('PUT', `/services/${segment(serviceId)}`, { body: params });
  }
}

module.exports = { Services };
