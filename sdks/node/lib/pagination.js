'use strict';
/** `Page`: one page of a list endpoint, which also walks every following page lazily. */

/**
 * One page of results (`.data`, `.meta`); iterating it with `for await` yields every item of
 * every page, fetching each page only when the previous one is used up. `.data` is just this
 * page; `nextPage()` fetches the next one explicitly.
 */
class Page {
  constructor(data, meta, { params, fetch, raw } = {}) {
    this.data = data;
    this.meta = meta;
    Object.defineProperty(this, '_params', { value: { ...(params || {}) } });
    Object.defineProperty(this, '_fetch', { value: fetch || null });
    Object.defineProperty(this, '_raw', { value: { ...(raw || {}) } });
    for (const [key, value] of Object.entries(this._raw)) {
      if (!(key in this)) this[key] = value;
    }
  }

  /** True when a later page exists. */
  get hasMore() {
    const { page, total_pages: totalPages, per_page: perPage } = this.meta || {};
    if (Number.isInteger(page) && Number.isInteger(totalPages)) return page < totalPages;
    // Without page numbers, a full page is the only hint that another may follow.
    return Number.isInteger(perPage) && perPage > 0 && this.data.length >= perPage;
  }

  /** The following page, fetched now, or null after the last one. */
  async nextPage() {
    if (!this.hasMore || !this._fetch) return null;
    const params = { ...this._params };
    params.page = Number(this.meta.page || params.page || 1) + 1;
    if (params.per_page === undefined && Number.isInteger(this.meta.per_page)) {
      // Keep the page size the server used, so page numbers keep meaning the same items.
      params.per_page = this.meta.per_page;
    }
    return this._fetch(params);
  }

  /** Every item from this page on, fetching later pages only as they are reached. */
  async *autoPagingIter() {
    let page = this;
    while (page) {
      yield* page.data;
      if (!page.data.length) return;
      page = await page.nextPage();
    }
  }

  [Symbol.asyncIterator]() {
    return this.autoPagingIter();
  }

  /** Call `onItem` for every item of every page; stop early when it returns `false`. */
  async autoPagingEach(onItem) {
    for await (const item of this) {
      if ((await onItem(item)) === false) return;
    }
  }

  /** Every item of every page in one array (at most `limit`, 10,000 unless told). */
  async autoPagingToArray({ limit = 10000 } = {}) {
    const items = [];
    for await (const item of this) {
      if (items.length >= limit) break;
      items.push(item);
    }
    return items;
  }

  /** The page as the API returned it: `{data: [...], meta: {...}}`. */
  toJSON() {
    return { ...this._raw, data: this.data, meta: this.meta };
  }

  toString() {
    const meta = this.meta || {};
    return `<Page ${meta.page}/${meta.total_pages} of ${meta.total} items: ${this.data.length} here>`;
  }
}

/**
 * What `list()` returns: a promise of the first page that is itself async-iterable, so both
 * `await client.customers.list()` and `for await (const c of client.customers.list())` work.
 */
function pagePromise(promise) {
  const walk = async function* walk() {
    yield* await promise;
  };
  promise[Symbol.asyncIterator] = walk;
  promise.autoPagingEach = async (onItem) => (await promise).autoPagingEach(onItem);
  promise.autoPagingToArray = async (options) => (await promise).autoPagingToArray(options);
  return promise;
}

module.exports = { Page, pagePromise };
