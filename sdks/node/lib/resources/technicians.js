'use strict';
/** `client.technicians`: the `/technicians` endpoints. */

const { asDate, segment } = require('../util');
const { Resource } = require('./base');

/** Technicians: skills, zones, working hours, and their daily schedule. */
class Technicians extends Resource {
  /** `GET /technicians`: filter by `team_id`, `skill` or `zone` (a postal code). */
  list(params = {}) {
    return this._list('/technicians', params);
  }

  /** `GET /technicians/:id`. */
  get(technicianId) {
    return this._call('GET', `/technicians/${segment(technicianId)}`);
  }

  /** `POST /technicians`. */
  create(params, options) {
    return this._call('POST', '/technicians', { body: params, options });
  }

  /** `PUT /technicians/:id`: change only the fields given. */
  update(technicianId, params) {
    return this._call('PUT', `/technicians/${segment(technicianId)}`, { body: params });
  }

  /** `GET /technicians/:id/schedule?date=YYYY-MM-DD`: the technician's day (default today). */
  schedule(technicianId, params = {}) {
    return this._call('GET', `/technicians/${segment(technicianId)}/schedule`, {
      params: { date: asDate(params.date) },
    });
  }
}

module.exports = { Technicians };
