/**
 * Test helpers: build(t) gives each test its own app (state is mutable) and closes it after;
 * the Concur helpers walk the token flow the way a client does.
 */
import type { Test } from 'tap'
import { buildMockServer, type MockServer } from '../src/app.js'
import type { MockOptions } from '../src/config.js'
import { DEMO } from '../src/demo.js'
import type { ConcurTenantFile } from '../src/vendors/concur/schemas.js'

export async function build (t: Test, options: MockOptions = {}): Promise<MockServer> {
  const app = await buildMockServer(options)
  t.teardown(async () => { await app.close() })
  await app.ready()
  return app
}

/** The demo Concur credentials, from the package's own DEMO constants (so tests also check them). */
export const CONCUR = {
  clientId: DEMO.concur.clientId,
  clientSecret: DEMO.concur.clientSecret,
  otherClientId: DEMO.concur.otherClient.clientId,
  otherClientSecret: DEMO.concur.otherClient.clientSecret,
  companies: DEMO.concur.companies
} as const

export type ConcurCompanyName = keyof typeof CONCUR.companies

/** One admin call that must succeed (2xx); its JSON answer, if any. */
export async function adminCall (app: MockServer, method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, payload?: object): Promise<unknown> {
  const res = await app.inject({ method, url: `/__admin${path}`, ...(payload === undefined ? {} : { payload }) })
  if (res.statusCode >= 300) throw new Error(`${method} /__admin${path}: ${res.statusCode} ${res.body}`)
  return res.body === '' ? undefined : res.json()
}

/** Moves the mock clock through the admin API, as a test in another process would. */
export async function advanceClock (app: MockServer, seconds: number): Promise<void> {
  await adminCall(app, 'POST', '/clock', { advanceSeconds: seconds })
}

export async function setClock (app: MockServer, epochMs: number): Promise<void> {
  await adminCall(app, 'POST', '/clock', { now: new Date(epochMs).toISOString() })
}

/**
 * Sets the mock clock to the start of a whole second, so a test that counts seconds across a few
 * HTTP calls (each taking real milliseconds) never straddles a second boundary by chance.
 */
export async function pinClock (app: MockServer): Promise<void> {
  await setClock(app, Math.ceil(app.mock.clock.now() / 1000) * 1000 + 1000)
}

/**
 * A small Concur company fixture: the demo app enabled, a never-expiring request token
 * `rt-<id>`, company id number `n` (keep it unique per test), and `extra` fields (users, generate...).
 */
export function concurCompanyFixture (id: string, n: number, extra: Partial<ConcurTenantFile> = {}): ConcurTenantFile {
  return {
    vendor: 'concur',
    id,
    name: id,
    companyId: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
    company: { name: id, address: '1 Main St', city: 'Bellevue', state: 'WA', zip: '98004', country: 'US' },
    clients: [{ clientId: DEMO.concur.clientId, clientSecret: DEMO.concur.clientSecret }],
    requestTokens: [{ token: `rt-${id}`, clientId: DEMO.concur.clientId, neverExpires: true }],
    ...extra
  }
}

export function form (fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString()
}

/** POST /concur/oauth2/v0/token with a form body. */
export async function concurTokenRequest (app: MockServer, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return await app.inject({
    method: 'POST',
    url: '/concur/oauth2/v0/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: form(fields)
  })
}

export function passwordGrant (company: ConcurCompanyName = 'company-name-llc'): Record<string, string> {
  const c = CONCUR.companies[company]
  return {
    client_id: CONCUR.clientId,
    client_secret: CONCUR.clientSecret,
    grant_type: 'password',
    username: c.companyId,
    password: c.requestToken,
    credtype: 'authtoken'
  }
}

export interface ConcurTokens { access_token: string, refresh_token: string, id_token: string, geolocation: string, expires_in: number, refresh_expires_in: number }

export async function concurToken (app: MockServer, company: ConcurCompanyName = 'company-name-llc'): Promise<ConcurTokens> {
  const res = await concurTokenRequest(app, passwordGrant(company))
  if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

export async function concurUsers (app: MockServer, token: string, query = '') {
  return await app.inject({ method: 'GET', url: `/concur/users/${query === '' ? '' : `?${query}`}`, headers: { authorization: `Bearer ${token}` } })
}

// ---- iSpring Learn ------------------------------------------------------------------------

const DEMO_USERS = Object.values(DEMO.ispring.demo.users)

/** A demo user's row number, "01".."10" (the end of its userId). */
export type DemoRow = '01' | '02' | '03' | '04' | '05' | '06' | '07' | '08' | '09' | '10'

/** Row → login (the demo logins are their e-mails' local parts) and X-Auth password, from DEMO. */
const DEMO_ROWS = Object.fromEntries(DEMO_USERS.map((u) => [u.userId.slice(-2), { login: u.email.split('@')[0] as string, password: u.password }])) as Record<DemoRow, { login: string, password: string }>

/** The demo and initech accounts of demo-tenants.md. */
export const ISPRING = {
  demo: {
    accountUrl: DEMO.ispring.demo.accountUrl,
    clients: {
      owner: DEMO.ispring.demo.apiClients.owner,
      sales: DEMO.ispring.demo.apiClients.salesAdmin,
      learner: DEMO.ispring.demo.apiClients.learner
    },
    /** Row number (01..10) → login and X-Auth password. */
    users: DEMO_ROWS,
    departments: {
      root: 'd1000000-0000-4000-8000-000000000001',
      sales: 'd1000000-0000-4000-8000-000000000002',
      salesEmea: 'd1000000-0000-4000-8000-000000000003',
      engineering: 'd1000000-0000-4000-8000-000000000004',
      platform: 'd1000000-0000-4000-8000-000000000005'
    },
    groups: { interns: 'e1000000-0000-4000-8000-000000000001', managers: 'e1000000-0000-4000-8000-000000000002' }
  },
  initech: {
    accountUrl: DEMO.ispring.initech.accountUrl,
    owner: { login: DEMO.ispring.initech.owner.email, password: DEMO.ispring.initech.owner.password },
    client: DEMO.ispring.initech.apiClient,
    generatedPassword: 'initech-user-pass'
  }
} as const

/** userId of the demo account's row `nn` ("01".."10"). */
export function demoUserId (nn: DemoRow | string): string {
  return `a1000000-0000-4000-8000-0000000000${nn}`
}

export const JSON_ACCEPT = { accept: 'application/json' } as const

/** POST /ispring/api/v3/token with a form body. */
export async function ispringTokenRequest (app: MockServer, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return await app.inject({
    method: 'POST',
    url: '/ispring/api/v3/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: form(fields)
  })
}

/** An access token for an API client (client credentials), via JSON. */
export async function ispringToken (app: MockServer, client: { clientId: string, clientSecret: string } = ISPRING.demo.clients.owner): Promise<string> {
  const res = await ispringTokenRequest(app, { client_id: client.clientId, client_secret: client.clientSecret, grant_type: 'client_credentials' }, JSON_ACCEPT)
  if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`)
  return (res.json() as { access_token: string }).access_token
}

/** The legacy X-Auth-* headers. */
export function legacyHeaders (login: string, password: string, accountUrl: string = ISPRING.demo.accountUrl): Record<string, string> {
  return { 'x-auth-account-url': accountUrl, 'x-auth-email': login, 'x-auth-password': password }
}

/** Legacy headers of a demo row. */
export function demoLegacy (nn: DemoRow): Record<string, string> {
  const u = ISPRING.demo.users[nn]
  return legacyHeaders(u.login, u.password)
}

/** GET under /ispring with the given headers. */
export async function ispringGet (app: MockServer, path: string, headers: Record<string, string> = {}) {
  return await app.inject({ method: 'GET', url: `/ispring${path}`, headers })
}

/** POST or DELETE under /ispring: an object body goes as JSON, a string as it is with `type`. */
export async function ispringSend (app: MockServer, method: 'POST' | 'DELETE', path: string, headers: Record<string, string>, body?: unknown, type = 'application/json') {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  return await app.inject({ method, url: `/ispring${path}`, headers: { ...(payload === undefined ? {} : { 'content-type': type }), ...headers }, ...(payload === undefined ? {} : { payload }) })
}

/** iSpring's error body. */
export const ispringError = (code: number, message: string) => ({ code, message })

/** An XML element read back: its name, child elements in order, and its text. */
export interface XmlElement { name: string, children: XmlElement[], text: string }

interface DomNode { nodeType: number, nodeName: string, textContent: string | null, childNodes: ArrayLike<DomNode> }

function readElement (node: DomNode): XmlElement {
  const children: XmlElement[] = []
  for (let i = 0; i < node.childNodes.length; i++) {
    const child = node.childNodes[i] as DomNode
    if (child.nodeType === 1) children.push(readElement(child))
  }
  return { name: node.nodeName, children, text: children.length === 0 ? node.textContent ?? '' : '' }
}

/** Parses an XML document (throws when it is not well-formed) into its root element. */
export async function parseXml (text: string): Promise<XmlElement> {
  const { create } = await import('xmlbuilder2')
  return readElement(create(text).root().node as unknown as DomNode)
}

/** Keys whose element holds a list, and the numeric and boolean ones (as the JSON form has them). */
const XML_LISTS = new Set(['userProfiles', 'fields', 'manageableDepartmentIds', 'userRoles', 'groups', 'userIds', 'departments'])
const XML_NUMBERS = new Set(['status', 'usersCount', 'expires_in'])
const XML_BOOLEANS = new Set(['isSmart'])

/** The JSON form of an iSpring XML element, by the API's own rules, for comparison with a JSON answer. */
export function xmlToJson (element: XmlElement, parent = ''): unknown {
  if (XML_LISTS.has(element.name)) return element.children.map((c) => xmlToJson(c, element.name))
  if (element.children.length > 0) return Object.fromEntries(element.children.map((c) => [c.name, xmlToJson(c, element.name)]))
  // `code` is the error body's status (a number) but a department's code is text.
  if (XML_NUMBERS.has(element.name) || (element.name === 'code' && parent === 'response')) return Number(element.text)
  if (XML_BOOLEANS.has(element.name)) return element.text === 'true'
  return element.text
}
