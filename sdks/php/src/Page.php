<?php

declare(strict_types=1);

namespace iValid;

use iValid\Model\PageMeta;

/**
 * One page of a list endpoint (`->data`, `->meta`); iterating it walks every following page.
 *
 * `foreach ($client->appointments->list(['status' => 'confirmed']) as $apt)` yields every
 * item of every page, fetching each page only when the previous one is used up (like
 * stripe-php's `autoPagingIterator()`). `->data` is just this page; `nextPage()` fetches the
 * next one explicitly.
 *
 * @template T of IValidObject
 * @implements \IteratorAggregate<int, T>
 * @implements \ArrayAccess<string, mixed>
 */
final class Page implements \IteratorAggregate, \ArrayAccess, \Countable, \JsonSerializable
{
    /** @var array<string, mixed> */
    private array $params;

    /** @var (\Closure(array<string, mixed>): Page<T>)|null */
    private ?\Closure $fetch;

    /**
     * @param list<T> $data
     * @param array<string, mixed> $params the query that fetched this page
     * @param (callable(array<string, mixed>): Page<T>)|null $fetch fetches another page
     * @param array<string, mixed> $extra fields of the answer beside `data` and `meta`
     */
    public function __construct(
        public readonly array $data,
        public readonly PageMeta $meta,
        array $params = [],
        ?callable $fetch = null,
        private readonly array $extra = [],
    ) {
        $this->params = $params;
        $this->fetch = $fetch !== null ? $fetch(...) : null;
    }

    /** True when a later page exists. */
    public function hasMore(): bool
    {
        $page = $this->meta['page'];
        $totalPages = $this->meta['total_pages'];
        if (is_int($page) && is_int($totalPages)) {
            return $page < $totalPages;
        }
        // Without page numbers, a full page is the only hint that another may follow.
        $perPage = $this->meta['per_page'];
        return is_int($perPage) && $perPage > 0 && count($this->data) >= $perPage;
    }

    /**
     * The following page, fetched now, or null after the last one.
     *
     * @return Page<T>|null
     */
    public function nextPage(): ?Page
    {
        if (!$this->hasMore() || $this->fetch === null) {
            return null;
        }
        $params = $this->params;
        $params['page'] = (int) ($this->meta['page'] ?? $params['page'] ?? 1) + 1;
        if (!isset($params['per_page']) && is_int($this->meta['per_page'])) {
            // Keep the page size the server used, so page numbers keep meaning the same items.
            $params['per_page'] = $this->meta['per_page'];
        }
        return ($this->fetch)($params);
    }

    /**
     * Every item from this page on, fetching later pages only as they are reached.
     *
     * @return \Generator<int, T>
     */
    public function autoPagingIterator(): \Generator
    {
        $page = $this;
        while ($page !== null) {
            yield from $page->data;
            if (!$page->data) {
                return;
            }
            $page = $page->nextPage();
        }
    }

    /** @return \Generator<int, T> */
    public function getIterator(): \Generator
    {
        return $this->autoPagingIterator();
    }

    /** The number of items on this page (not of the whole list: see `meta->total`). */
    public function count(): int
    {
        return count($this->data);
    }

    /** `$page['data']` / `$page['meta']`, as in the JSON the API returned. */
    public function offsetGet(mixed $offset): mixed
    {
        return match ($offset) {
            'data' => $this->data,
            'meta' => $this->meta,
            default => $this->extra[$offset] ?? null,
        };
    }

    public function offsetExists(mixed $offset): bool
    {
        return $offset === 'data' || $offset === 'meta' || array_key_exists((string) $offset, $this->extra);
    }

    public function offsetSet(mixed $offset, mixed $value): void
    {
        throw new \LogicException('A page is read-only');
    }

    public function offsetUnset(mixed $offset): void
    {
        throw new \LogicException('A page is read-only');
    }

    /**
     * The page as the API returned it: `['data' => [...], 'meta' => [...]]`.
     *
     * @return array<string, mixed>
     */
    public function toArray(): array
    {
        $extra = array_map(static fn (mixed $v): mixed => $v instanceof IValidObject ? $v->toArray() : $v, $this->extra);
        return $extra + [
            'data' => array_map(static fn (IValidObject $item): array => $item->toArray(), $this->data),
            'meta' => $this->meta->toArray(),
        ];
    }

    public function jsonSerialize(): object
    {
        return (object) ($this->extra + ['data' => $this->data, 'meta' => $this->meta]);
    }

    public function __toString(): string
    {
        return sprintf(
            '%s %s/%s of %s items: %d here',
            self::class,
            $this->meta['page'] ?? '?',
            $this->meta['total_pages'] ?? '?',
            $this->meta['total'] ?? '?',
            count($this->data),
        );
    }
}
