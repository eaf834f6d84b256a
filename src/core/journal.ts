/**
 * The request journal: what reached the vendor APIs, newest first, for tests that assert on what
 * their client sent (WireMock's request journal). A fixed-size ring buffer, so memory stays flat
 * however long the mock runs; credentials are redacted before an entry is stored.
 */
export interface JournalEntry {
  id: number
  time: string
  vendor: string
  tenant: string | null
  method: string
  /** Path relative to the vendor mount (what the vendor's client sees). */
  path: string
  /** The raw query string, without "?". */
  query: string
  headers: Record<string, string>
  body?: Record<string, unknown>
  status: number
  durationMs: number
}

export interface JournalFilter {
  vendor?: string
  tenant?: string
  method?: string
  path?: string
  status?: number
  /** Entries at or after this epoch-ms time. */
  since?: number
  limit?: number
}

const REDACTED = '[redacted]'
const SECRET_HEADERS = new Set(['authorization', 'x-auth-password', 'cookie', 'proxy-authorization'])
const SECRET_FIELD = /secret|password|token|assertion|code_verifier/i

export function redactHeaders (headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    out[name] = SECRET_HEADERS.has(name) ? REDACTED : Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

/** Names that look like a credential, or anything percent-encoded: the query needs a closer look. */
const MAYBE_SECRET_QUERY = /secret|password|token|assertion|code_verifier|%/i

/**
 * The raw query with the values of credential-like parameters (clients do send OAuth fields in
 * the URL) replaced; iSpring's `pageToken` is a cursor, not a credential, and stays readable.
 */
export function redactQuery (raw: string): string {
  if (!MAYBE_SECRET_QUERY.test(raw)) return raw
  return raw.split('&').map((pair) => {
    const eq = pair.indexOf('=')
    if (eq === -1) return pair
    let name = pair.slice(0, eq)
    try {
      name = decodeURIComponent(name.replace(/\+/g, ' '))
    } catch {}
    return name !== 'pageToken' && SECRET_FIELD.test(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair
  }).join('&')
}

export function redactBody (body: unknown): Record<string, unknown> | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    out[name] = SECRET_FIELD.test(name) ? REDACTED : value
  }
  return out
}

/**
 * What the control plane hands the journal for one request: references it already holds (the
 * parsed header object, the parsed body, the raw URL) and numbers. Nothing is copied, redacted or
 * formatted on the request path; `list` does that once per entry, when a test asks.
 */
export interface JournalRecord {
  /** Epoch ms on the mock clock. */
  timeMs: number
  vendor: string
  tenant: string | null
  method: string
  /** The vendor path, computed from `url` when the entry is first listed. */
  pathOf: (url: string) => string
  /** The request URL as routed (after Host routing); the path is taken from it. */
  url: string
  /** The URL as received; its query string is the one recorded. */
  rawUrl: string
  headers: Record<string, string | string[] | undefined>
  body: unknown
  status: number
  durationMs: number
}

function materialize (id: number, r: JournalRecord): JournalEntry {
  const q = r.rawUrl.indexOf('?')
  const redacted = redactBody(r.body)
  return {
    id,
    time: new Date(r.timeMs).toISOString(),
    vendor: r.vendor,
    tenant: r.tenant,
    method: r.method,
    path: r.pathOf(r.url),
    query: redactQuery(q === -1 ? '' : r.rawUrl.slice(q + 1)),
    headers: redactHeaders(r.headers),
    ...(redacted !== undefined ? { body: redacted } : {}),
    status: r.status,
    durationMs: Math.round(r.durationMs * 100) / 100
  }
}

type Slot = { id: number, record: JournalRecord | undefined, entry: JournalEntry | undefined }

export class Journal {
  readonly size: number
  readonly #slots: (Slot | undefined)[]
  #next = 0
  #count = 0
  #serial = 0

  constructor (size: number) {
    this.size = size
    this.#slots = new Array<Slot | undefined>(size)
  }

  get length (): number {
    return this.#count
  }

  add (record: JournalRecord): void {
    if (this.size === 0) return
    this.#slots[this.#next] = { id: ++this.#serial, record, entry: undefined }
    this.#next = (this.#next + 1) % this.size
    this.#count = Math.min(this.#count + 1, this.size)
  }

  clear (): void {
    this.#slots.fill(undefined)
    this.#next = 0
    this.#count = 0
  }

  /** Newest first. */
  list (filter: JournalFilter = {}): JournalEntry[] {
    const out: JournalEntry[] = []
    const limit = filter.limit ?? this.size
    for (let i = 1; i <= this.#count && out.length < limit; i++) {
      const slot = this.#slots[(this.#next - i + this.size) % this.size] as Slot
      if (slot.entry === undefined) {
        // Materialized once; the raw references are dropped so the slot holds only the entry.
        slot.entry = materialize(slot.id, slot.record as JournalRecord)
        slot.record = undefined
      }
      const entry = slot.entry
      if (filter.vendor !== undefined && entry.vendor !== filter.vendor) continue
      if (filter.tenant !== undefined && entry.tenant !== filter.tenant) continue
      if (filter.method !== undefined && entry.method !== filter.method.toUpperCase()) continue
      if (filter.path !== undefined && entry.path !== filter.path) continue
      if (filter.status !== undefined && entry.status !== filter.status) continue
      if (filter.since !== undefined && Date.parse(entry.time) < filter.since) continue
      out.push(entry)
    }
    return out
  }
}
