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
  /** The replica that served it (a fleet sharing state). */
  replica?: string
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
/** Headers that carry credentials whatever the vendor. */
const SECRET_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'proxy-authorization'])

/** What a vendor declares secret in its requests. */
export interface RedactionRules {
  /**
   * Words (matched case-insensitively, anywhere in the name) that make a form field, JSON field,
   * query parameter or header a credential: `secret` matches client_secret, `password` X-Auth-Password.
   */
  fieldWords: string[]
  /** Query parameters (exact names) kept readable although they contain such a word (iSpring's pageToken is a cursor). */
  keepQuery?: string[]
}

/** One vendor's journal source: its name, its path function and its redaction, made once. */
export interface JournalSource {
  vendor: string
  pathOf: (url: string) => string
  secretField: RegExp
  /** Names that look like a credential, or anything percent-encoded: the query needs a closer look. */
  maybeSecretQuery: RegExp
  keepQuery: ReadonlySet<string>
}

const escape = (word: string): string => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export function journalSource (vendor: string, pathOf: (url: string) => string, rules: RedactionRules): JournalSource {
  const words = rules.fieldWords.map(escape).join('|')
  return {
    vendor,
    pathOf,
    secretField: new RegExp(words === '' ? '(?!)' : words, 'i'),
    maybeSecretQuery: new RegExp(words === '' ? '%' : `${words}|%`, 'i'),
    keepQuery: new Set(rules.keepQuery ?? [])
  }
}

/** The raw query with the values of credential parameters (clients do send OAuth fields in the URL) replaced. */
export function redactQuery (raw: string, source: JournalSource): string {
  if (!source.maybeSecretQuery.test(raw)) return raw
  return raw.split('&').map((pair) => {
    const eq = pair.indexOf('=')
    if (eq === -1) return pair
    let name = pair.slice(0, eq)
    try {
      name = decodeURIComponent(name.replace(/\+/g, ' '))
    } catch {}
    return !source.keepQuery.has(name) && source.secretField.test(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair
  }).join('&')
}

export function redactBody (body: unknown, source: JournalSource): Record<string, unknown> | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined
  return redactObject(body as Record<string, unknown>, source, 0)
}

/** Nested bodies (iSpring's `fields[...]`, lists of objects) are redacted at every level a client can nest them to. */
const REDACT_DEPTH = 8

function redactValue (value: unknown, source: JournalSource, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth >= REDACT_DEPTH) return value
  if (Array.isArray(value)) return value.map((v) => redactValue(v, source, depth + 1))
  return redactObject(value as Record<string, unknown>, source, depth + 1)
}

function redactObject (body: Record<string, unknown>, source: JournalSource, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(body)) {
    out[name] = source.secretField.test(name) ? REDACTED : redactValue(value, source, depth)
  }
  return out
}

/**
 * Strings the journal keeps are shared: a client sends the same Host, Accept and User-Agent (and
 * often the same URL) again and again, and a retained copy per request is what would make the
 * journal's memory churn (each entry outlives V8's young generation and dies in the old one).
 */
const INTERNED_MAX = 4096
const interned = new Map<string, string>()

function intern (text: string): string {
  const known = interned.get(text)
  if (known !== undefined) return known
  if (text.length > 512) return text
  // Values seen once (request ids, trace headers) must not crowd out the repeated ones for good:
  // when full, start over; the strings that repeat are back after a few requests.
  if (interned.size >= INTERNED_MAX) interned.clear()
  interned.set(text, text)
  return text
}

/** Header pairs kept in place per slot; a request with more keeps its extra pairs in an array. */
const HEADER_PAIRS = 12

/** What the control plane hands the journal for one request: what it already holds. */
export interface JournalRequest {
  method: string
  /** The URL as routed (after Host routing); the path is taken from it. */
  url: string
  /** The URL as received; its query string is the one recorded. */
  raw: { url?: string | undefined }
  headers: Record<string, string | string[] | undefined>
  body?: unknown
  mockTenant: string | null
}

/** Whether `entry` (recorded at `timeMs`) passes `filter`. */
export function matches (entry: JournalEntry, filter: JournalFilter, timeMs: number): boolean {
  if (filter.vendor !== undefined && entry.vendor !== filter.vendor) return false
  if (filter.tenant !== undefined && entry.tenant !== filter.tenant) return false
  if (filter.method !== undefined && entry.method !== filter.method.toUpperCase()) return false
  if (filter.path !== undefined && entry.path !== filter.path) return false
  if (filter.status !== undefined && entry.status !== filter.status) return false
  if (filter.since !== undefined && timeMs < filter.since) return false
  return true
}

/**
 * A fixed ring of slots stored column by column in arrays made once, so recording a request
 * allocates next to nothing: numbers go into typed arrays, strings are references (interned, or
 * the redaction marker for credentials). The entry objects a test reads (ISO time, vendor path,
 * redacted query and body, header object) are made by `list`, once per entry.
 */
export class Journal {
  readonly size: number
  #next = 0
  #count = 0
  #serial = 0
  readonly #id: Float64Array
  readonly #time: Float64Array
  readonly #duration: Float64Array
  readonly #status: Int32Array
  readonly #headerCount: Int32Array
  readonly #source: Array<JournalSource | undefined>
  readonly #tenant: Array<string | null>
  readonly #method: string[]
  readonly #url: string[]
  readonly #rawUrl: string[]
  readonly #body: unknown[]
  /** HEADER_PAIRS × 2 strings per slot: name, value, name, value... */
  readonly #headers: string[]
  readonly #moreHeaders: Array<string[] | undefined>
  readonly #entry: Array<JournalEntry | undefined>

  constructor (size: number) {
    this.size = size
    this.#id = new Float64Array(size)
    this.#time = new Float64Array(size)
    this.#duration = new Float64Array(size)
    this.#status = new Int32Array(size)
    this.#headerCount = new Int32Array(size)
    const strings = (): string[] => new Array<string>(size).fill('')
    this.#source = new Array<JournalSource | undefined>(size).fill(undefined)
    this.#tenant = new Array<string | null>(size).fill(null)
    this.#method = strings()
    this.#url = strings()
    this.#rawUrl = strings()
    this.#body = new Array<unknown>(size).fill(undefined)
    this.#headers = new Array<string>(size * HEADER_PAIRS * 2).fill('')
    this.#moreHeaders = new Array<string[] | undefined>(size).fill(undefined)
    this.#entry = new Array<JournalEntry | undefined>(size).fill(undefined)
  }

  get length (): number {
    return this.#count
  }

  /** Records a request; `pathOf` turns its routed URL into the vendor path when listed. */
  add (request: JournalRequest, source: JournalSource, status: number, durationMs: number, timeMs: number): void {
    if (this.size === 0) return
    const i = this.#next
    this.#id[i] = ++this.#serial
    this.#time[i] = timeMs
    this.#duration[i] = durationMs
    this.#status[i] = status
    this.#source[i] = source
    this.#tenant[i] = request.mockTenant
    this.#method[i] = request.method
    const rawUrl = intern(request.raw.url ?? '')
    this.#rawUrl[i] = rawUrl
    this.#url[i] = request.url === request.raw.url ? rawUrl : intern(request.url)
    this.#body[i] = request.body
    this.#entry[i] = undefined
    this.#moreHeaders[i] = undefined
    const headers = request.headers
    const base = i * HEADER_PAIRS * 2
    let n = 0
    for (const name in headers) {
      const value = headers[name]
      if (value === undefined) continue
      const kept = SECRET_HEADERS.has(name) || source.secretField.test(name) ? REDACTED : intern(typeof value === 'string' ? value : value.join(', '))
      if (n < HEADER_PAIRS) {
        this.#headers[base + 2 * n] = name
        this.#headers[base + 2 * n + 1] = kept
      } else {
        const more = this.#moreHeaders[i] ?? (this.#moreHeaders[i] = [])
        more.push(name, kept)
      }
      n++
    }
    this.#headerCount[i] = n
    this.#next = (i + 1) % this.size
    this.#count = Math.min(this.#count + 1, this.size)
  }

  /** The entry recorded last, or undefined when the journal is off or empty. */
  last (): JournalEntry | undefined {
    if (this.#count === 0) return undefined
    const i = (this.#next - 1 + this.size) % this.size
    return this.#entry[i] ?? (this.#entry[i] = this.#materialize(i))
  }

  clear (): void {
    this.#body.fill(undefined)
    this.#entry.fill(undefined)
    this.#moreHeaders.fill(undefined)
    this.#headers.fill('')
    this.#url.fill('')
    this.#rawUrl.fill('')
    this.#next = 0
    this.#count = 0
  }

  /** Newest first. */
  list (filter: JournalFilter = {}): JournalEntry[] {
    const out: JournalEntry[] = []
    const limit = filter.limit ?? this.size
    for (let k = 1; k <= this.#count && out.length < limit; k++) {
      const i = (this.#next - k + this.size) % this.size
      const entry = this.#entry[i] ?? (this.#entry[i] = this.#materialize(i))
      if (matches(entry, filter, this.#time[i] as number)) out.push(entry)
    }
    return out
  }

  #materialize (i: number): JournalEntry {
    const rawUrl = this.#rawUrl[i] as string
    const q = rawUrl.indexOf('?')
    const headers: Record<string, string> = {}
    const base = i * HEADER_PAIRS * 2
    const inPlace = Math.min(this.#headerCount[i] as number, HEADER_PAIRS)
    for (let n = 0; n < inPlace; n++) headers[this.#headers[base + 2 * n] as string] = this.#headers[base + 2 * n + 1] as string
    const more = this.#moreHeaders[i] ?? []
    for (let n = 0; n < more.length; n += 2) headers[more[n] as string] = more[n + 1] as string
    const source = this.#source[i] as JournalSource
    const body = redactBody(this.#body[i], source)
    return {
      id: this.#id[i] as number,
      time: new Date(this.#time[i] as number).toISOString(),
      vendor: source.vendor,
      tenant: this.#tenant[i] as string | null,
      method: this.#method[i] as string,
      path: source.pathOf(this.#url[i] as string),
      query: redactQuery(q === -1 ? '' : rawUrl.slice(q + 1), source),
      headers,
      ...(body !== undefined ? { body } : {}),
      status: this.#status[i] as number,
      durationMs: Math.round((this.#duration[i] as number) * 100) / 100
    }
  }
}
