<?php

declare(strict_types=1);

namespace iValid\Resource;

use iValid\Model\Team;
use iValid\Page;

/** `$client->teams`: groups of technicians. */
final class Teams extends AbstractResource
{
    /**
     * `GET /teams`.
     *
     * @param array{page?: int, per_page?: int} $params
     * @return Page<Team>
     */
    public function list(array $params = []): Page
    {
        return $this->fetchPage(Team::class, '/teams', $params);
    }

    /** `GET /teams/:id`. */
    public function get(string $teamId): Team
    {
        return $this->call(Team::class, 'GET', '/teams/' . self::segment($teamId));
    }

    /**
     * `POST /teams`.
     *
     * @param array{name: string, description?: string} $params
     * @param array{idempotency_key?: string} $opts
     */
    public function create(array $params, array $opts = []): Team
    {
        return $this->call(Team::class, 'POST', '/teams', body: $params, opts: $opts);
    }

    /**
     * `PUT /teams/:id`: change only the fields given.
     *
     * @param array{name?: string, description?: string} $params
     */
    public function update(string $teamId, array $params): Team
    {
        return $this->call(Team::class, 'PUT', '/teams/' . self::segment($teamId), body: $params);
    }
}
