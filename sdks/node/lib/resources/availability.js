'use strict';
/** `client.availability`: the `/availability` endpoints. */

const { asDate } = require('../util');
const { Resource } = require('./base');

/** Free slots, given required skills, zones and travel time. */
class Availability extends Resource {
  /** `GET /availability`: one day's free slots for a service at a postal code. */
  get({ service_id, date, postal_code, technician_id, duration }) {
    const params = { service_id, date: asDate(date), postal_code, technician_id, duration };
    return this._call('GET', '/availability', { params });
  }

  /** `GET /availability/slots`: free slots over a range of days (31 at most). */
  slots({ service_id, date_from, date_to, postal_code, technician_id, duration }) {
    const params = {
      service_id,
      date_from: asDate(date_from),
      date_to: asDate(date_to),
      postal_code,
      technician_id,
      duration,
    };
    return this._call('GET', '/availability/slots', { params });
  }

  /** `POST /availability/check`: can this slot be booked? If not, reasons and suggestions. */
  check(params, options) {
    const { service_id, scheduled_at, postal_code, location, technician_id, duration } = params;
    const body = { service_id, scheduled_at };
    const optional = { postal_code, location, technician_id, duration };
    for (const [key, value] of Object.entries(optional)) {
      if (value !== undefined && value !== null) body[key] = value;
    }
    return this._call('POST', '/availability/check', { body, options });
  }
}

module.exports = { Availability };
