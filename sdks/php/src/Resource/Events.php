<?php

declare(strict_types=1);

namespace iValid\Resource;

use iValid\Model\Event;
use iValid\Page;

/** `$client->events`: the account's event log, what webhooks deliver, kept to be read back. */
final class Events extends AbstractResource
{
    /**
     * `GET /events`, newest first: filter by `type` (one, or a list) and date range.
     *
     * @param array{type?: string|list<string>, date_from?: string|\DateTimeInterface, date_to?: string|\DateTimeInterface, page?: int, per_page?: int} $params
     * @return Page<Event>
     */
    public function list(array $params = []): Page
    {
        return $this->fetchPage(Event::class, '/events', $params);
    }

    /** `GET /events/:id`. */
    public function get(string $eventId): Event
    {
        return $this->call(Event::class, 'GET', '/events/' . self::segment($eventId));
    }
}
