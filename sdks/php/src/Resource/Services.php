<?php

declare(strict_types=1);

namespace iValid\Resource;

use iValid\Model\Service;
use iValid\Page;

/** `$client->services`: what the account offers, with duration, price and required skills. */
final class Services extends AbstractResource
{
    /**
     * `GET /services`: filter by `category` or `available_online`.
     *
     * @param array{category?: string, available_online?: bool, page?: int, per_page?: int} $params
     * @return Page<Service>
     */
    public function list(array $params = []): Page
    {
        return $this->fetchPage(Service::class, '/services', $params);
    }

    /** `GET /services/:id`. */
    public function get(string $serviceId): Service
    {
        return $this->call(Service::class, 'GET', '/services/' . self::segment($serviceId));
    }

    /**
     * `POST /services`.
     *
     * @param array{name: string, duration: int, description?: string, buffer_before?: int, buffer_after?: int, price?: float, currency?: string, required_skills?: list<string>, available_online?: bool, color?: string, category?: string} $params
     * @param array{idempotency_key?: string} $opts
     */
    public function create(array $params, array $opts = []): Service
    {
        return $this->call(Service::class, 'POST', '/services', body: $params, opts: $opts);
    }

    /**
     * `PUT /services/:id`: change only the fields given.
     *
     * @param array<string, mixed> $params
     */
    public function update(string $serviceId, array $params): Service
    {
        return $this->call(Service::class, 'PUT', '/services/' . self::segment($serviceId), body: $params);
    }
}
