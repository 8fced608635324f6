<?php

declare(strict_types=1);

namespace iValid\Resource;

use iValid\Model\Appointment;
use iValid\Model\Customer;
use iValid\Page;

/** `$client->customers`: contact details, preferences, and their appointment history. */
final class Customers extends AbstractResource
{
    /**
     * `GET /customers`: filter by `email`, `tag`, or free text `q`.
     *
     * @param array{email?: string, tag?: string, q?: string, sort?: '-created_at'|'-updated_at'|'created_at'|'updated_at', updated_since?: string|\DateTimeInterface, page?: int, per_page?: int} $params
     * @return Page<Customer>
     */
    public function list(array $params = []): Page
    {
        return $this->fetchPage(Customer::class, '/customers', $params);
    }

    /** `GET /customers/:id`. */
    public function get(string $customerId): Customer
    {
        return $this->call(Customer::class, 'GET', '/customers/' . self::segment($customerId));
    }

    /**
     * `POST /customers`.
     *
     * @param array{first_name: string, last_name: string, email?: string, phone?: string, address?: array<string, string>, preferences?: array<string, mixed>, tags?: list<string>, custom_fields?: array<string, mixed>} $params
     * @param array{idempotency_key?: string} $opts
     */
    public function create(array $params, array $opts = []): Customer
    {
        return $this->call(Customer::class, 'POST', '/customers', body: $params, opts: $opts);
    }

    /**
     * `PUT /customers/:id`: change only the fields given.
     *
     * @param array<string, mixed> $params
     */
    public function update(string $customerId, array $params): Customer
    {
        return $this->call(Customer::class, 'PUT', '/customers/' . self::segment($customerId), body: $params);
    }

    /**
     * `GET /customers/:id/appointments`: the customer's appointments, page by page.
     *
     * @param array{status?: string, date_from?: string|\DateTimeInterface, date_to?: string|\DateTimeInterface, sort?: '-created_at'|'-updated_at'|'created_at'|'updated_at', updated_since?: string|\DateTimeInterface, page?: int, per_page?: int} $params
     * @return Page<Appointment>
     */
    public function appointments(string $customerId, array $params = []): Page
    {
        return $this->fetchPage(Appointment::class, '/customers/' . self::segment($customerId) . '/appointments', $params);
    }
}
