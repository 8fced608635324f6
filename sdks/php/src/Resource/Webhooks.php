<?php

declare(strict_types=1);

namespace iValid\Resource;

use iValid\Model\Webhook;
use iValid\Model\WebhookDelivery;
use iValid\Model\WebhookRecovery;
use iValid\Page;

/** `$client->webhooks`: subscriptions, deliveries, secrets; to check a received webhook, `iValid\Webhook::verify()`. */
final class Webhooks extends AbstractResource
{
    /**
     * `POST /webhooks`: subscribe a URL to events; without `secret` the server makes one.
     *
     * @param array{url: string, events: list<string>, secret?: string, active?: bool, description?: string} $params
     * @param array{idempotency_key?: string} $opts
     */
    public function create(array $params, array $opts = []): Webhook
    {
        return $this->call(Webhook::class, 'POST', '/webhooks', body: $params, opts: $opts);
    }

    /**
     * `GET /webhooks`.
     *
     * @param array{page?: int, per_page?: int} $params
     * @return Page<Webhook>
     */
    public function list(array $params = []): Page
    {
        return $this->fetchPage(Webhook::class, '/webhooks', $params);
    }

    /** `GET /webhooks/:id`. */
    public function get(string $webhookId): Webhook
    {
        return $this->call(Webhook::class, 'GET', '/webhooks/' . self::segment($webhookId));
    }

    /**
     * `PUT /webhooks/:id`: change only the fields given.
     *
     * @param array{url?: string, events?: list<string>, secret?: string, active?: bool, description?: string} $params
     */
    public function update(string $webhookId, array $params): Webhook
    {
        return $this->call(Webhook::class, 'PUT', '/webhooks/' . self::segment($webhookId), body: $params);
    }

    /** `DELETE /webhooks/:id`: remove the endpoint, its pending deliveries and its logs. */
    public function delete(string $webhookId): void
    {
        $this->transport->request('DELETE', '/webhooks/' . self::segment($webhookId));
    }

    /**
     * `GET /webhooks/:id/deliveries`: what was sent, when, and how the endpoint answered.
     *
     * @param array{status?: string, event_type?: string, event_id?: string, page?: int, per_page?: int} $params
     * @return Page<WebhookDelivery>
     */
    public function deliveries(string $webhookId, array $params = []): Page
    {
        return $this->fetchPage(WebhookDelivery::class, '/webhooks/' . self::segment($webhookId) . '/deliveries', $params);
    }

    /**
     * `POST /webhooks/:id/deliveries/:delivery_id/retry`: send that delivery again.
     *
     * @param array{idempotency_key?: string} $opts
     */
    public function retryDelivery(string $webhookId, string $deliveryId, array $opts = []): WebhookDelivery
    {
        $path = '/webhooks/' . self::segment($webhookId) . '/deliveries/' . self::segment($deliveryId) . '/retry';
        return $this->call(WebhookDelivery::class, 'POST', $path, opts: $opts);
    }

    /**
     * `POST /webhooks/:id/test`: queue a `webhook.test` event to this endpoint only.
     *
     * @param array{idempotency_key?: string} $opts
     */
    public function test(string $webhookId, array $opts = []): WebhookDelivery
    {
        return $this->call(WebhookDelivery::class, 'POST', '/webhooks/' . self::segment($webhookId) . '/test', opts: $opts);
    }

    /**
     * `POST /webhooks/:id/rotate-secret`: a new signing secret, returned once in `->secret`.
     *
     * The server generates it unless `secret` is given. Deliveries are signed with both the new
     * and the previous secret until `previous_secret_expires_at`.
     *
     * @param array{secret?: string} $params
     * @param array{idempotency_key?: string} $opts
     */
    public function rotateSecret(string $webhookId, array $params = [], array $opts = []): Webhook
    {
        return $this->call(Webhook::class, 'POST', '/webhooks/' . self::segment($webhookId) . '/rotate-secret', body: self::optionalBody($params), opts: $opts);
    }

    /**
     * `POST /webhooks/:id/recover`: send again every subscribed event since a moment.
     *
     * @param array{since: string|\DateTimeInterface, until?: string|\DateTimeInterface} $params
     * @param array{idempotency_key?: string} $opts
     */
    public function recover(string $webhookId, array $params, array $opts = []): WebhookRecovery
    {
        return $this->call(WebhookRecovery::class, 'POST', '/webhooks/' . self::segment($webhookId) . '/recover', body: self::optionalBody($params) ?? [], opts: $opts);
    }
}
