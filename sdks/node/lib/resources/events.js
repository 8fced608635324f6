'use strict';
/** `client.events`: the `/events` endpoints. */

const { segment } = require('../util');
const { Resource } = require('./base');

/** The account's event log: what webhooks deliver, kept to be read back. */
class Events extends Resource {
  /** `GET /events`: filter by `type` and date range, newest first. */
  list(params = {}) {
    return this._list('/events', params);
  }

  /** `GET /events/:id`. */
  get(eventId) {
    return this._call('GET', `/events/${segment(eventId)}`);
  }
}

module.exports = { Events };
