/**
 * A Concur company as the mock holds it: the fixture's company block, enabled OAuth apps and
 * request tokens, the user directory (hand-written users, then generated ones) with the indexes
 * the Get Users filters need, and the per-app session that carries the refresh token and makes
 * revocation possible for stateless JWTs.
 */
import { createHash } from 'node:crypto'
import type { BuildContext, TenantKind } from '../../core/tenants.js'
import { FixtureProblem } from '../../core/tenants.js'
import { UnknownChange } from '../../core/errors.js'
import { FragmentCache } from '../../core/fragments.js'
import { DirectoryVersion } from '../../core/page-cache.js'
import { namePools, seededRandom } from '../../core/random.js'
import { runAll, type Steps } from '../../core/steps.js'
import { Compile } from 'typebox/compile'
import { ConcurTenantFileSchema, ConcurUserFixtureSchema, ConcurUserPatchSchema, type ConcurTenantFile, type ConcurUser, type ConcurUserFixture } from './schemas.js'

export interface RequestToken {
  clientId: string
  /** Epoch ms, or undefined for "when the mock clock started". */
  issuedAt: number | undefined
  neverExpires: boolean
}

/** One OAuth app's standing with a company: revoking it replaces the session. */
export interface Session {
  clientId: string
  /** Carried by access tokens as `sid`; a token of a replaced session is refused. */
  sid: string
  refreshToken: string
  refreshExpiresAt: number
}

type Filterable = 'loginid' | 'primaryemail' | 'lastname' | 'employeeid' | 'countrycode' | 'id'

/** Deterministic per user id, so every replica and every run agree on values a seeded record lacks. */
export function hashOf (id: string): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0)
}

const DAY_MS = 86_400_000
const EPOCH_2020 = Date.UTC(2020, 0, 1)

/** A seeded user's SCIM `meta`: created (and last modified) on a day of 2020–2022 derived from its id, version 1. */
export function seededMeta (id: string): UserMeta {
  const created = EPOCH_2020 + (hashOf(id) % 1000) * DAY_MS
  return { created, lastModified: created, version: 1 }
}

/** A-Z to a-z only: loginid and primaryemail match ASCII case-insensitively (the Kelvin sign is not a k). */
const asciiLower = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase())

const INDEXED: Record<Filterable, (u: ConcurUser) => string> = {
  loginid: (u) => asciiLower(u.LoginID),
  primaryemail: (u) => asciiLower(u.PrimaryEmail),
  lastname: (u) => u.LastName.toLowerCase(),
  employeeid: (u) => u.EmployeeID,
  countrycode: (u) => (u.CountryCode ?? '').toLowerCase(),
  id: (u) => u.ID.toLowerCase()
}
export const FILTERABLE = Object.keys(INDEXED) as Filterable[]

/** Normalizes the filter value the same way the index key was made. */
export function filterKey (name: Filterable, value: string): string {
  return name === 'employeeid' ? value : name === 'loginid' || name === 'primaryemail' ? asciiLower(value) : value.toLowerCase()
}

/** Serialized users (core FragmentCache: user objects are replaced, never changed in place). */
const USER_JSON = new FragmentCache<ConcurUser>(1, (user) => Buffer.from(JSON.stringify(user)))

/** Generated users per fixture object: a reset rebuilds a tenant from the same object. */
const GENERATED = new WeakMap<ConcurTenantFile, readonly ConcurUser[]>()
/** Users made ahead in steps for a tenant about to be created at run time, taken once by its directory. */
const PREPARED = new WeakMap<ConcurTenantFile, ConcurUser[]>()

/**
 * One filter's index: normalized value → the position of its only user, or the positions (in
 * creation order) when several share it. Most values are unique (logins, ids, emails), so most
 * entries are a bare number rather than a one-element array.
 */
type FilterIndex = Map<string, number | number[]>

/** What a write made of a user's SCIM `meta`: dates on the mock clock (epoch ms) and the write count. */
export interface UserMeta { created: number, lastModified: number, version: number }

/** The users of one company in creation order, with filter indexes built on first use, one per filter. */
export class UserDirectory {
  readonly users: ConcurUser[]
  /**
   * Each user's creation sequence number, parallel to `users` and rising along it: Identity
   * cursors name the sequence number of the next page's first user, so a walk stays exact while
   * users are added and removed.
   */
  readonly #seqs: number[]
  #nextSeq: number
  /** Moves on every change: cached pages of an older version are never served. */
  readonly version = new DirectoryVersion()
  #indexes = new Map<Filterable, FilterIndex>()
  /** Per lower-case user id, for users added or changed since the tenant was built (seeded users have none). */
  readonly #meta = new Map<string, UserMeta>()
  #active: { true: number[], false: number[] } | undefined

  constructor (users: ConcurUser[]) {
    this.users = users
    this.#seqs = users.map((_, i) => i)
    this.#nextSeq = users.length
  }

  /** The creation sequence number of the user at `position`. */
  seq (position: number): number {
    return this.#seqs[position] as number
  }

  /** The position of the first user created at or after sequence number `seq` (users.length if none). */
  positionOfSeq (seq: number): number {
    let low = 0
    let high = this.#seqs.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if ((this.#seqs[mid] as number) < seq) low = mid + 1
      else high = mid
    }
    return low
  }

  /** The user's JSON, serialized once and reused until the user changes. */
  json (position: number): Buffer {
    return USER_JSON.get(this.users[position] as ConcurUser)
  }

  /** Positions of users whose field equals `key` (already normalized with filterKey). */
  lookup (name: Filterable, key: string): readonly number[] {
    let index = this.#indexes.get(name)
    if (index === undefined) {
      index = new Map()
      const normalize = INDEXED[name]
      for (let position = 0; position < this.users.length; position++) {
        const k = normalize(this.users[position] as ConcurUser)
        const found = index.get(k)
        if (found === undefined) index.set(k, position)
        else if (typeof found === 'number') index.set(k, [found, position])
        else found.push(position)
      }
      this.#indexes.set(name, index)
    }
    const found = index.get(key)
    return found === undefined ? [] : typeof found === 'number' ? [found] : found
  }

  /** The user's write history, or undefined for a seeded user never written since. */
  meta (id: string): UserMeta | undefined {
    return this.#meta.get(id.toLowerCase())
  }

  /** Appends a user created at `at` (version 0); indexes are rebuilt on next use. */
  add (user: ConcurUser, at: number): void {
    this.users.push(user)
    this.#seqs.push(this.#nextSeq++)
    this.#meta.set(user.ID.toLowerCase(), { created: at, lastModified: at, version: 0 })
    this.#invalidate()
  }

  /** Removes the user at `position`; later users move up one (the Bulk API pages by offset). */
  remove (position: number): void {
    const [user] = this.users.splice(position, 1)
    this.#seqs.splice(position, 1)
    if (user !== undefined) this.#meta.delete(user.ID.toLowerCase())
    this.#invalidate()
  }

  /**
   * Replaces the user at `position` with a new object (so its cached JSON is not reused), written
   * at `at`: the version moves on by one. A seeded user starts from `seeded` (its derived meta).
   */
  replace (position: number, user: ConcurUser, at: number, seeded: () => UserMeta): void {
    const id = user.ID.toLowerCase()
    const before = this.#meta.get(id) ?? seeded()
    this.users[position] = user
    this.#meta.set(id, { created: before.created, lastModified: at, version: before.version + 1 })
    this.#invalidate()
  }

  #invalidate (): void {
    this.version.bump()
    this.#indexes = new Map()
    this.#active = undefined
  }

  byActive (active: boolean): readonly number[] {
    if (this.#active === undefined) {
      const split = { true: [] as number[], false: [] as number[] }
      this.users.forEach((u, i) => { (u.Active ? split.true : split.false).push(i) })
      this.#active = split
    }
    return active ? this.#active.true : this.#active.false
  }
}

export class ConcurCompany {
  readonly name: string
  readonly companyId: string
  readonly disabled: boolean
  /** The company block, serialized once (key order of the seed sample). */
  readonly companyJson: string
  /** Enabled apps: lower-case client id → secret. */
  readonly clients: Map<string, string>
  readonly requestTokens: Map<string, RequestToken>
  /** Per app (lower-case client id): the scopes the fixture gives it, or undefined for the default (every scope). */
  readonly scopes: Map<string, readonly string[] | undefined>
  /** Per app (lower-case client id). */
  readonly sessions = new Map<string, Session>()
  readonly #fixture: ConcurTenantFile
  #directory: UserDirectory | undefined

  constructor (fixture: ConcurTenantFile) {
    this.#fixture = fixture
    this.name = fixture.name
    this.companyId = fixture.companyId.toLowerCase()
    this.disabled = fixture.disabled === true
    const c = fixture.company
    this.companyJson = JSON.stringify({ name: c.name, address: c.address, city: c.city, state: c.state, zip: c.zip, country: c.country })
    this.clients = new Map(fixture.clients.map((c) => [c.clientId.toLowerCase(), c.clientSecret]))
    this.scopes = new Map(fixture.clients.map((c) => [c.clientId.toLowerCase(), c.scopes]))
    this.requestTokens = new Map(fixture.requestTokens.map((t) => [t.token, {
      clientId: t.clientId.toLowerCase(),
      issuedAt: t.issuedAt === undefined ? undefined : Date.parse(t.issuedAt),
      neverExpires: t.neverExpires === true
    }]))
  }

  get userCount (): number {
    return this.#directory?.users.length ?? (this.#fixture.users?.length ?? 0) + (this.#fixture.generate?.users ?? 0)
  }

  /** The users; generated ones are made on first use, so start-up stays fast. */
  get directory (): UserDirectory {
    if (this.#directory === undefined) {
      const prepared = PREPARED.get(this.#fixture)
      PREPARED.delete(this.#fixture)
      this.#directory = new UserDirectory(prepared ?? runAll(fixtureUsers(this.#fixture)).slice())
    }
    return this.#directory
  }

  /**
   * Applies a `concur.session.issued` change: a password grant opens the app's session with the
   * change's random `sid` and refresh token unless one is open (then that one stands), a refresh
   * grant continues the session named by `sid` and gets nothing once it was revoked or replaced.
   * Either way the refresh token lives until `refreshExpiresAt`.
   */
  issueSession (c: SessionIssued): Session | undefined {
    let session = this.sessions.get(c.clientId)
    if (c.grant === 'refresh_token' && session?.sid !== c.sid) return undefined
    if (session === undefined) {
      session = { clientId: c.clientId, sid: c.sid, refreshToken: c.refreshToken, refreshExpiresAt: 0 }
      this.sessions.set(c.clientId, session)
    }
    session.refreshExpiresAt = c.refreshExpiresAt
    return session
  }
}

/** The change a token grant makes: replicas must agree on the session's sid and refresh token. */
// A type, not an interface: it must fit the change path's index signature.
export type SessionIssued = {
  kind: 'concur.session.issued'
  grant: 'password' | 'refresh_token'
  clientId: string
  sid: string
  refreshToken: string
  refreshExpiresAt: number
}

function isSessionIssued (c: { kind: string, [key: string]: unknown }): c is SessionIssued & { at: number } {
  return c.kind === 'concur.session.issued' && (c.grant === 'password' || c.grant === 'refresh_token') &&
    typeof c.clientId === 'string' && typeof c.sid === 'string' && typeof c.refreshToken === 'string' &&
    typeof c.refreshExpiresAt === 'number'
}

function fromFixture (u: ConcurUserFixture): ConcurUser {
  return {
    Active: u.Active ?? true,
    CountryCode: u.CountryCode ?? null,
    CellPhoneNumber: u.CellPhoneNumber ?? null,
    PrimaryEmail: u.PrimaryEmail,
    EmployeeID: u.EmployeeID,
    ID: u.ID,
    Emails: u.Emails ?? [u.PrimaryEmail],
    OrganizationUnit: u.OrganizationUnit ?? null,
    MiddleName: u.MiddleName ?? '',
    LastName: u.LastName,
    FirstName: u.FirstName,
    LoginID: u.LoginID
  }
}

/** Generated users between two turns of the event loop (about 15 ms of work). */
const GENERATE_STEP = 1000
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'IN', 'CA', 'AU'] as const
const UNITS = ['Sales', 'Engineering', 'Finance', 'Operations', 'Marketing', 'Support'] as const
const ascii = (s: string): string => s.toLowerCase().replace(/[^a-z]/g, '')

/** The fixture's users, generated once per fixture object (a reset rebuilds from the same object). */
export function * fixtureUsers (fixture: ConcurTenantFile): Steps<readonly ConcurUser[]> {
  let users = GENERATED.get(fixture)
  if (users === undefined) {
    users = yield * generatedUsers(fixture)
    GENERATED.set(fixture, users)
  }
  return users
}

/**
 * Hand-written users first, then `generate.users` generated from `generate.seed`. Generated
 * logins, emails, employee ids and ids never collide with each other or with hand-written ones.
 */
function * generatedUsers (fixture: ConcurTenantFile): Steps<readonly ConcurUser[]> {
  const users = (fixture.users ?? []).map(fromFixture)
  const spec = fixture.generate
  if (spec === undefined || spec.users === 0) return users
  const rnd = seededRandom(spec.seed)
  const { first, last } = namePools(rnd.faker)
  const taken = new Set(users.map((u) => u.LoginID.toLowerCase()))
  const employeeIds = new Set(users.map((u) => u.EmployeeID))
  const domain = `${fixture.id}.example.com`
  let serial = 100_000
  for (let i = 0; i < spec.users; i++) {
    if (i % GENERATE_STEP === GENERATE_STEP - 1) yield
    const firstName = rnd.pick(first)
    const lastName = rnd.pick(last)
    const middle = rnd.chance(0.3) ? rnd.pick(first) : ''
    const base = `${ascii(firstName)}.${ascii(lastName)}`
    let login = `${base}@${domain}`
    for (let n = 2; taken.has(login); n++) login = `${base}${n}@${domain}`
    taken.add(login)
    let employeeId = `E${serial++}`
    while (employeeIds.has(employeeId)) employeeId = `E${serial++}`
    users.push({
      Active: rnd.chance(0.8),
      CountryCode: rnd.pick(COUNTRIES),
      CellPhoneNumber: rnd.chance(0.75) ? rnd.digits(10) : null,
      PrimaryEmail: login,
      EmployeeID: employeeId,
      ID: rnd.uuid().toUpperCase(),
      Emails: [login],
      OrganizationUnit: rnd.chance(0.8) ? rnd.pick(UNITS) : null,
      MiddleName: middle,
      LastName: lastName,
      FirstName: firstName,
      LoginID: login
    })
  }
  return users
}

const UNIQUE_KEYS = ['ID', 'LoginID', 'EmployeeID'] as const
const uniqueValue = (key: typeof UNIQUE_KEYS[number], u: { ID: string, LoginID: string, EmployeeID: string }): string =>
  key === 'EmployeeID' ? u[key] : u[key].toLowerCase()

/**
 * Throws when a user of `added` repeats an ID, LoginID or EmployeeID of `existing` or of an
 * earlier added user. Paths are `[...prefix, index, key]`.
 */
function checkUnique (existing: readonly ConcurUser[], added: readonly ConcurUserFixture[], prefix: Array<string | number>, skip?: number): void {
  for (const key of UNIQUE_KEYS) {
    const seen = new Map<string, string>()
    existing.forEach((u, i) => { if (i !== skip) seen.set(uniqueValue(key, u), 'an existing user') })
    added.forEach((u, i) => {
      const value = uniqueValue(key, u)
      const other = seen.get(value)
      if (other !== undefined) throw new FixtureProblem([...prefix, i, key], `duplicate ${key} "${u[key]}" (also ${other})`)
      seen.set(value, `${prefix.length > 0 ? `${String(prefix[0])}` : ''}[${i}]`)
    })
  }
}

/** Checks what the schema cannot: unique user keys, request tokens of enabled apps. */
function checkFixture (f: ConcurTenantFile): void {
  checkUnique([], f.users ?? [], ['users'])
  const clientIds = new Set<string>()
  f.clients.forEach((c, i) => {
    if (clientIds.has(c.clientId.toLowerCase())) throw new FixtureProblem(['clients', i, 'clientId'], `duplicate clientId "${c.clientId}"`)
    clientIds.add(c.clientId.toLowerCase())
  })
  const tokens = new Set<string>()
  f.requestTokens.forEach((t, i) => {
    if (tokens.has(t.token)) throw new FixtureProblem(['requestTokens', i, 'token'], `duplicate request token "${t.token}"`)
    tokens.add(t.token)
    if (!clientIds.has(t.clientId.toLowerCase())) {
      throw new FixtureProblem(['requestTokens', i, 'clientId'], `"${t.clientId}" is not one of this company's clients`)
    }
    if (t.issuedAt !== undefined && Number.isNaN(Date.parse(t.issuedAt))) {
      throw new FixtureProblem(['requestTokens', i, 'issuedAt'], 'must be an ISO-8601 date-time')
    }
  })
}

const checkPatch = Compile(ConcurUserPatchSchema)

export const concurTenantKind: TenantKind<ConcurCompany> = {
  vendor: 'concur',
  schema: ConcurTenantFileSchema,
  userSchema: ConcurUserFixtureSchema,
  addUsers (company, users, ctx) {
    const added = users as ConcurUserFixture[]
    const directory = company.directory
    checkUnique(directory.users, added, [])
    for (const u of added) directory.add(fromFixture(u), ctx.clock.now())
    return added.map((u) => u.ID)
  },
  patchUser (company, userId, patch, ctx) {
    const [error] = checkPatch.Errors(patch)
    if (error !== undefined) throw new FixtureProblem(error.instancePath.split('/').slice(1), error.message)
    const directory = company.directory
    const position = directory.lookup('id', userId.toLowerCase())[0]
    if (position === undefined) return false
    const current = directory.users[position] as ConcurUser
    const next = fromFixture({ ...current, ...(patch as Partial<ConcurUserFixture>), ID: current.ID })
    checkUnique(directory.users, [next], [], position)
    directory.replace(position, next, ctx.clock.now(), () => seededMeta(next.ID))
    return true
  },
  replaceUser (company, userId, user, ctx) {
    const directory = company.directory
    const position = directory.lookup('id', userId.toLowerCase())[0]
    if (position === undefined) return false
    const next = fromFixture(user as ConcurUserFixture)
    if (next.ID.toLowerCase() !== userId.toLowerCase()) throw new FixtureProblem(['ID'], `must be the id of the user replaced ("${(directory.users[position] as ConcurUser).ID}")`)
    checkUnique(directory.users, [next], [], position)
    directory.replace(position, next, ctx.clock.now(), () => seededMeta(next.ID))
    return true
  },
  removeUser (company, userId) {
    const directory = company.directory
    const position = directory.lookup('id', userId.toLowerCase())[0]
    if (position === undefined) return false
    directory.remove(position)
    return true
  },
  // Not kept in GENERATED: a run-time tenant is never rebuilt by a reset, so its users live once.
  * prepare (fixture) {
    const f = fixture as ConcurTenantFile
    if (f.generate !== undefined && !PREPARED.has(f)) PREPARED.set(f, (yield * generatedUsers(f)) as ConcurUser[])
  },
  revokeTokens (company, clientId) {
    company.sessions.delete(clientId)
  },
  applyChange (company, change) {
    switch (change.kind) {
      case 'concur.session.issued':
        if (!isSessionIssued(change)) throw new FixtureProblem([], 'a session change needs grant, clientId, sid, refreshToken and refreshExpiresAt')
        return company.issueSession(change)
      default:
        throw new UnknownChange(change.kind, 'concur')
    }
  },
  build (fixture: unknown, _ctx: BuildContext): ConcurCompany {
    const f = fixture as ConcurTenantFile
    checkFixture(f)
    return new ConcurCompany(f)
  },
  keys: (company) => [company.companyId],
  describe: (company) => ({
    userCount: company.userCount,
    companyId: company.companyId,
    credentials: {
      clients: [...company.clients].map(([clientId, clientSecret]) => ({ clientId, clientSecret })),
      requestTokens: [...company.requestTokens].map(([token, t]) => ({ token, clientId: t.clientId, neverExpires: t.neverExpires })),
      username: company.companyId
    }
  })
}
