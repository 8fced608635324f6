'use strict';
/** `client.webhooks`: the `/webhooks` endpoints (subscriptions, deliveries, secrets). */

const { segment } = require('../util');
const { Resource } = require('./base');

/** Webhook subscriptions; to check a received webhook, use `iValid.webhooks.verify`. */
class Webhooks extends Resource {
  /** `POST /webhooks`: subscribe a URL to events (without `secret`, the server makes one). */
  create(params, options) {
    return this._call('POST', '/webhooks', { body: params, options });
  }

  /** `GET /webhooks`. */
  list(params = {}) {
    return this._list('/webhooks', params);
  }

  /** `GET /webhooks/:id`. */
  get(webhookId) {
    return this._call('GET', `/webhooks/${segment(webhookId)}`);
  }

  /** `PUT /webhooks/:id`: change only the fields given. */
  update(webhookId, params) {
    return this._call('PUT', `/webhooks/${segment(webhookId)}`, { body: params });
  }

  /** `DELETE /webhooks/:id`: remove the endpoint, its pending deliveries and its logs. */
  async delete(webhookId) {
    await this._http.request('DELETE', `/webhooks/${segment(webhookId)}`);
    return undefined;
  }

  /** `GET /webhooks/:id/deliveries`: what was sent, when, and how the endpoint answered. */
  deliveries(webhookId, params = {}) {
    return this._list(`/webhooks/${segment(webhookId)}/deliveries`, params);
  }

  /** `POST /webhooks/:id/deliveries/:delivery_id/retry`: send that delivery again. */
  retryDelivery(webhookId, deliveryId, options) {
    return this._call('POST', `/webhooks/${segment(webhookId)}/deliveries/${segment(deliveryId)}/retry`, {
      options,
    });
  }

  /** `POST /webhooks/:id/test`: queue a `webhook.test` event to this endpoint only. */
  test(webhookId, options) {
    return this._call('POST', `/webhooks/${segment(webhookId)}/test`, { options });
  }

  /**
   * `POST /webhooks/:id/rotate-secret`: a new signing secret, returned once in `.secret`.
   *
   * The server generates it unless `secret` is given. Deliveries are signed with both the new
   * and the previous secret until `previous_secret_expires_at`.
   */
  rotateSecret(webhookId, params = {}, options) {
    const body = params.secret !== undefined && params.secret !== null ? { secret: params.secret } : undefined;
    return this._call('POST', `/webhooks/${segment(webhookId)}/rotate-secret`, { body, options });
  }

  /** `POST /webhooks/:id/recover`: send again every subscribed event since a moment. */
  recover(webhookId, params, options) {
    const body = { since: params.since };
    if (params.until !== undefined && params.until !== null) body.until = params.until;
    return this._call('POST', `/webhooks/${segment(webhookId)}/recover`, { body, options });
  }
}

module.exports = { Webhooks };
