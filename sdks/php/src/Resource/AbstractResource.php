<?php

declare(strict_types=1);

namespace iValid\Resource;

use iValid\Http\Transport;
use iValid\IValidObject;
use iValid\Model\PageMeta;
use iValid\Page;

/** What every resource service shares: building paths, calling the transport, typing results. */
abstract class AbstractResource
{
    public function __construct(protected readonly Transport $transport)
    {
    }

    /** One path segment, percent-encoded so an id can never change the route. */
    protected static function segment(string $value): string
    {
        if ($value === '') {
            throw new \InvalidArgumentException('Expected a non-empty id');
        }
        return rawurlencode($value);
    }

    /**
     * @template M of IValidObject
     * @param class-string<M> $model
     * @param array<string, mixed>|null $params
     * @param array<string, mixed>|null $body
     * @param array{idempotency_key?: string|null} $opts
     * @return M
     */
    protected function call(
        string $model,
        string $method,
        string $path,
        ?array $params = null,
        ?array $body = null,
        array $opts = [],
    ): IValidObject {
        $payload = $this->transport->request($method, $path, $params, $body, self::idempotencyKey($opts));
        if (!$payload instanceof \stdClass) {
            $payload = $payload === null ? [] : ['data' => $payload];
        }
        return $model::constructFrom($payload);
    }

    /**
     * @template M of IValidObject
     * @param class-string<M> $model
     * @param array<string, mixed> $params
     * @return Page<M>
     */
    protected function fetchPage(string $model, string $path, array $params): Page
    {
        $fetch = function (array $query) use (&$fetch, $model, $path): Page {
            $payload = $this->transport->request('GET', $path, $query);
            if (is_array($payload)) { // a bare array: one page holding everything
                $payload = (object) ['data' => $payload];
            }
            $fields = $payload instanceof \stdClass ? get_object_vars($payload) : [];
            $items = is_array($fields['data'] ?? null) ? $fields['data'] : [];
            $meta = $fields['meta'] ?? null;
            if (!$meta instanceof \stdClass || !get_object_vars($meta)) {
                $count = count($items);
                $meta = ['total' => $count, 'page' => 1, 'per_page' => $count, 'total_pages' => 1];
            }
            unset($fields['data'], $fields['meta']);
            return new Page(
                array_map(static fn (mixed $item): IValidObject => $model::constructFrom(
                    is_object($item) || is_array($item) ? $item : ['value' => $item],
                ), $items),
                PageMeta::constructFrom($meta),
                $query,
                $fetch,
                array_map(static fn (mixed $v): mixed => IValidObject::convert($v), $fields),
            );
        };
        return $fetch($params);
    }

    /** @param array<string, mixed> $opts */
    private static function idempotencyKey(array $opts): ?string
    {
        $unknown = array_diff(array_keys($opts), ['idempotency_key']);
        if ($unknown) {
            throw new \InvalidArgumentException('Unknown request option(s): ' . implode(', ', $unknown) . ' (known: idempotency_key)');
        }
        $key = $opts['idempotency_key'] ?? null;
        return $key === null ? null : (string) $key;
    }

    /**
     * The optional body of confirm, complete and cancel: `['reason' => ...]` or nothing.
     *
     * @param array<string, mixed> $params
     * @return array<string, mixed>|null
     */
    protected static function optionalBody(array $params): ?array
    {
        $params = array_filter($params, static fn (mixed $v): bool => $v !== null);
        return $params ? $params : null;
    }
}
