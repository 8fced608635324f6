'use strict';
/** `client.teams`: the `/teams` endpoints. */

const { segment } = require('../util');
const { Resource } = require('./base');

/** Teams: groups of technicians. */
class Teams extends Resource {
  /** `GET /teams`. */
  list(params = {}) {
    return this._list('/teams', params);
  }

  /** `GET /teams/:id`. */
  get(teamId) {
    return this._call('GET', `/teams/${segment(teamId)}`);
  }

  /** `POST /teams`. */
  create(params, options) {
    return this._call('POST', '/teams', { body: params, options });
  }

  /** `PUT /teams/:id`: change only the fields given. */
  update(teamId, params) {
    return this._call('PUT', `/teams/${segment(teamId)}`, { body: params });
  }
}

module.exports = { Teams };
