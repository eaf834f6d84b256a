/**
 * Whole answers (page bytes) of list endpoints, for clients that ask for the same page again, as
 * test suites do run after run. A vendor caches an answer only under a key that names everything
 * the answer depends on, including its directory's `DirectoryVersion`, which moves on every
 * change, so a cached page never outlives the data it was built from. Authentication, fault
 * rules and the journal run for every request as before; only the page assembly is skipped.
 * Bounded by entries and bytes, least recently used first out, so memory stays flat.
 */
export const PAGE_CACHE_MAX_ENTRIES = 512

export class PageCache {
  readonly maxBytes: number
  readonly maxEntries: number
  readonly #entries = new Map<string, Buffer>()
  #bytes = 0

  /** `maxBytes` comes from the pageCacheMb option (its default lives in config.ts). */
  constructor (maxBytes: number, maxEntries = PAGE_CACHE_MAX_ENTRIES) {
    this.maxBytes = maxBytes
    this.maxEntries = maxEntries
  }

  get size (): number {
    return this.#entries.size
  }

  get bytes (): number {
    return this.#bytes
  }

  get (key: string): Buffer | undefined {
    const bytes = this.#entries.get(key)
    if (bytes !== undefined) {
      // Most recently used moves to the end; eviction takes from the front.
      this.#entries.delete(key)
      this.#entries.set(key, bytes)
    }
    return bytes
  }

  /** Keeps `bytes` under `key`; an answer larger than a quarter of the budget is not kept. */
  set (key: string, bytes: Buffer): void {
    if (bytes.length > this.maxBytes / 4) return
    const old = this.#entries.get(key)
    if (old !== undefined) {
      this.#entries.delete(key)
      this.#bytes -= old.length
    }
    this.#entries.set(key, bytes)
    this.#bytes += bytes.length
    while (this.#bytes > this.maxBytes || this.#entries.size > this.maxEntries) {
      const [oldestKey, oldest] = this.#entries.entries().next().value as [string, Buffer]
      this.#entries.delete(oldestKey)
      this.#bytes -= oldest.length
    }
  }

  clear (): void {
    this.#entries.clear()
    this.#bytes = 0
  }
}

let directories = 0

/**
 * The identity of one directory's contents: unique per directory object and moved by `bump()`
 * on every change. Its `key` starts every page-cache key of that directory.
 */
export class DirectoryVersion {
  readonly #id = ++directories
  #version = 0
  #key = `${this.#id}.0`

  get key (): string {
    return this.#key
  }

  bump (): void {
    this.#key = `${this.#id}.${++this.#version}`
  }
}
