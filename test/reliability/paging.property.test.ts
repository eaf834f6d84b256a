/**
 * Paging integrity: for generated tenants (sizes, departments, groups, logins with case and
 * unicode variants), generated filters and page sizes, walking every page returns exactly the
 * users a brute-force reading of the contract selects, each once, in creation order: Concur's
 * offset pages of GET /users/, and iSpring's cursor pages of /users and /users/v2 (JSON and
 * XML), also when users are added through the admin API between two pages.
 */
import fc from 'fast-check'
import t from 'tap'
import type { MockServer } from '../../src/app.js'
import { build, CONCUR, form } from '../helper.js'
import { check, expect, expectConcurRest, expectIspring, scaled, xmlText, type IspringFormat, subtreeOf } from './support.js'

const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase())

/** Case variants a client might send: ASCII flips, plus look-alikes that are not ASCII (Kelvin sign for K, dotted İ). */
const spelling = (text: string): fc.Arbitrary<string> => fc.tuple(
  fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length }),
  fc.constantFrom('none', 'none', 'kelvin', 'dotted')
).map(([flags, trick]) => {
  const flipped = [...text].map((c, i) => flags[i] === true ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c).join('')
  if (trick === 'kelvin') return flipped.replace(/k/i, '\u212A')
  if (trick === 'dotted') return flipped.replace(/i/i, '\u0130')
  return flipped
})

const NAMES = ['kim', 'Kai', 'IDA', 'mike', 'Änne', 'ÉMILE', 'zoë', 'Jürgen', 'o\'neil', 'ana&bo', 'Lee', 'lee', 'x<y>']

async function post (app: MockServer, url: string, body: unknown, method: 'POST' | 'DELETE' = 'POST') {
  return await app.inject({ method, url, ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) } : {}) })
}

// ---- Concur ------------------------------------------------------------------------------------

interface CUser { ID: string, LoginID: string, PrimaryEmail: string, EmployeeID: string, FirstName: string, LastName: string, Active: boolean, CountryCode: string | null }

const concurUsers = fc.array(fc.record({
  name: fc.constantFrom(...NAMES),
  last: fc.constantFrom('Lee', 'LEE', 'Müller', 'MÜLLER', 'Kovač', '', 'Doe'),
  active: fc.boolean(),
  country: fc.constantFrom('US', 'us', 'DE', null),
  upperId: fc.boolean()
}), { maxLength: 40 }).map((rows) => rows.map((r, i): CUser => {
  const login = `${r.name}.${i}@Example.test`
  const hex = (i + 1).toString(16).padStart(12, '0')
  return {
    ID: r.upperId ? `ABCDEF00-0000-4000-8000-${hex.toUpperCase()}` : `abcdef00-0000-4000-8000-${hex}`,
    LoginID: login,
    PrimaryEmail: i % 3 === 0 ? login.toUpperCase() : login,
    EmployeeID: i % 2 === 0 ? `E${i}` : `e${i}`,
    FirstName: r.name,
    LastName: r.last,
    Active: r.active,
    CountryCode: r.country
  }
}))

type CFilter = { name: 'loginid' | 'primaryemail' | 'lastname' | 'employeeid' | 'countrycode' | 'id' | 'isactive', value: string }

function concurFilter (users: CUser[]): fc.Arbitrary<CFilter[]> {
  const fromUser = (pick: (u: CUser) => string | null): fc.Arbitrary<string> => users.length === 0
    ? fc.constant('nobody')
    : fc.constantFrom(...users).chain((u) => spelling(pick(u) ?? ''))
  const one: fc.Arbitrary<CFilter> = fc.oneof(
    fromUser((u) => u.LoginID).map((value) => ({ name: 'loginid' as const, value })),
    fromUser((u) => u.PrimaryEmail).map((value) => ({ name: 'primaryemail' as const, value })),
    fromUser((u) => u.LastName).map((value) => ({ name: 'lastname' as const, value })),
    fromUser((u) => u.EmployeeID).map((value) => ({ name: 'employeeid' as const, value })),
    fromUser((u) => u.CountryCode).map((value) => ({ name: 'countrycode' as const, value })),
    fromUser((u) => u.ID).map((value) => ({ name: 'id' as const, value })),
    fc.constantFrom('true', 'false').map((value) => ({ name: 'isactive' as const, value }))
  )
  return fc.uniqueArray(one, { maxLength: 3, selector: (f) => f.name })
}

function concurMatches (u: CUser, f: CFilter): boolean {
  switch (f.name) {
    case 'loginid': return asciiLower(u.LoginID) === asciiLower(f.value)
    case 'primaryemail': return asciiLower(u.PrimaryEmail) === asciiLower(f.value)
    case 'lastname': return u.LastName.toLowerCase() === f.value.toLowerCase()
    case 'employeeid': return u.EmployeeID === f.value
    case 'countrycode': return (u.CountryCode ?? '').toLowerCase() === f.value.toLowerCase()
    case 'id': return u.ID.toLowerCase() === f.value.toLowerCase()
    case 'isactive': return String(u.Active) === f.value
  }
}

t.test('Concur: walking every offset page of GET /users/ gives exactly the matching users, once each, in creation order', async (t) => {
  const app = await build(t, { journalSize: 0 })
  let serial = 0
  const scenario = concurUsers.chain((users) => fc.record({ users: fc.constant(users), filters: concurFilter(users), limit: fc.integer({ min: 1, max: Math.max(1, users.length + 2) }) }))
  await check(t, fc.asyncProperty(scenario, async ({ users, filters, limit }) => {
    const n = ++serial
    const companyId = `cafe${String(n).padStart(4, '0')}-0000-4000-8000-000000000000`
    const created = await post(app, '/__admin/tenants', {
      vendor: 'concur',
      id: `paging-${n}`,
      name: `Paging ${n}`,
      companyId,
      company: { name: 'P', address: '', city: '', state: '', zip: '', country: 'US' },
      clients: [{ clientId: CONCUR.clientId, clientSecret: CONCUR.clientSecret }],
      requestTokens: [{ token: `at-paging-${n}`, clientId: CONCUR.clientId, neverExpires: true }],
      users
    })
    expect(created.statusCode === 201, `create: ${created.body}`)
    const token = (await app.inject({
      method: 'POST',
      url: '/concur/oauth2/v0/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'password', username: companyId, password: `at-paging-${n}`, credtype: 'authtoken' })
    }).then((r) => r.json() as { access_token: string })).access_token

    const expected = users.filter((u) => filters.every((f) => concurMatches(u, f))).map((u) => u.ID)
    const query = filters.map((f) => `${f.name}=${encodeURIComponent(f.value)}`).join('&')
    const seen: string[] = []
    for (let offset = 0; offset <= expected.length; offset += limit) {
      const url = `/concur/users/?${query}${query === '' ? '' : '&'}offset=${offset}&limit=${limit}`
      const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })
      const page = expectConcurRest(res, [200], url) as { total: number, Items: Array<{ ID: string }> }
      expect(page.total === expected.length, `total ${page.total}, expected ${expected.length} for ${url}`)
      expect(page.Items.length === Math.min(limit, Math.max(0, expected.length - offset)), `page size at offset ${offset} for ${url}`)
      seen.push(...page.Items.map((u) => u.ID))
    }
    expect(JSON.stringify(seen) === JSON.stringify(expected), `walk of ?${query} limit ${limit}: got ${seen.join(',')}, expected ${expected.join(',')}`)
    const removed = await post(app, `/__admin/tenants/concur/paging-${n}`, undefined, 'DELETE')
    expect(removed.statusCode === 204, 'delete')
  }), { seed: 401, numRuns: scaled(300) })
})

// ---- iSpring -----------------------------------------------------------------------------------

interface IUser { userId: string, login: string, email: string, password: string, firstName: string, lastName: string, role: string, departmentId: string, groups: string[] }
interface Account { departments: Array<{ id: string, name: string, parentId?: string }>, groups: Array<{ id: string, name: string }>, users: IUser[] }

const dept = (i: number): string => `dd000000-0000-4000-8000-${String(i).padStart(12, '0')}`
const grp = (i: number): string => `ee000000-0000-4000-8000-${String(i).padStart(12, '0')}`
const usr = (i: number): string => `aa000000-0000-4000-8000-${String(i).padStart(12, '0')}`

/** A random tree: department i > 0 hangs under a department before it. */
const tree = fc.integer({ min: 1, max: 10 }).chain((count) => fc.tuple(...Array.from({ length: count - 1 }, (_v, i) => fc.nat({ max: i }))).map((parents) => [
  { id: dept(0), name: 'Root' },
  ...parents.map((p, i) => ({ id: dept(i + 1), name: `D${i + 1}`, parentId: dept(p) }))
]))

function userRow (i: number, departments: number, groups: number): fc.Arbitrary<IUser> {
  return fc.record({
    name: fc.constantFrom(...NAMES),
    department: fc.nat({ max: departments - 1 }),
    groups: fc.uniqueArray(fc.nat({ max: Math.max(0, groups - 1) }), { maxLength: groups === 0 ? 0 : 2 })
  }).map((r) => ({
    userId: usr(i),
    login: `${r.name}${i}`,
    email: `${r.name}${i}@Mail.test`,
    password: 'pw',
    firstName: r.name,
    lastName: `L${i}`,
    role: i === 0 ? 'owner' : 'learner',
    departmentId: dept(r.department),
    groups: r.groups.map(grp)
  }))
}

const account: fc.Arbitrary<Account> = tree.chain((departments) => fc.integer({ min: 0, max: 4 }).chain((groupCount) => fc.integer({ min: 1, max: 30 }).chain((userCount) =>
  fc.tuple(...Array.from({ length: userCount }, (_v, i) => userRow(i, departments.length, groupCount))).map((users) => ({
    departments,
    groups: Array.from({ length: groupCount }, (_v, i) => ({ id: grp(i), name: `G${i}` })),
    users
  })))))

const subtree = (a: Account, id: string): Set<string> => subtreeOf(a.departments, id)

interface IFilters { departments?: string[], groups?: string[], logins?: string[], emails?: string[], userIds?: string[] }

function ispringFilters (a: Account, version: 1 | 2): fc.Arbitrary<IFilters> {
  const ids = (list: string[]) => fc.uniqueArray(fc.constantFrom(...list), { minLength: 1, maxLength: 2 })
  const some = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 })
  return fc.record({
    departments: some(ids(a.departments.map((d) => d.id)).chain((l) => fc.tuple(...l.map((d) => fc.constantFrom(d, d.toUpperCase()))))),
    groups: a.groups.length === 0 ? fc.constant(undefined) : some(ids(a.groups.map((g) => g.id))),
    logins: some(fc.array(fc.constantFrom(...a.users.map((u) => u.login), 'nobody').chain(spelling), { minLength: 1, maxLength: 3 })),
    emails: some(fc.array(fc.constantFrom(...a.users.map((u) => u.email)).chain(spelling), { minLength: 1, maxLength: 2 })),
    userIds: version === 1 ? fc.constant(undefined) : some(ids(a.users.map((u) => u.userId)))
  }, { requiredKeys: [] })
}

function ispringMatches (a: Account, u: IUser, f: IFilters): boolean {
  const lower = (l: string[] | undefined) => l?.map((v) => v.toLowerCase())
  const departments = lower(f.departments)?.flatMap((d) => [...subtree(a, d)])
  return (departments === undefined || departments.includes(u.departmentId)) &&
    (f.groups === undefined || u.groups.some((g) => f.groups?.includes(g))) &&
    (f.logins === undefined || lower(f.logins)?.includes(u.login.toLowerCase()) === true) &&
    (f.emails === undefined || lower(f.emails)?.includes(u.email.toLowerCase()) === true) &&
    (f.userIds === undefined || f.userIds.includes(u.userId))
}

/** The user ids and next token of one page, read from JSON or XML. */
function pageOf (body: Record<string, unknown>, format: IspringFormat): { ids: string[], next: string | undefined } {
  if (format === 'json') return { ids: (body.userProfiles as Array<{ userId: string }>).map((u) => u.userId), next: body.nextPageToken as string | undefined }
  const list = body.userProfiles as { userProfile?: unknown } | string
  const items = typeof list === 'object' && list.userProfile !== undefined ? (Array.isArray(list.userProfile) ? list.userProfile : [list.userProfile]) : []
  return { ids: (items as Array<{ userId: string }>).map((u) => u.userId), next: body.nextPageToken === undefined ? undefined : xmlText(body.nextPageToken) }
}

t.test('iSpring: walking every page of /users and /users/v2 gives exactly the matching users, once each, in creation order, also with users added mid-walk', async (t) => {
  const app = await build(t, { journalSize: 0 })
  let serial = 0
  const scenario = account.chain((a) => fc.constantFrom<1 | 2>(1, 2).chain((version) => fc.record({
    a: fc.constant(a),
    version: fc.constant(version),
    filters: ispringFilters(a, version),
    pageSize: fc.integer({ min: 1, max: a.users.length + 2 }),
    format: fc.constantFrom<IspringFormat>('json', 'xml'),
    // Users to add after page i: [page index, users added (fresh rows)].
    additions: fc.array(fc.tuple(fc.nat({ max: 6 }), fc.integer({ min: 1, max: 3 }).chain((k) => fc.tuple(...Array.from({ length: k }, (_v, j) => userRow(100 + j, a.departments.length, a.groups.length))))), { maxLength: 3 })
  })))

  await check(t, fc.asyncProperty(scenario, async ({ a, version, filters, pageSize, format, additions }) => {
    const n = ++serial
    const accountUrl = `https://paging-${n}.ispringlearn.com`
    const created = await post(app, '/__admin/tenants', { vendor: 'ispring', id: `paging-${n}`, name: `Paging ${n}`, accountUrl, departments: a.departments, groups: a.groups, users: a.users })
    expect(created.statusCode === 201, `create: ${created.body}`)
    const headers = { 'x-auth-account-url': accountUrl, 'x-auth-email': a.users[0]?.login as string, 'x-auth-password': 'pw', accept: format === 'json' ? 'application/json' : 'application/xml' }
    const users = [...a.users]
    let nextAdded = 0
    const query = (['departments', 'groups', 'logins', 'emails', 'userIds'] as const)
      .flatMap((k) => (filters[k] ?? []).map((v) => `${k}%5B%5D=${encodeURIComponent(v)}`)).join('&')
    const path = `/ispring${version === 1 ? '/users' : '/users/v2'}?${query}${query === '' ? '' : '&'}pageSize=${pageSize}`
    const seen: string[] = []
    let token: string | undefined
    for (let page = 0; ; page++) {
      expect(page <= users.length + 1, 'the walk ends')
      const url = token === undefined ? path : `${path}&pageToken=${token}`
      const res = await app.inject({ method: 'GET', url, headers })
      const { body } = expectIspring(res, [200], url, format)
      const { ids, next } = pageOf(body, format)
      expect(ids.length <= pageSize && (next === undefined || ids.length === pageSize), `page ${page} of ${path}: ${ids.length} items, next ${String(next)}`)
      seen.push(...ids)
      if (next === undefined) break
      token = next
      for (const [after, rows] of additions) {
        if (after !== page) continue
        const added = rows.map((r) => ({ ...r, userId: usr(200 + nextAdded), login: `${r.login}-${nextAdded}`, email: `${nextAdded++}.${r.email}` }))
        const res = await post(app, `/__admin/tenants/ispring/paging-${n}/users`, { users: added })
        expect(res.statusCode === 201, `add users: ${res.body}`)
        users.push(...added)
      }
    }
    const expected = users.filter((u) => ispringMatches(a, u, filters)).map((u) => u.userId)
    expect(JSON.stringify(seen) === JSON.stringify(expected), `walk of ${path}: got ${seen.join(',')}, expected ${expected.join(',')}`)
    const removed = await post(app, `/__admin/tenants/ispring/paging-${n}`, undefined, 'DELETE')
    expect(removed.statusCode === 204, 'delete')
  }), { seed: 402, numRuns: scaled(300) })
})
