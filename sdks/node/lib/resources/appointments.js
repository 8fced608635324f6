'use strict';
/** `client.appointments`: the `/appointments` endpoints. */

const { segment } = require('../util');
const { Resource, reasonBody } = require('./base');

/** Appointments: book, change, confirm, reschedule, complete and cancel interventions. */
class Appointments extends Resource {
  /** `GET /appointments`: a page of appointments matching the filters. */
  list(params = {}) {
    return this._list('/appointments', params);
  }

  /** `GET /appointments/:id`. */
  get(appointmentId) {
    return this._call('GET', `/appointments/${segment(appointmentId)}`);
  }

  /** `POST /appointments`: book a slot; `SlotNotAvailable` (with suggestions) if taken. */
  create(params, options) {
    return this._call('POST', '/appointments', { body: params, options });
  }

  /** `PUT /appointments/:id`: change only the fields given. */
  update(appointmentId, params) {
    return this._call('PUT', `/appointments/${segment(appointmentId)}`, { body: params });
  }

  /** `DELETE /appointments/:id`: cancel the appointment; resolves to it, now `cancelled`. */
  cancel(appointmentId, params) {
    return this._call('DELETE', `/appointments/${segment(appointmentId)}`, { body: reasonBody(params) });
  }

  /** `POST /appointments/:id/confirm`: a pending appointment becomes `confirmed`. */
  confirm(appointmentId, params, options) {
    return this._call('POST', `/appointments/${segment(appointmentId)}/confirm`, {
      body: reasonBody(params),
      options,
    });
  }

  /** `POST /appointments/:id/reschedule`: move it, optionally to another technician. */
  reschedule(appointmentId, params, options) {
    const body = { scheduled_at: params.scheduled_at };
    if (params.technician_id !== undefined && params.technician_id !== null) {
      body.technician_id = params.technician_id;
    }
    return this._call('POST', `/appointments/${segment(appointmentId)}/reschedule`, { body, options });
  }

  /** `POST /appointments/:id/complete`: mark the intervention done. */
  complete(appointmentId, params, options) {
    return this._call('POST', `/appointments/${segment(appointmentId)}/complete`, {
      body: reasonBody(params),
      options,
    });
  }
}

module.exports = { Appointments };
