'use strict';
/** `client.integrations`: the `/integrations` endpoints. */

const { segment } = require('../util');
const { Resource } = require('./base');

/** Integrations by name: `google-calendar`, `outlook`, `zoho`, `stripe`, `zapier`, `make`. */
class Integrations extends Resource {
  /** `GET /integrations`: every integration and the account's connection status. */
  list() {
    return this._list('/integrations', {});
  }

  /** `GET /integrations/:name`. */
  get(name) {
    return this._call('GET', `/integrations/${segment(name)}`);
  }

  /**
   * `POST /integrations/:name/connect`: the provider's consent page to send the user to.
   *
   * The connection is made when the user comes back from it (the hub's OAuth callback).
   */
  connect(name, options) {
    return this._call('POST', `/integrations/${segment(name)}/connect`, { options });
  }

  /** `DELETE /integrations/:name`: revoke the access and stop syncing. */
  disconnect(name) {
    return this._call('DELETE', `/integrations/${segment(name)}`);
  }

  /** `POST /integrations/:name/sync`: queue a synchronisation now (the worker runs it). */
  sync(name, options) {
    return this._call('POST', `/integrations/${segment(name)}/sync`, { options });
  }

  /** `GET /integrations/:name/mapping`: how fields map to the provider. */
  mapping(name) {
    return this._call('GET', `/integrations/${segment(name)}/mapping`);
  }

  /** `PUT /integrations/:name/mapping`: override rules; with no arguments, back to default. */
  updateMapping(name, { defaults, rules, remove } = {}) {
    const body = {};
    for (const [key, value] of Object.entries({ defaults, rules, remove })) {
      if (value !== undefined && value !== null) body[key] = value;
    }
    return this._call('PUT', `/integrations/${segment(name)}/mapping`, { body });
  }

  /** `POST /integrations/:name/mapping/preview`: what an appointment becomes remotely. */
  previewMapping(name, { appointment_id, mapping }, options) {
    const body = { appointment_id };
    if (mapping !== undefined && mapping !== null) body.mapping = mapping;
    return this._call('POST', `/integrations/${segment(name)}/mapping/preview`, { body, options });
  }

  /**
   * `GET /integrations/:name/links/technicians`: each technician's remote calendar.
   *
   * The calendars of the connected account are in `page.calendars`.
   */
  technicianLinks(name) {
    return this._list(`/integrations/${segment(name)}/links/technicians`, {});
  }

  /** `PUT /integrations/:name/links/technicians/:id`: choose a calendar (null unlinks). */
  linkTechnician(name, technicianId, { calendar_id }) {
    return this._call('PUT', `/integrations/${segment(name)}/links/technicians/${segment(technicianId)}`, {
      body: { calendar_id: calendar_id ?? null },
    });
  }
}

module.exports = { Integrations };
