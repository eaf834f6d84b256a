/**
 * A typed client of the admin API (`import { MockAdmin } from 'users-api-mock/client'`), for test
 * suites that drive a mock running in another process or container, the way WireMock's and
 * MockServer's clients are used. Its types come from the schemas the admin routes validate and
 * document with (core/admin-schemas.ts), imported as types only: no server code is loaded.
 * Errors are thrown as MockAdminError with the mock's stable `MOCK_*` code.
 */
import type {
  ClockView, FaultRuleView, FaultView, Health, JournalEntryView, JournalQueryInput, MockErrorBody, TenantView
} from '../core/admin-schemas.js'
import type { ConcurTenantFile, ConcurUserFixture } from '../vendors/concur/schemas.js'
import type { IspringTenantFile, IspringUserFixture } from '../vendors/ispring/schemas.js'

export type { ClockView, FaultRuleView, FaultView, Health, JournalEntryView, JournalQueryInput, MockErrorBody, TenantView }
export type { ConcurTenantFile, ConcurUserFixture, IspringTenantFile, IspringUserFixture }

/** A tenant fixture of any vendor: the content of one fixture file. */
export type TenantFixture = ConcurTenantFile | IspringTenantFile
export type Vendor = TenantFixture['vendor']
/** A hand-written user of `V`'s fixture format. */
export type UserFixture<V extends Vendor> = V extends 'concur' ? ConcurUserFixture : IspringUserFixture

/** What the admin API refused, with its status, `MOCK_*` code and, for invalid fixtures, each problem's JSON path. */
export class MockAdminError extends Error {
  readonly status: number
  readonly code: string
  readonly issues: ReadonlyArray<{ path: string, message: string }>

  constructor (status: number, body: Partial<MockErrorBody>, fallback: string) {
    super(body.message ?? fallback)
    this.name = 'MockAdminError'
    this.status = status
    this.code = body.code ?? 'MOCK_ERROR'
    this.issues = body.issues ?? []
  }
}

export interface MockAdminOptions {
  /** The ADMIN_TOKEN the mock was started with, if any. */
  token?: string
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))
const segment = (value: string): string => encodeURIComponent(value)

function parseJson (text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text)
  } catch {
    return undefined
  }
}

export class MockAdmin {
  readonly baseUrl: string
  readonly #token: string | undefined
  readonly #fetch: typeof fetch

  /** `baseUrl`: where the mock listens, e.g. http://127.0.0.1:8080 (a trailing slash is fine). */
  constructor (baseUrl: string, options: MockAdminOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '')
    this.#token = options.token
    this.#fetch = options.fetch ?? globalThis.fetch
  }

  /** The answer's text; a non-2xx answer is thrown as MockAdminError. */
  async #send (method: Method, path: string, body?: unknown): Promise<string> {
    const headers: Record<string, string> = {}
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await this.#fetch(`${this.baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    const text = await res.text()
    if (!res.ok) throw new MockAdminError(res.status, (parseJson(text) ?? {}) as Partial<MockErrorBody>, `${method} ${path}: HTTP ${res.status}`)
    return text
  }

  async #call<T> (method: Method, path: string, body?: unknown): Promise<T> {
    return parseJson(await this.#send(method, path, body)) as T
  }

  /** The local CA the mock's HTTPS listener chains to (PEM): give it to NODE_EXTRA_CA_CERTS or a trust store. */
  async caPem (): Promise<string> {
    return await this.#send('GET', '/__admin/ca.pem')
  }

  health (): Promise<Health> {
    return this.#call('GET', '/__admin/health')
  }

  /** Resolves once `/health` answers 200; rejects after `timeoutMs` (default 10 s) with the last failure. */
  async waitForHealthy ({ timeoutMs = 10_000, intervalMs = 100 }: { timeoutMs?: number, intervalMs?: number } = {}): Promise<Health> {
    const deadline = Date.now() + timeoutMs
    let last: unknown
    for (;;) {
      try {
        const res = await this.#fetch(`${this.baseUrl}/health`)
        if (res.ok) return await res.json() as Health
        last = new Error(`/health answered ${res.status}`)
      } catch (err) {
        last = err
      }
      if (Date.now() >= deadline) throw new Error(`the mock at ${this.baseUrl} was not healthy within ${timeoutMs} ms: ${String((last as Error)?.message ?? last)}`)
      await sleep(intervalMs)
    }
  }

  async tenants (): Promise<TenantView[]> {
    return (await this.#call<{ tenants: TenantView[] }>('GET', '/__admin/tenants')).tenants
  }

  tenant (vendor: Vendor, id: string): Promise<TenantView> {
    return this.#call('GET', `/__admin/tenants/${segment(vendor)}/${segment(id)}`)
  }

  createTenant (fixture: TenantFixture): Promise<TenantView> {
    return this.#call('POST', '/__admin/tenants', fixture)
  }

  async deleteTenant (vendor: Vendor, id: string): Promise<void> {
    await this.#call('DELETE', `/__admin/tenants/${segment(vendor)}/${segment(id)}`)
  }

  /** Adds users (all or nothing); resolves to their ids. */
  async addUsers<V extends Vendor> (vendor: V, id: string, users: Array<UserFixture<V>>): Promise<string[]> {
    return (await this.#call<{ added: string[] }>('POST', `/__admin/tenants/${segment(vendor)}/${segment(id)}/users`, { users })).added
  }

  async patchUser<V extends Vendor> (vendor: V, id: string, userId: string, patch: Partial<UserFixture<V>>): Promise<void> {
    await this.#call('PATCH', `/__admin/tenants/${segment(vendor)}/${segment(id)}/users/${segment(userId)}`, patch)
  }

  async replaceUser<V extends Vendor> (vendor: V, id: string, userId: string, user: UserFixture<V>): Promise<void> {
    await this.#call('PUT', `/__admin/tenants/${segment(vendor)}/${segment(id)}/users/${segment(userId)}`, user)
  }

  async removeUser (vendor: Vendor, id: string, userId: string): Promise<void> {
    await this.#call('DELETE', `/__admin/tenants/${segment(vendor)}/${segment(id)}/users/${segment(userId)}`)
  }

  /** Creates the tenant, runs `fn`, and deletes the tenant afterwards, also when `fn` throws. */
  async withTenant<T> (fixture: TenantFixture, fn: (tenant: TenantView) => Promise<T> | T): Promise<T> {
    const tenant = await this.createTenant(fixture)
    try {
      return await fn(tenant)
    } finally {
      await this.deleteTenant(fixture.vendor, fixture.id).catch((err: unknown) => {
        if (!(err instanceof MockAdminError && err.status === 404)) throw err
      })
    }
  }

  async reset (): Promise<void> {
    await this.#call('POST', '/__admin/reset')
  }

  clock (): Promise<ClockView> {
    return this.#call('GET', '/__admin/clock')
  }

  advanceClock (seconds: number): Promise<ClockView> {
    return this.#call('POST', '/__admin/clock', { advanceSeconds: seconds })
  }

  setClock (now: Date | string): Promise<ClockView> {
    return this.#call('POST', '/__admin/clock', { now: typeof now === 'string' ? now : now.toISOString() })
  }

  addFault (rule: FaultRuleView): Promise<FaultView> {
    return this.#call('POST', '/__admin/faults', rule)
  }

  async faults (): Promise<FaultView[]> {
    return (await this.#call<{ faults: FaultView[] }>('GET', '/__admin/faults')).faults
  }

  async removeFault (id: string): Promise<void> {
    await this.#call('DELETE', `/__admin/faults/${segment(id)}`)
  }

  async clearFaults (): Promise<void> {
    await this.#call('DELETE', '/__admin/faults')
  }

  /** The request journal, newest first, filtered as the admin API filters it. */
  async requests (filter: JournalQueryInput = {}): Promise<JournalEntryView[]> {
    const params = new URLSearchParams()
    for (const [name, value] of Object.entries(filter)) if (value !== undefined) params.set(name, String(value))
    const query = params.toString()
    return (await this.#call<{ requests: JournalEntryView[] }>('GET', `/__admin/requests${query === '' ? '' : `?${query}`}`)).requests
  }

  async clearRequests (): Promise<void> {
    await this.#call('DELETE', '/__admin/requests')
  }

  /**
   * The journal entries matching `filter`; throws when there are none (or not `count` of them),
   * naming the filter and what the journal holds, so a test's failure says what was called.
   */
  async expectRequests (filter: JournalQueryInput, { count }: { count?: number } = {}): Promise<JournalEntryView[]> {
    const found = await this.requests(filter)
    if (count === undefined ? found.length === 0 : found.length !== count) {
      const recent = (await this.requests({ limit: 10 })).map((e) => `${e.method} ${e.vendor}${e.path} → ${e.status}`)
      throw new Error(`expected ${count ?? 'at least one'} request(s) matching ${JSON.stringify(filter)}, found ${found.length}; the latest: ${recent.join(', ') || 'none'}`)
    }
    return found
  }
}
