/**
 * Identity v4.1 (SCIM 2.0: list with cursors, search, get, create, replace, patch, delete,
 * discovery documents) and Identity v4's read side, over the same company directory as the Get
 * Users Bulk API: one user record, two views (the mapping is `scimUser` below and the table in
 * this vendor's README). Every write is one change on the one change path.
 * https://preview.developer.concur.com/api-reference/profile/v4.1.identity.html
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { parse as parseFilter, type Filter } from 'scim2-parse-filter'
import { patchBodyValidation, scimPatch, ScimError, type ScimPatch, type ScimResource } from 'scim-patch'
import type { Json } from '../../core/changes.js'
import { parseQuery } from '../../core/query.js'
import { rawQuery } from '../../core/routing.js'
import { filterKey, hashOf, seededMeta, type ConcurCompany } from './data.js'
import { resourceTypes, schemaById, schemas, serviceProviderConfig } from './identity-docs.js'
import { IDENTITY_PREFIX, scimErrorBody } from './errors.js'
import { callerOf, geolocation, type ConcurAuth } from './oauth.js'
import { ScimErrorSchema, ScimListSchema, ScimSearchRequestSchema, ScimUserSchema, ScimV4ListSchema, type ConcurUser, type ConcurUserFixture } from './schemas.js'

export const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
export const IDENTITY_PATH = '/profile/identity/v4.1'
export const IDENTITY_V4_PATH = '/profile/identity/v4'
export const V4_MAX_COUNT = 100
export const V4_DEFAULT_COUNT = 10
/** v4 filters: `eq` on these attributes only (the v4 page). */
const V4_FILTERS: Record<string, (u: ConcurUser) => string | undefined> = {
  username: (u) => u.LoginID,
  employeenumber: (u) => u.EmployeeID,
  [`${ENTERPRISE_URN.toLowerCase()}:employeenumber`]: (u) => u.EmployeeID,
  externalid: () => undefined
}
export const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const LIST_URN = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
export const SEARCH_URN = 'urn:ietf:params:scim:api:messages:concur:2.0:SearchRequest'
export const MAX_COUNT = 1000
export const DEFAULT_COUNT = 100
const JSON_TYPE = 'application/json; charset=utf-8'
const DIGITS = /^[0-9]+$/
const ALLOWED = new Set(['count', 'cursor', 'attributes', 'excludedAttributes'])

export { IDENTITY_PREFIX }

type Scim = Record<string, unknown>

/** The docs' Error Response: `status` is a string; `scimType` only where SCIM names one. */
export function sendScimError (reply: FastifyReply, status: number, detail: string, scimType?: string): FastifyReply {
  return reply.code(status).type(JSON_TYPE).send(scimErrorBody(status, detail, scimType))
}

const TIMEZONES = ['America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin', 'Asia/Tokyo']
const LANGUAGES = ['en-US', 'en-US', 'en-GB', 'de-DE', 'fr-FR', 'ja-JP']

/**
 * The SCIM view of a Bulk user (without `meta.location`, which depends on the host asked). Built
 * when asked, not kept: a scan of 100,000 users would otherwise hold 100,000 views; whole
 * answers are kept by the page cache instead.
 */
export function scimUser (company: ConcurCompany, u: ConcurUser): Scim {
  const h = hashOf(u.ID)
  const seeded = seededMeta(u.ID)
  const meta = company.directory.meta(u.ID) ?? seeded
  const created = new Date(meta.created).toISOString()
  const user: Scim = {
    schemas: [USER_URN, ENTERPRISE_URN],
    id: u.ID,
    userName: u.LoginID,
    displayName: `${u.FirstName} ${u.LastName}`.trim(),
    name: { givenName: u.FirstName, familyName: u.LastName, middleName: u.MiddleName === '' ? null : u.MiddleName },
    active: u.Active,
    emails: [{ type: 'work', value: u.PrimaryEmail, verified: false, notifications: true }],
    phoneNumbers: u.CellPhoneNumber === null ? [] : [{ type: 'mobile', value: u.CellPhoneNumber }],
    addresses: u.CountryCode === null ? [] : [{ type: 'work', country: u.CountryCode }],
    timezone: TIMEZONES[h % TIMEZONES.length],
    preferredLanguage: LANGUAGES[(h >>> 8) % LANGUAGES.length],
    [ENTERPRISE_URN]: {
      companyId: company.companyId,
      employeeNumber: u.EmployeeID,
      startDate: `${new Date(seeded.created).toISOString().slice(0, 10)}T00:00:00.000`,
      terminationDate: null
    },
    meta: { resourceType: 'User', created, lastModified: new Date(meta.lastModified).toISOString(), version: meta.version }
  }
  return user
}

/** One attribute named in `attributes` / `excludedAttributes`: top-level name and optional sub-attribute, lower-cased. */
interface AttributePath { top: string, sub: string | undefined }

/**
 * Parses a comma-separated attribute list (names case-insensitive; a schema URN prefix names
 * the core schema or the enterprise extension). Undefined for a malformed list.
 */
export function parseAttributes (list: string): AttributePath[] | undefined {
  const paths: AttributePath[] = []
  for (const raw of list.split(',')) {
    const item = raw.trim()
    if (item === '') return undefined
    const lower = item.toLowerCase()
    let rest: string
    if (lower === ENTERPRISE_URN.toLowerCase()) {
      paths.push({ top: ENTERPRISE_URN.toLowerCase(), sub: undefined })
      continue
    } else if (lower.startsWith(`${ENTERPRISE_URN.toLowerCase()}:`)) {
      const sub = lower.slice(ENTERPRISE_URN.length + 1)
      if (!/^[a-z][a-z0-9_$-]*$/.test(sub)) return undefined
      paths.push({ top: ENTERPRISE_URN.toLowerCase(), sub })
      continue
    } else if (lower.startsWith(`${USER_URN.toLowerCase()}:`)) {
      rest = lower.slice(USER_URN.length + 1)
    } else {
      rest = lower
    }
    const match = /^([a-z][a-z0-9_$-]*)(?:\.([a-z][a-z0-9_$-]*))?$/.exec(rest)
    if (match === null) return undefined
    paths.push({ top: match[1] as string, sub: match[2] })
  }
  return paths
}

/** SCIM's "returned: always": kept whatever `attributes` or `excludedAttributes` say. */
const ALWAYS = new Set(['id', 'schemas'])

/** `user` with only the named attributes (plus the always-returned ones). */
function pick (user: Scim, paths: AttributePath[]): Scim {
  const out: Scim = {}
  for (const [key, value] of Object.entries(user)) {
    const k = key.toLowerCase()
    if (ALWAYS.has(k)) { out[key] = value; continue }
    const wanted = paths.filter((p) => p.top === k)
    if (wanted.length === 0) continue
    if (wanted.some((p) => p.sub === undefined) || value === null || typeof value !== 'object') { out[key] = value; continue }
    const subs = new Set(wanted.map((p) => p.sub))
    const keep = (o: Scim): Scim => Object.fromEntries(Object.entries(o).filter(([s]) => subs.has(s.toLowerCase())))
    out[key] = Array.isArray(value) ? (value as Scim[]).map(keep) : keep(value as Scim)
  }
  return out
}

/** `user` without the named attributes (the always-returned ones stay). */
function drop (user: Scim, paths: AttributePath[]): Scim {
  const out: Scim = {}
  for (const [key, value] of Object.entries(user)) {
    const k = key.toLowerCase()
    const named = paths.filter((p) => p.top === k)
    if (named.length === 0 || ALWAYS.has(k)) { out[key] = value; continue }
    if (named.some((p) => p.sub === undefined)) continue
    if (value === null || typeof value !== 'object') { out[key] = value; continue }
    const subs = new Set(named.map((p) => p.sub))
    const strip = (o: Scim): Scim => Object.fromEntries(Object.entries(o).filter(([s]) => !subs.has(s.toLowerCase())))
    out[key] = Array.isArray(value) ? (value as Scim[]).map(strip) : strip(value as Scim)
  }
  return out
}

export interface Projection { attributes: AttributePath[] | undefined, excluded: AttributePath[] | undefined }

/** The user as answered: located under the host asked, then projected. */
/** The Identity scopes (the v4.1 page's scope table) and the top-level attributes each read scope shows (the scope mapping page). */
export const IDENTITY_SCOPES = {
  read: ['identity.user.ids.read', 'identity.user.core.read', 'identity.user.coresensitive.read', 'identity.user.enterprise.read', 'identity.user.sap.read'],
  write: 'identity.user.coreenterprise.writeonly',
  delete: 'identity.user.delete'
} as const
const READ_SCOPE_ATTRIBUTES: Record<string, readonly string[]> = {
  'identity.user.ids.read': ['id', 'userName', 'externalId'],
  'identity.user.core.read': ['id', 'active', 'displayName', 'name', 'timezone', 'preferredLanguage', 'meta'],
  'identity.user.coresensitive.read': ['emails', 'phoneNumbers', 'addresses'],
  'identity.user.enterprise.read': [ENTERPRISE_URN]
}
/** What an Identity call needs: any read scope, the core/enterprise write scope, or the delete scope. */
export type Need = 'read' | 'write' | 'delete'

/** The caller's app's scopes; an app the fixture gives no `scopes` holds every scope. */
function scopesOf (request: FastifyRequest): readonly string[] | undefined {
  const { company, session } = callerOf(request)
  return company.scopes.get(session.clientId)
}

/** The part of a cached page's key that names what the app may read. */
const scopeKey = (request: FastifyRequest): string => scopesOf(request)?.join(' ') ?? '*'

/** The scope the call lacks, or undefined when the app may make it. */
export function missingScope (scopes: readonly string[] | undefined, need: Need): string | undefined {
  if (scopes === undefined) return undefined
  if (need === 'read') return IDENTITY_SCOPES.read.some((s) => scopes.includes(s)) ? undefined : IDENTITY_SCOPES.read.join(' or ')
  const wanted = IDENTITY_SCOPES[need]
  return scopes.includes(wanted) ? undefined : wanted
}

/** Drops the attributes no read scope of the app shows (`schemas` always stays). */
function readable (user: Scim, scopes: readonly string[] | undefined): Scim {
  if (scopes === undefined) return user
  const shown = new Set(['schemas'])
  for (const scope of scopes) for (const name of READ_SCOPE_ATTRIBUTES[scope] ?? []) shown.add(name)
  const out: Scim = {}
  for (const [key, value] of Object.entries(user)) if (shown.has(key)) out[key] = value
  return out
}

function present (request: FastifyRequest, company: ConcurCompany, u: ConcurUser, projection: Projection, path = IDENTITY_PATH): Scim {
  const base = scimUser(company, u)
  const user: Scim = readable({ ...base, meta: { ...(base.meta as Scim), location: `${geolocation(request, request.server.mock.config.publicUrl)}${path}/Users/${u.ID}` } }, scopesOf(request))
  if (projection.attributes !== undefined) return pick(user, projection.attributes)
  if (projection.excluded !== undefined) return drop(user, projection.excluded)
  return user
}

interface ListQuery extends Projection { count: number, cursor: string | undefined, rawAttributes: string, rawExcluded: string }

/** The query of `GET /Users` by the docs, or the error to answer. */
function parseListQuery (raw: string): ListQuery | { error: string } {
  const pairs = parseQuery(raw)
  if (pairs === undefined) return { error: 'The query string is malformed.' }
  const query: ListQuery = { count: DEFAULT_COUNT, cursor: undefined, attributes: undefined, excluded: undefined, rawAttributes: '', rawExcluded: '' }
  const seen = new Set<string>()
  for (const { name, value } of pairs) {
    if (name === 'startIndex') return { error: 'startIndex is not supported: page with cursor and the nextCursor of the previous page.' }
    if (name === 'filter') return { error: 'filter is not supported on GET /Users: use POST /Users/.search.' }
    if (!ALLOWED.has(name)) continue
    if (seen.has(name)) return { error: `${name} may be given once.` }
    seen.add(name)
    if (name === 'count') {
      const n = DIGITS.test(value) ? Number(value) : NaN
      if (!(n >= 1 && n <= MAX_COUNT)) return { error: `count must be an integer from 1 to ${MAX_COUNT}.` }
      query.count = n
    } else if (name === 'cursor') {
      query.cursor = value
    } else {
      const paths = parseAttributes(value)
      if (paths === undefined) return { error: `${name} is not a comma-separated list of attribute names.` }
      if (name === 'attributes') { query.attributes = paths; query.rawAttributes = value.toLowerCase() } else { query.excluded = paths; query.rawExcluded = value.toLowerCase() }
    }
  }
  if (query.attributes !== undefined && query.excluded !== undefined) return { error: 'attributes and excludedAttributes cannot be combined.' }
  return query
}

/** The values at `path` in `user` (names case-insensitive, multi-valued attributes flattened). */
function valuesAt (user: unknown, path: string): unknown[] {
  const lower = path.toLowerCase()
  const enterprise = ENTERPRISE_URN.toLowerCase()
  let segments: string[]
  if (lower.startsWith(`${enterprise}:`)) segments = [enterprise, ...lower.slice(enterprise.length + 1).split('.')]
  else if (lower.startsWith(`${USER_URN.toLowerCase()}:`)) segments = lower.slice(USER_URN.length + 1).split('.')
  else segments = lower.split('.')
  let current: unknown[] = [user]
  for (const segment of segments) {
    const next: unknown[] = []
    for (const value of current) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue
      const key = Object.keys(value).find((k) => k.toLowerCase() === segment)
      if (key === undefined) continue
      const found = (value as Scim)[key]
      if (Array.isArray(found)) next.push(...found)
      else next.push(found)
    }
    current = next
  }
  return current
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T/

/** One comparison by RFC 7644 3.4.2.2; strings compare case-insensitively, date-times as instants. */
function compare (op: string, value: unknown, against: unknown): boolean {
  if (against === null) return op === 'eq' ? value === null : op === 'ne' ? value !== null : false
  if (typeof value === 'string' && typeof against === 'string') {
    const a = value.toLowerCase()
    const b = against.toLowerCase()
    switch (op) {
      case 'eq': return a === b
      case 'ne': return a !== b
      case 'co': return a.includes(b)
      case 'sw': return a.startsWith(b)
      case 'ew': return a.endsWith(b)
    }
    const [x, y] = DATE_TIME.test(value) && DATE_TIME.test(against) ? [Date.parse(value), Date.parse(against)] : [a, b]
    return op === 'gt' ? x > y : op === 'ge' ? x >= y : op === 'lt' ? x < y : op === 'le' ? x <= y : false
  }
  if (typeof value === 'number' && typeof against === 'number') {
    return op === 'eq' ? value === against : op === 'ne' ? value !== against : op === 'gt' ? value > against : op === 'ge' ? value >= against : op === 'lt' ? value < against : op === 'le' ? value <= against : false
  }
  if (typeof value === 'boolean' && typeof against === 'boolean') return op === 'eq' ? value === against : op === 'ne' ? value !== against : false
  return op === 'ne'
}

/** Whether `user` matches the parsed filter. */
export function matchesFilter (f: Filter, user: unknown): boolean {
  switch (f.op) {
    case 'and': return (f as { filters: Filter[] }).filters.every((g) => matchesFilter(g, user))
    case 'or': return (f as { filters: Filter[] }).filters.some((g) => matchesFilter(g, user))
    case 'not': return !matchesFilter((f as { filter: Filter }).filter, user)
    case '[]': {
      const { attrPath, valFilter } = f as { attrPath: string, valFilter: Filter }
      return valuesAt(user, attrPath).some((element) => matchesFilter(valFilter, element))
    }
    case 'pr': return valuesAt(user, (f as { attrPath: string }).attrPath).some((v) => v !== null && v !== '' && !(typeof v === 'object' && Object.keys(v).length === 0))
    default: {
      const { attrPath, compValue } = f as { attrPath: string, compValue: unknown }
      const values = valuesAt(user, attrPath)
      // ne on an absent attribute matches, as "not eq" would.
      if (values.length === 0) return f.op === 'ne' && compValue !== null
      return f.op === 'ne' ? values.every((v) => compare('ne', v, compValue)) : values.some((v) => compare(f.op, v, compValue))
    }
  }
}

/** Filters a Bulk index answers: SCIM attribute → the index whose matching is the same as the scan's. */
const INDEXED_ATTRIBUTES: Record<string, { index: 'loginid' | 'primaryemail' | 'lastname' | 'id', asciiOnly: boolean }> = {
  username: { index: 'loginid', asciiOnly: true },
  'emails.value': { index: 'primaryemail', asciiOnly: true },
  'name.familyname': { index: 'lastname', asciiOnly: false },
  id: { index: 'id', asciiOnly: false }
}

/**
 * Positions that can match `f` (ascending), from an index, when `f` is an `eq` on an indexed
 * attribute or an `and` holding one; undefined means scan. The filter is still checked on each.
 */
function candidates (directory: ConcurCompany['directory'], f: Filter): readonly number[] | undefined {
  if (f.op === 'and') {
    for (const g of (f as { filters: Filter[] }).filters) {
      const found = candidates(directory, g)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (f.op !== 'eq') return undefined
  const { attrPath, compValue } = f as { attrPath: string, compValue: unknown }
  const indexed = INDEXED_ATTRIBUTES[attrPath.toLowerCase().replace(`${USER_URN.toLowerCase()}:`, '')]
  // loginid and primaryemail indexes fold ASCII case only: other values take the scan, which folds all.
  if (indexed === undefined || typeof compValue !== 'string' || (indexed.asciiOnly && [...compValue].some((c) => c.charCodeAt(0) > 0x7f))) return undefined
  return directory.lookup(indexed.index, filterKey(indexed.index, compValue))
}

const MAX_FILTER = 4096

/** Parses a SCIM filter with the library; undefined when it is not one. */
export function parseScimFilter (text: string): Filter | undefined {
  if (text.length > MAX_FILTER) return undefined
  try {
    return parseFilter(text)
  } catch {
    return undefined
  }
}

interface SearchQuery extends Projection { count: number, cursor: string | undefined, filter: Filter | undefined, binding: string }

/** The body of `POST /Users/.search` by the docs, or the error to answer. */
function parseSearch (body: unknown): SearchQuery | { error: string, scimType: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { error: 'The request body must be a JSON SearchRequest.', scimType: 'invalidSyntax' }
  const b = body as Scim
  if (!Array.isArray(b.schemas) || !b.schemas.includes(SEARCH_URN)) return { error: `schemas must contain ${SEARCH_URN}.`, scimType: 'invalidSyntax' }
  const query: SearchQuery = { count: DEFAULT_COUNT, cursor: undefined, filter: undefined, attributes: undefined, excluded: undefined, binding: '' }
  if (b.count !== undefined) {
    if (typeof b.count !== 'number' || !Number.isInteger(b.count) || b.count < 1 || b.count > MAX_COUNT) return { error: `count must be an integer from 1 to ${MAX_COUNT}.`, scimType: 'invalidValue' }
    query.count = b.count
  }
  if (b.cursor !== undefined) {
    if (typeof b.cursor !== 'string') return { error: 'cursor must be a string.', scimType: 'invalidValue' }
    query.cursor = b.cursor
  }
  if (b.filter !== undefined) {
    if (typeof b.filter !== 'string') return { error: 'filter must be a string.', scimType: 'invalidFilter' }
    query.filter = parseScimFilter(b.filter)
    if (query.filter === undefined) return { error: `The filter is not a valid SCIM filter: ${JSON.stringify(b.filter.slice(0, 80))}.`, scimType: 'invalidFilter' }
  }
  const lists: string[] = []
  for (const name of ['attributes', 'excludedAttributes'] as const) {
    const raw = b[name]
    if (raw === undefined) { lists.push(''); continue }
    const text = Array.isArray(raw) && raw.every((x) => typeof x === 'string') ? raw.join(',') : typeof raw === 'string' ? raw : undefined
    const paths = text === undefined ? undefined : parseAttributes(text)
    if (paths === undefined) return { error: `${name} must list attribute names.`, scimType: 'invalidValue' }
    if (name === 'attributes') query.attributes = paths
    else query.excluded = paths
    lists.push((text as string).toLowerCase())
  }
  if (query.attributes !== undefined && query.excluded !== undefined) return { error: 'attributes and excludedAttributes cannot be combined.', scimType: 'invalidValue' }
  query.binding = `${query.count}|${typeof b.filter === 'string' ? b.filter : ''}|${lists.join('|')}`
  return query
}

export const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

type Refusal = { status: number, detail: string, scimType?: string }
const isRefusal = (x: unknown): x is Refusal => typeof x === 'object' && x !== null && 'detail' in x && 'status' in x

const ofType = (list: unknown, type: string): Scim | undefined => {
  if (!Array.isArray(list)) return undefined
  const items = list.filter((x): x is Scim => typeof x === 'object' && x !== null)
  return items.find((x) => typeof x.type === 'string' && x.type.toLowerCase() === type) ?? items.find((x) => x.primary === true) ?? items[0]
}
const text = (x: unknown): string | undefined => typeof x === 'string' ? x : undefined

/**
 * A SCIM user body as the Bulk record it is stored as (the mapping of the README, read back).
 * Attributes outside the mapping are accepted and not kept (reads show the derived values).
 */
export function bulkFromScim (body: unknown, company: ConcurCompany, id: string): ConcurUserFixture | Refusal {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { status: 400, detail: 'The request body must be a JSON SCIM user.', scimType: 'invalidSyntax' }
  const b = body as Scim
  if (!Array.isArray(b.schemas) || !b.schemas.includes(USER_URN)) return { status: 400, detail: `schemas must contain ${USER_URN}.`, scimType: 'invalidSyntax' }
  const userName = text(b.userName)
  if (userName === undefined || userName.trim() === '') return { status: 400, detail: 'userName is required.', scimType: 'invalidValue' }
  if (/[%[#!*&()~'{^}\\/?><,;:"+=\]|]/.test(userName)) return { status: 400, detail: 'userName contains a character Concur does not allow.', scimType: 'invalidValue' }
  if (b.active !== undefined && typeof b.active !== 'boolean') return { status: 400, detail: 'active must be a boolean.', scimType: 'invalidValue' }
  const name = typeof b.name === 'object' && b.name !== null ? b.name as Scim : {}
  const enterprise = typeof b[ENTERPRISE_URN] === 'object' && b[ENTERPRISE_URN] !== null ? b[ENTERPRISE_URN] as Scim : {}
  if (enterprise.companyId !== undefined && enterprise.companyId !== null && String(enterprise.companyId).toLowerCase() !== company.companyId.toLowerCase()) {
    return { status: 400, detail: 'companyId is immutable: it must be the company of the access token.', scimType: 'mutability' }
  }
  const country = text(ofType(b.addresses, 'work')?.country) ?? null
  if (country !== null && !/^[A-Za-z]{2}$/.test(country)) return { status: 400, detail: 'addresses country must be a two-letter ISO 3166 code.', scimType: 'invalidValue' }
  const employeeNumber = text(enterprise.employeeNumber)
  return {
    ID: id,
    LoginID: userName,
    PrimaryEmail: text(ofType(b.emails, 'work')?.value) ?? '',
    EmployeeID: employeeNumber === undefined || employeeNumber === '' ? userName : employeeNumber,
    FirstName: text(name.givenName) ?? '',
    LastName: text(name.familyName) ?? '',
    MiddleName: text(name.middleName) ?? '',
    Active: b.active === undefined ? true : b.active as boolean,
    CountryCode: country === null ? null : country.toUpperCase(),
    CellPhoneNumber: text(ofType(b.phoneNumbers, 'mobile')?.value) ?? null
  }
}

/** 409 when another user of the company has this userName (Concur: unique across its products). */
function userNameTaken (company: ConcurCompany, userName: string, self: string | undefined): Refusal | undefined {
  const directory = company.directory
  const other = directory.lookup('loginid', filterKey('loginid', userName)).find((p) => (directory.users[p] as ConcurUser).ID.toLowerCase() !== self?.toLowerCase())
  return other === undefined ? undefined : { status: 409, detail: `userName ${userName} is already in use.`, scimType: 'uniqueness' }
}

/** JSON bodies (`application/json`, `application/scim+json`) up to this size; other types are not a SearchRequest. */
const JSON_BODY_LIMIT = 1024 * 1024

/** Identity's routes in a scope of their own: they read JSON bodies, which the token endpoint's scope does not. */
export async function registerIdentityRoutes (app: FastifyInstance, auth: ConcurAuth): Promise<void> {
  await app.register(async (scope) => {
    // Request schemas document; the routes check bodies themselves, so refusals are SCIM errors.
    scope.setValidatorCompiler(() => () => true)
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser(['application/json', 'application/scim+json'], { parseAs: 'string', bodyLimit: JSON_BODY_LIMIT }, (_request, body, done) => {
      // An empty body (a DELETE sent with a content type) is no body.
      if (body === '') { done(null, undefined); return }
      try {
        done(null, JSON.parse(body as string))
      } catch {
        done(Object.assign(new Error('The request body is not valid JSON.'), { statusCode: 400 }), undefined)
      }
    })
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: JSON_BODY_LIMIT }, (_request, _body, done) => { done(null, undefined) })
    identityRoutes(scope, auth)
  })
}

function identityRoutes (app: FastifyInstance, auth: ConcurAuth): void {
  /** Company token required; 401 in the SCIM error shape. */
  const allowed = (need: Need) => async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const found = await auth.authenticate(request)
    if (found === undefined) {
      // The docs: "This API supports only company level access tokens."
      if (await auth.isAppToken(request)) return sendScimError(reply, 403, 'This API supports only company level access tokens; an app token (client credentials grant) is refused.')
      return sendScimError(reply, 401, 'Authentication failed: a valid company access token is required.')
    }
    request.caller = found
    if (await app.identify(request, reply, found.tenant.id)) return reply
    const missing = missingScope(found.company.scopes.get(found.session.clientId), need)
    if (missing !== undefined) return sendScimError(reply, 403, `The app lacks the scope this call needs: ${missing}.`)
    return undefined
  }
  const authenticated = allowed('read')

  app.get(`${IDENTITY_PATH}/Users`, {
    schema: {
      summary: 'Identity v4.1: list the company\'s users (SCIM 2.0, cursor paging)',
      description: `count 1..${MAX_COUNT} (default ${DEFAULT_COUNT}), cursor (the previous page's nextCursor), attributes or excludedAttributes. startIndex is refused.`,
      response: { 200: ScimListSchema, 400: ScimErrorSchema, 401: ScimErrorSchema, 403: ScimErrorSchema }
    },
    preHandler: authenticated
  }, async (request, reply) => {
    const { tenant, company } = callerOf(request)
    const raw = rawQuery(request)
    const directory = company.directory
    // A page depends on the directory's contents, the host asked (locations) and the raw query only.
    const key = `identity-v4.1|${directory.version.key}|${geolocation(request, app.mock.config.publicUrl)}|${scopeKey(request)}|${raw}`
    const cached = app.mock.pages.get(key)
    if (cached !== undefined) return reply.type(JSON_TYPE).send(cached)
    const query = parseListQuery(raw)
    if ('error' in query) return sendScimError(reply, 400, query.error, 'invalidValue')
    // A cursor names the creation sequence number of its page's first user, sealed to the company and query.
    const binding = `concur-identity-v4.1|${tenant.id}|${company.companyId}|${query.count}|${query.rawAttributes}|${query.rawExcluded}`
    let start = 0
    if (query.cursor !== undefined) {
      const seq = app.mock.cursors.open(query.cursor, binding)
      if (seq === undefined) return sendScimError(reply, 400, 'The cursor is not valid for this query.', 'invalidValue')
      start = directory.positionOfSeq(seq)
    }
    const end = Math.min(directory.users.length, start + query.count)
    const resources: Scim[] = []
    for (let p = start; p < end; p++) resources.push(present(request, company, directory.users[p] as ConcurUser, query))
    const body: Scim = { schemas: [LIST_URN], totalResults: directory.users.length, itemsPerPage: resources.length, startIndex: start + 1, Resources: resources }
    if (end < directory.users.length) body.nextCursor = app.mock.cursors.seal(directory.seq(end), binding)
    const page = Buffer.from(JSON.stringify(body))
    app.mock.pages.set(key, page)
    return reply.type(JSON_TYPE).send(page)
  })

  app.post(`${IDENTITY_PATH}/Users/.search`, {
    schema: {
      summary: 'Identity v4.1: search the company\'s users with a SCIM filter (cursor paging)',
      description: `Body: {schemas:["${SEARCH_URN}"], filter, count (1..${MAX_COUNT}), cursor, attributes, excludedAttributes}. Checked by the route itself, so refusals are SCIM errors.`,
      body: ScimSearchRequestSchema,
      response: { 200: ScimListSchema, 400: ScimErrorSchema, 401: ScimErrorSchema, 403: ScimErrorSchema }
    },
    preHandler: authenticated
  }, async (request, reply) => {
    const { tenant, company } = callerOf(request)
    const directory = company.directory
    const key = `identity-v4.1-search|${directory.version.key}|${geolocation(request, app.mock.config.publicUrl)}|${scopeKey(request)}|${JSON.stringify(request.body) ?? ''}`
    const cached = app.mock.pages.get(key)
    if (cached !== undefined) return reply.type(JSON_TYPE).send(cached)
    const query = parseSearch(request.body)
    if ('error' in query) return sendScimError(reply, 400, query.error, query.scimType)
    const binding = `concur-identity-v4.1-search|${tenant.id}|${company.companyId}|${query.binding}`
    let start = 0
    if (query.cursor !== undefined) {
      const seq = app.mock.cursors.open(query.cursor, binding)
      if (seq === undefined) return sendScimError(reply, 400, 'The cursor is not valid for this query.', 'invalidValue')
      start = directory.positionOfSeq(seq)
    }
    // A scan: every match is counted for totalResults; this page takes the first `count` from `start`.
    const filter = query.filter
    const page: number[] = []
    let total = 0
    let before = 0
    let next: number | undefined
    const positions = filter === undefined ? undefined : candidates(directory, filter)
    const n = positions === undefined ? directory.users.length : positions.length
    for (let i = 0; i < n; i++) {
      const p = positions === undefined ? i : positions[i] as number
      if (filter !== undefined && !matchesFilter(filter, scimUser(company, directory.users[p] as ConcurUser))) continue
      total++
      if (p < start) before++
      else if (page.length < query.count) page.push(p)
      else if (next === undefined) next = p
    }
    const body: Scim = {
      schemas: [LIST_URN],
      totalResults: total,
      itemsPerPage: page.length,
      startIndex: before + 1,
      Resources: page.map((p) => present(request, company, directory.users[p] as ConcurUser, query))
    }
    if (next !== undefined) body.nextCursor = app.mock.cursors.seal(directory.seq(next), binding)
    const answer = Buffer.from(JSON.stringify(body))
    // A long body makes a long key: only ordinary searches are kept.
    if (key.length <= 4096) app.mock.pages.set(key, answer)
    return reply.type(JSON_TYPE).send(answer)
  })

  const send = (reply: FastifyReply, r: Refusal): FastifyReply => sendScimError(reply, r.status, r.detail, r.scimType)
  const locate = (company: ConcurCompany, id: string): number | undefined => company.directory.lookup('id', id.toLowerCase())[0]
  const userAt = (company: ConcurCompany, id: string): ConcurUser | undefined => {
    const position = locate(company, id)
    return position === undefined ? undefined : company.directory.users[position]
  }
  const changeOf = (tenant: string): { at: number, vendor: string, tenant: string } => ({ at: app.mock.changes.now(), vendor: 'concur', tenant })
  const answer = (request: FastifyRequest, reply: FastifyReply, company: ConcurCompany, id: string, status: number, path: string): FastifyReply => {
    const position = locate(company, id)
    if (position === undefined) return sendScimError(reply, 404, `User ${id} not found.`)
    const user = present(request, company, company.directory.users[position] as ConcurUser, { attributes: undefined, excluded: undefined }, path)
    // The app may not read meta (no core.read scope): the header names the user all the same.
    const location = `${geolocation(request, app.mock.config.publicUrl)}${path}/Users/${id}`
    return reply.code(status).header('location', location).type(JSON_TYPE).send(user)
  }

  /** PUT and PATCH end alike: the new record checked, stored as one `user.replaced` change, answered. */
  const replaceWith = async (request: FastifyRequest, reply: FastifyReply, tenant: string, company: ConcurCompany, current: ConcurUser,
    user: ConcurUserFixture | Refusal, path: string): Promise<FastifyReply> => {
    if (isRefusal(user)) return send(reply, user)
    const taken = userNameTaken(company, user.LoginID, current.ID)
    if (taken !== undefined) return send(reply, taken)
    // OrganizationUnit has no Identity attribute: a replace keeps it.
    const kept = { ...user, OrganizationUnit: current.OrganizationUnit }
    await app.mock.changes.submit({ kind: 'user.replaced', ...changeOf(tenant), userId: current.ID, user: kept as unknown as { [key: string]: Json } })
    return answer(request, reply, company, current.ID, 200, path)
  }

  // The writes of both versions: v4's create answers 200 (its page's status codes), v4.1's 201.
  for (const [path, name, created] of [[IDENTITY_PATH, 'Identity v4.1', 201], [IDENTITY_V4_PATH, 'Identity v4', 200]] as const) {
    app.post(`${path}/Users`, {
      schema: { summary: `${name}: create a user (stored as the Bulk record of the mapping)`, response: { [created]: ScimUserSchema, 400: ScimErrorSchema, 401: ScimErrorSchema, 403: ScimErrorSchema, 409: ScimErrorSchema } },
      preHandler: allowed('write')
    }, async (request, reply) => {
      const { tenant, company } = callerOf(request)
      // Concur's ids are upper-case GUIDs; made here and carried by the change, so every replica agrees.
      const user = bulkFromScim(request.body, company, randomUUID().toUpperCase())
      if (isRefusal(user)) return send(reply, user)
      const taken = userNameTaken(company, user.LoginID, undefined)
      if (taken !== undefined) return send(reply, taken)
      await app.mock.changes.submit({ kind: 'users.added', ...changeOf(tenant.id), users: [user as unknown as Json] })
      return answer(request, reply, company, user.ID, created, path)
    })

    app.put<{ Params: { id: string } }>(`${path}/Users/:id`, {
      schema: { summary: `${name}: replace a user (absent attributes are cleared)`, response: { 200: ScimUserSchema, 400: ScimErrorSchema, 401: ScimErrorSchema, 403: ScimErrorSchema, 404: ScimErrorSchema, 409: ScimErrorSchema } },
      preHandler: allowed('write')
    }, async (request, reply) => {
      const { tenant, company } = callerOf(request)
      const current = userAt(company, request.params.id)
      if (current === undefined) return sendScimError(reply, 404, `User ${request.params.id} not found.`)
      return await replaceWith(request, reply, tenant.id, company, current, bulkFromScim(request.body, company, current.ID), path)
    })

    app.patch<{ Params: { id: string } }>(`${path}/Users/:id`, {
      schema: { summary: `${name}: change a user with SCIM PatchOp operations (add, replace, remove)`, response: { 200: ScimUserSchema, 400: ScimErrorSchema, 401: ScimErrorSchema, 403: ScimErrorSchema, 404: ScimErrorSchema, 409: ScimErrorSchema } },
      preHandler: allowed('write')
    }, async (request, reply) => {
      const { tenant, company } = callerOf(request)
      const current = userAt(company, request.params.id)
      if (current === undefined) return sendScimError(reply, 404, `User ${request.params.id} not found.`)
      const body = request.body as ScimPatch | undefined
      if (body === null || typeof body !== 'object' || !Array.isArray(body.schemas) || !body.schemas.includes(PATCH_URN)) {
        return sendScimError(reply, 400, `schemas must contain ${PATCH_URN}.`, 'invalidSyntax')
      }
      let patched: Scim
      try {
        patchBodyValidation(body)
        const view = structuredClone(scimUser(company, current)) as unknown as ScimResource
        patched = scimPatch(view, body.Operations, { mutateDocument: true, treatMissingAsAdd: true }) as unknown as Scim
      } catch (err) {
        if (err instanceof ScimError) return sendScimError(reply, 400, err.message, err.scimCode ?? 'invalidValue')
        // Only the library runs in this block: whatever else it throws is about the operations sent.
        return sendScimError(reply, 400, 'The patch operations cannot be applied to this user.', 'invalidValue')
      }
      // The library answers some operations (a replace without path or value) with no resource at all.
      if (patched === null || typeof patched !== 'object') return sendScimError(reply, 400, 'The patch operations cannot be applied to this user.', 'invalidValue')
      if (String(patched.id) !== current.ID) return sendScimError(reply, 400, 'id is immutable.', 'mutability')
      return await replaceWith(request, reply, tenant.id, company, current, bulkFromScim(patched, company, current.ID), path)
    })
  }

  app.delete<{ Params: { id: string } }>(`${IDENTITY_PATH}/Users/:id`, {
    schema: { summary: 'Identity v4.1: delete a user', response: { 204: { type: 'null' }, 401: ScimErrorSchema, 403: ScimErrorSchema, 404: ScimErrorSchema } },
    preHandler: allowed('delete')
  }, async (request, reply) => {
    const { tenant, company } = callerOf(request)
    const position = locate(company, request.params.id)
    if (position === undefined) return sendScimError(reply, 404, `User ${request.params.id} not found.`)
    await app.mock.changes.submit({ kind: 'user.removed', ...changeOf(tenant.id), userId: (company.directory.users[position] as ConcurUser).ID })
    return reply.code(204).send()
  })

  const docsBase = (request: FastifyRequest): string => `${geolocation(request, app.mock.config.publicUrl)}${IDENTITY_PATH}`
  const docSchema = { response: { 200: { type: 'object', additionalProperties: true }, 401: ScimErrorSchema, 403: ScimErrorSchema } }
  app.get(`${IDENTITY_PATH}/ServiceProviderConfig`, { schema: { summary: 'Identity v4.1: what the service supports (patch, filter up to 1000 results; no bulk, sort, etag)', ...docSchema }, preHandler: authenticated },
    async (request, reply) => reply.type(JSON_TYPE).serializer(JSON.stringify).send(serviceProviderConfig(docsBase(request))))
  app.get(`${IDENTITY_PATH}/ResourceTypes`, { schema: { summary: 'Identity v4.1: the User resource type', ...docSchema }, preHandler: authenticated },
    async (request, reply) => reply.type(JSON_TYPE).serializer(JSON.stringify).send(resourceTypes(docsBase(request))))
  app.get(`${IDENTITY_PATH}/Schemas`, { schema: { summary: 'Identity v4.1: the User schema and the enterprise extension, as far as the mock keeps them', ...docSchema }, preHandler: authenticated },
    async (request, reply) => reply.type(JSON_TYPE).serializer(JSON.stringify).send(schemas(docsBase(request))))
  app.get<{ Params: { id: string } }>(`${IDENTITY_PATH}/Schemas/:id`, {
    schema: { summary: 'Identity v4.1: one schema by its URN', response: { ...docSchema.response, 404: ScimErrorSchema } },
    preHandler: authenticated
  }, async (request, reply) => {
    const found = schemaById(docsBase(request), request.params.id)
    if (found === undefined) return sendScimError(reply, 404, `Schema ${request.params.id} not found.`)
    return reply.type(JSON_TYPE).serializer(JSON.stringify).send(found)
  })

  /** Identity v4: offset paging by `startIndex` (1-based) and `count` (1..100, default 10), `eq` filters on userName, employeeNumber, externalId. */
  const v4List = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const { company } = callerOf(request)
    const pairs = parseQuery(rawQuery(request))
    if (pairs === undefined) return sendScimError(reply, 400, 'The query string is malformed.', 'invalidValue')
    let startIndex = 1
    let count = V4_DEFAULT_COUNT
    let match: ((u: ConcurUser) => boolean) | undefined
    for (const { name, value } of pairs) {
      if (name === 'startIndex' || name === 'count') {
        const n = DIGITS.test(value) ? Number(value) : NaN
        if (name === 'startIndex') {
          if (!(n >= 1 && Number.isSafeInteger(n))) return sendScimError(reply, 400, 'startIndex must be an integer of 1 or more.', 'invalidValue')
          startIndex = n
        } else {
          if (!(n >= 1 && n <= V4_MAX_COUNT)) return sendScimError(reply, 400, `count must be an integer from 1 to ${V4_MAX_COUNT}.`, 'invalidValue')
          count = n
        }
      } else if (name === 'filter') {
        const f = parseScimFilter(value)
        const field = f?.op === 'eq' ? V4_FILTERS[(f as { attrPath: string }).attrPath.toLowerCase()] : undefined
        const wanted = (f as { compValue?: unknown } | undefined)?.compValue
        if (f === undefined || field === undefined || typeof wanted !== 'string') return sendScimError(reply, 400, 'filter supports only userName, employeeNumber or externalId eq "value".', 'invalidFilter')
        match = (u) => field(u)?.toLowerCase() === wanted.toLowerCase()
      }
    }
    const directory = company.directory
    const matching = match === undefined ? directory.users : directory.users.filter(match)
    const page = matching.slice(startIndex - 1, startIndex - 1 + count)
    return reply.type(JSON_TYPE).send({
      schemas: [LIST_URN],
      totalResults: matching.length,
      startIndex,
      itemsPerPage: page.length,
      Resources: page.map((u) => present(request, company, u, { attributes: undefined, excluded: undefined }, IDENTITY_V4_PATH))
    })
  }
  const v4ListSchema = {
    summary: 'Identity v4: list the company\'s users (startIndex/count paging, eq filters)',
    description: `startIndex (1-based, default 1), count 1..${V4_MAX_COUNT} (default ${V4_DEFAULT_COUNT}), filter: userName, employeeNumber or externalId eq "value".`,
    response: { 200: ScimV4ListSchema, 400: ScimErrorSchema, 401: ScimErrorSchema, 403: ScimErrorSchema }
  }
  app.get(`${IDENTITY_V4_PATH}/Users`, { schema: v4ListSchema, preHandler: authenticated }, v4List)
  app.get(`${IDENTITY_V4_PATH}/Users/`, { schema: { ...v4ListSchema, hide: true }, preHandler: authenticated }, v4List)
  app.get<{ Params: { id: string } }>(`${IDENTITY_V4_PATH}/Users/:id`, {
    schema: { summary: 'Identity v4: one user', response: { 200: ScimUserSchema, 401: ScimErrorSchema, 403: ScimErrorSchema, 404: ScimErrorSchema } },
    preHandler: authenticated
  }, async (request, reply) => {
    const { company } = callerOf(request)
    const position = locate(company, request.params.id)
    if (position === undefined) return sendScimError(reply, 404, `User ${request.params.id} not found.`)
    return reply.type(JSON_TYPE).send(present(request, company, company.directory.users[position] as ConcurUser, { attributes: undefined, excluded: undefined }, IDENTITY_V4_PATH))
  })

  app.get<{ Params: { id: string } }>(`${IDENTITY_PATH}/Users/:id`, {
    schema: {
      summary: 'Identity v4.1: one user (SCIM 2.0)',
      description: 'attributes or excludedAttributes as on the list.',
      response: { 200: ScimUserSchema, 400: ScimErrorSchema, 401: ScimErrorSchema, 403: ScimErrorSchema, 404: ScimErrorSchema }
    },
    preHandler: authenticated
  }, async (request, reply) => {
    const { company } = callerOf(request)
    const query = parseListQuery(rawQuery(request))
    if ('error' in query) return sendScimError(reply, 400, query.error, 'invalidValue')
    const directory = company.directory
    const position = directory.lookup('id', request.params.id.toLowerCase())[0]
    if (position === undefined) return sendScimError(reply, 404, `User ${request.params.id} not found.`)
    return reply.type(JSON_TYPE).send(present(request, company, directory.users[position] as ConcurUser, query))
  })
}
