/**
 * Identity v4.1, read side: the SCIM view of the Bulk API's users, cursor walks that stay exact
 * under writes, attribute projection, and every refusal in the SCIM error shape.
 */
import t from 'tap'
import type { MockServer } from '../../src/index.js'
import { adminCall, advanceClock, build, CONCUR, concurCompanyFixture, concurToken, concurTokenRequest, concurUsers, pinClock } from '../helper.js'

const BASE = '/concur/profile/identity/v4.1'
const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const JOHN = '99BFFFC3-C0BE-44FF-A441-AE1FFFFFF75B8'

async function identity (app: MockServer, token: string, path: string, headers: Record<string, string> = {}) {
  return await app.inject({ url: `${BASE}${path}`, headers: { authorization: `Bearer ${token}`, ...headers } })
}

const scimError = (status: number, detail: string, scimType?: string) =>
  ({ schemas: [ERROR_URN], status: String(status), ...(scimType === undefined ? {} : { scimType }), detail })

t.test('a user: the Bulk record in SCIM form, with deterministic values for what the Bulk record lacks', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app)).access_token
  const res = await identity(app, token, `/Users/${JOHN}`)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  t.same(res.json(), {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
    id: JOHN,
    userName: 'johndoe@gmail.com',
    displayName: 'John Doe',
    name: { givenName: 'John', familyName: 'Doe', middleName: null },
    active: true,
    emails: [{ type: 'work', value: 'johndoe@gmail.com', verified: false, notifications: true }],
    phoneNumbers: [{ type: 'mobile', value: '5551234567' }],
    addresses: [{ type: 'work', country: 'US' }],
    timezone: 'America/Los_Angeles',
    preferredLanguage: 'en-US',
    [ENTERPRISE]: { companyId: '7c2b6e4a-1f0d-4c8b-9a3e-5d6f7a8b9c01', employeeNumber: 'johndoe@gmail.com', startDate: '2020-04-16T00:00:00.000', terminationDate: null },
    meta: { resourceType: 'User', created: '2020-04-16T00:00:00.000Z', lastModified: '2020-04-16T00:00:00.000Z', version: 1, location: `http://localhost:80${BASE}/Users/${JOHN}` }
  })
  t.equal((await identity(app, token, `/Users/${JOHN.toLowerCase()}`)).json().id, JOHN, 'ids match case-insensitively, as on the Bulk API')

  const routed = await app.inject({ url: `/profile/identity/v4.1/Users/${JOHN}`, headers: { host: 'us.api.concursolutions.com', 'x-forwarded-proto': 'https', authorization: `Bearer ${token}` } })
  t.equal(routed.statusCode, 200, 'Host routing')
  t.equal(routed.json().meta.location, `https://us.api.concursolutions.com/profile/identity/v4.1/Users/${JOHN}`)

  const missing = await identity(app, token, '/Users/no-such-user')
  t.equal(missing.statusCode, 404)
  t.same(missing.json(), scimError(404, 'User no-such-user not found.'))
})

t.test('refusals in the SCIM error shape', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app)).access_token
  const anonymous = await app.inject({ url: `${BASE}/Users` })
  t.equal(anonymous.statusCode, 401)
  t.equal(anonymous.headers['content-type'], 'application/json; charset=utf-8')
  t.same(anonymous.json(), scimError(401, 'Authentication failed: a valid company access token is required.'))
  t.equal((await identity(app, 'not-a-token', '/Users')).statusCode, 401)
  t.equal((await identity(app, 'not-a-token', `/Users/${JOHN}`)).statusCode, 401)

  const cases: Array<[string, string]> = [
    ['?startIndex=1', 'startIndex is not supported: page with cursor and the nextCursor of the previous page.'],
    ['?count=0', 'count must be an integer from 1 to 1000.'],
    ['?count=1001', 'count must be an integer from 1 to 1000.'],
    ['?count=ten', 'count must be an integer from 1 to 1000.'],
    ['?count=1&count=2', 'count may be given once.'],
    ['?filter=userName%20eq%20%22x%22', 'filter is not supported on GET /Users: use POST /Users/.search.'],
    ['?attributes=name..givenName', 'attributes is not a comma-separated list of attribute names.'],
    ['?attributes=id,', 'attributes is not a comma-separated list of attribute names.'],
    ['?attributes=id&excludedAttributes=emails', 'attributes and excludedAttributes cannot be combined.'],
    ['?cursor=made-up', 'The cursor is not valid for this query.']
  ]
  for (const [query, detail] of cases) {
    const res = await identity(app, token, `/Users${query}`)
    t.equal(res.statusCode, 400, query)
    t.same(res.json(), scimError(400, detail, 'invalidValue'), query)
  }
})

t.test('cursor walks: every user once, in the Bulk API\'s order, bound to their query', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app, 'acme')).access_token
  const ids: string[] = []
  let cursor: string | undefined
  let pages = 0
  do {
    const res = await identity(app, token, `/Users?count=1000${cursor === undefined ? '' : `&cursor=${cursor}`}`)
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.equal(body.totalResults, 2500)
    t.equal(body.startIndex, ids.length + 1)
    t.equal(body.itemsPerPage, body.Resources.length)
    ids.push(...body.Resources.map((u: { id: string }) => u.id))
    cursor = body.nextCursor
    pages++
  } while (cursor !== undefined)
  t.equal(pages, 3)
  t.equal(new Set(ids).size, 2500)
  const bulk: string[] = []
  for (let offset = 0; offset < 2500; offset += 1000) bulk.push(...(await concurUsers(app, token, `offset=${offset}&limit=1000`)).json().Items.map((u: { ID: string }) => u.ID))
  t.same(ids, bulk, 'one user record, two views')

  const first = (await identity(app, token, '/Users?count=10')).json()
  const other = await identity(app, token, `/Users?count=11&cursor=${first.nextCursor as string}`)
  t.equal(other.statusCode, 400, 'a cursor is bound to its count')
  const otherCompany = (await concurToken(app, 'globex')).access_token
  t.equal((await identity(app, otherCompany, `/Users?count=10&cursor=${first.nextCursor as string}`)).statusCode, 400, 'and to its company')
  const edited = (first.nextCursor as string).slice(0, -1) + ((first.nextCursor as string).endsWith('A') ? 'B' : 'A')
  t.equal((await identity(app, token, `/Users?count=10&cursor=${edited}`)).statusCode, 400, 'an edited cursor fails')
})

t.test('a walk stays exact while users are added and removed', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app, 'acme')).access_token
  const page1 = (await identity(app, token, '/Users?count=1000')).json()
  const bulk = (await concurUsers(app, token, 'offset=1000&limit=1000')).json().Items.map((u: { ID: string }) => u.ID) as string[]
  const gone = bulk[10] as string
  const alsoGone = page1.Resources[5].id as string
  await adminCall(app, 'DELETE', `/tenants/concur/acme/users/${gone}`)
  await adminCall(app, 'DELETE', `/tenants/concur/acme/users/${alsoGone}`)
  await adminCall(app, 'POST', '/tenants/concur/acme/users', { users: [{ ID: 'NEW-1', LoginID: 'new1@acme.test', EmployeeID: 'NEW1', PrimaryEmail: 'new1@acme.test', FirstName: 'New', LastName: 'One' }] })
  const seen: string[] = page1.Resources.map((u: { id: string }) => u.id)
  let cursor: string | undefined = page1.nextCursor
  while (cursor !== undefined) {
    const body = (await identity(app, token, `/Users?count=1000&cursor=${cursor}`)).json()
    seen.push(...body.Resources.map((u: { id: string }) => u.id))
    cursor = body.nextCursor
  }
  t.equal(new Set(seen).size, seen.length, 'no user twice')
  t.notOk(seen.includes(gone), 'a user removed ahead of the walk never appears')
  t.ok(seen.includes('NEW-1'), 'a user added during the walk appears at its end')
  t.equal(seen.length, 2500 - 1 + 1, 'everyone else exactly once (the one removed behind the walk was already seen)')
})

t.test('attributes and excludedAttributes', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app)).access_token
  const picked = (await identity(app, token, `/Users/${JOHN}?attributes=userName,emails.value,${ENTERPRISE}:employeeNumber`)).json()
  t.same(picked, {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
    id: JOHN,
    userName: 'johndoe@gmail.com',
    emails: [{ value: 'johndoe@gmail.com' }],
    [ENTERPRISE]: { employeeNumber: 'johndoe@gmail.com' }
  })
  const viaUrn = (await identity(app, token, `/Users/${JOHN}?attributes=urn:ietf:params:scim:schemas:core:2.0:User:Name.GivenName,ACTIVE`)).json()
  t.same(viaUrn, { schemas: picked.schemas, id: JOHN, name: { givenName: 'John' }, active: true }, 'names are case-insensitive; the core URN prefix is allowed')
  const dropped = (await identity(app, token, `/Users?excludedAttributes=emails,meta,name.middleName,${ENTERPRISE},id`)).json()
  const john = dropped.Resources[0]
  t.same(Object.keys(john), ['schemas', 'id', 'userName', 'displayName', 'name', 'active', 'phoneNumbers', 'addresses', 'timezone', 'preferredLanguage'], 'id is always returned')
  t.same(john.name, { givenName: 'John', familyName: 'Doe' })
})

t.test('writes through the admin API show in Identity at once', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app)).access_token
  const before = (await identity(app, token, `/Users/${JOHN}`)).json()
  await adminCall(app, 'PATCH', `/tenants/concur/company-name-llc/users/${JOHN}`, { Active: false, LoginID: 'john.doe@example.test', CellPhoneNumber: null })
  const after = (await identity(app, token, `/Users/${JOHN}`)).json()
  t.equal(after.active, false)
  t.equal(after.userName, 'john.doe@example.test')
  t.same(after.phoneNumbers, [])
  t.equal(after.timezone, before.timezone, 'derived values stay with the id')
  t.equal(after.meta.created, before.meta.created, 'a seeded user keeps its creation day')
  t.equal(after.meta.version, before.meta.version + 1, 'an admin patch is a write: the version moves on')
  t.not(after.meta.lastModified, before.meta.lastModified)
  await adminCall(app, 'DELETE', `/tenants/concur/company-name-llc/users/${JOHN}`)
  t.equal((await identity(app, token, `/Users/${JOHN}`)).statusCode, 404)
  t.equal((await identity(app, token, '/Users')).json().totalResults, 1)
})

// ---- POST /Users/.search ----------------------------------------------------------------------

const SEARCH = 'urn:ietf:params:scim:api:messages:concur:2.0:SearchRequest'

async function search (app: MockServer, token: string, body: unknown) {
  return await app.inject({ method: 'POST', url: `${BASE}/Users/.search`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) })
}

/** Every id a search returns, walking its cursors. */
async function searchAll (app: MockServer, token: string, filter: string, count = 1000): Promise<string[]> {
  const ids: string[] = []
  let cursor: string | undefined
  do {
    const res = await search(app, token, { schemas: [SEARCH], filter, count, ...(cursor === undefined ? {} : { cursor }) })
    if (res.statusCode !== 200) throw new Error(`${filter}: ${res.statusCode} ${res.body}`)
    const body = res.json()
    ids.push(...body.Resources.map((u: { id: string }) => u.id))
    cursor = body.nextCursor
  } while (cursor !== undefined)
  return ids
}

interface BulkUser { ID: string, LoginID: string, PrimaryEmail: string, EmployeeID: string, LastName: string, Active: boolean, CountryCode: string | null, CellPhoneNumber: string | null }

t.test('search: filters against a plain-code oracle over the Bulk records', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app, 'acme')).access_token
  const users: BulkUser[] = []
  for (let offset = 0; offset < 2500; offset += 1000) users.push(...(await concurUsers(app, token, `offset=${offset}&limit=1000`)).json().Items)
  let state = 0x5c1f
  const rand = (n: number): number => { state = (state * 1103515245 + 12345) >>> 0; return (state >>> 8) % n }
  const some = (): BulkUser => users[rand(users.length)] as BulkUser
  type Atom = [string, (u: BulkUser) => boolean]
  const atoms: Array<() => Atom> = [
    () => { const v = some().LoginID.toUpperCase(); return [`userName eq "${v}"`, (u) => u.LoginID.toLowerCase() === v.toLowerCase()] },
    () => { const b = rand(2) === 0; return [`active eq ${b}`, (u) => u.Active === b] },
    () => { const v = some().LastName.slice(0, 2); return [`name.familyName sw "${v}"`, (u) => u.LastName.toLowerCase().startsWith(v.toLowerCase())] },
    () => { const v = some().PrimaryEmail.slice(2, 5); return [`emails.value co "${v}"`, (u) => u.PrimaryEmail.toLowerCase().includes(v.toLowerCase())] },
    () => { const v = some().EmployeeID; return [`${ENTERPRISE}:employeeNumber eq "${v}"`, (u) => u.EmployeeID.toLowerCase() === v.toLowerCase()] },
    () => { const v = some().CountryCode ?? 'US'; return [`addresses.country eq "${v}"`, (u) => u.CountryCode?.toLowerCase() === v.toLowerCase()] },
    () => ['phoneNumbers pr', (u) => u.CellPhoneNumber !== null],
    () => { const v = some().PrimaryEmail.slice(-4); return [`emails[type eq "work"].value ew "${v}"`, (u) => u.PrimaryEmail.toLowerCase().endsWith(v.toLowerCase())] }
  ]
  const expression = (depth: number): Atom => {
    const pick = depth === 0 ? 0 : rand(4)
    if (pick <= 1) return (atoms[rand(atoms.length)] as () => Atom)()
    if (pick === 2) { const [s, f] = expression(depth - 1); return [`not (${s})`, (u) => !f(u)] }
    const [s1, f1] = expression(depth - 1)
    const [s2, f2] = expression(depth - 1)
    return rand(2) === 0 ? [`(${s1}) and (${s2})`, (u) => f1(u) && f2(u)] : [`(${s1}) or (${s2})`, (u) => f1(u) || f2(u)]
  }
  for (let i = 0; i < 40; i++) {
    const [filter, oracle] = expression(3)
    const expected = users.filter(oracle).map((u) => u.ID)
    t.same(await searchAll(app, token, filter, 1 + rand(1000)), expected, filter)
  }
})

t.test('search: paging, projection and refusals', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app)).access_token
  const byEmail = await search(app, token, { schemas: [SEARCH], filter: 'emails.value eq "JANEDOE@gmail.com"', attributes: ['userName', 'active'] })
  t.equal(byEmail.statusCode, 200)
  t.same(byEmail.json(), {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
    totalResults: 1,
    itemsPerPage: 1,
    startIndex: 1,
    Resources: [{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE], id: '55FFF504-C7B8-49FF-9E15-6248FFFFFCDB', userName: 'janedoe@gmail.com', active: true }]
  })
  const first = (await search(app, token, { schemas: [SEARCH], filter: 'active eq true', count: 1 })).json()
  t.equal(first.totalResults, 2)
  t.equal(first.Resources[0].id, JOHN)
  const second = (await search(app, token, { schemas: [SEARCH], filter: 'active eq true', count: 1, cursor: first.nextCursor })).json()
  t.equal(second.startIndex, 2)
  t.equal(second.nextCursor, undefined)
  const wrongQuery = await search(app, token, { schemas: [SEARCH], filter: 'active eq false', count: 1, cursor: first.nextCursor })
  t.same(wrongQuery.json(), scimError(400, 'The cursor is not valid for this query.', 'invalidValue'), 'a cursor is bound to its filter')

  const cases: Array<[string, unknown, unknown]> = [
    ['no schemas', { filter: 'active eq true' }, scimError(400, `schemas must contain ${SEARCH}.`, 'invalidSyntax')],
    ['another schema', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'] }, scimError(400, `schemas must contain ${SEARCH}.`, 'invalidSyntax')],
    ['not an object', [1, 2], scimError(400, 'The request body must be a JSON SearchRequest.', 'invalidSyntax')],
    ['bad filter', { schemas: [SEARCH], filter: 'userName eq' }, scimError(400, 'The filter is not a valid SCIM filter: "userName eq".', 'invalidFilter')],
    ['filter not a string', { schemas: [SEARCH], filter: 3 }, scimError(400, 'filter must be a string.', 'invalidFilter')],
    ['count too big', { schemas: [SEARCH], count: 1001 }, scimError(400, 'count must be an integer from 1 to 1000.', 'invalidValue')],
    ['bad attributes', { schemas: [SEARCH], attributes: [3] }, scimError(400, 'attributes must list attribute names.', 'invalidValue')]
  ]
  for (const [name, body, expected] of cases) {
    const res = await search(app, token, body)
    t.equal(res.statusCode, 400, name)
    t.same(res.json(), expected, name)
  }
  const malformed = await app.inject({ method: 'POST', url: `${BASE}/Users/.search`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: '{"schemas":' })
  t.equal(malformed.statusCode, 400)
  t.same(malformed.json(), scimError(400, 'The request body is not valid JSON.', 'invalidSyntax'))
  const anonymous = await app.inject({ method: 'POST', url: `${BASE}/Users/.search`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ schemas: [SEARCH] }) })
  t.equal(anonymous.statusCode, 401)
  const unknown = await app.inject({ url: `${BASE}/Groups`, headers: { authorization: `Bearer ${token}` } })
  t.equal(unknown.statusCode, 404)
  t.same(unknown.json(), scimError(404, 'Resource not found.'))
})

// ---- Writes -----------------------------------------------------------------------------------

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

async function write (app: MockServer, token: string, method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown) {
  return await app.inject({ method, url: `${BASE}${path}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) })
}

const newUser = {
  schemas: [CORE, ENTERPRISE],
  userName: 'ada@example.test',
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ type: 'work', value: 'ada@example.test' }],
  phoneNumbers: [{ type: 'mobile', value: '+44 20 7946 0000' }],
  addresses: [{ type: 'work', country: 'gb' }],
  [ENTERPRISE]: { employeeNumber: 'E-1815' },
  timezone: 'Europe/London'
}

t.test('create, replace, patch and delete: each shows in both views at once', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app)).access_token
  const created = await write(app, token, 'POST', '/Users', newUser)
  t.equal(created.statusCode, 201)
  const user = created.json()
  t.match(user.id, /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/, 'an upper-case GUID, as Concur\'s')
  t.equal(created.headers.location, `http://localhost:80${BASE}/Users/${user.id as string}`)
  t.equal(user.meta.location, created.headers.location)
  t.equal(user.meta.version, 0, 'a new user is at version 0')
  t.equal(user.meta.lastModified, user.meta.created)
  t.ok(Math.abs(Date.parse(user.meta.created as string) - app.mock.clock.now()) < 5000, 'created on the mock clock')
  t.match(user, { userName: 'ada@example.test', active: true, name: { givenName: 'Ada', familyName: 'Lovelace' }, phoneNumbers: [{ type: 'mobile', value: '+44 20 7946 0000' }], addresses: [{ type: 'work', country: 'GB' }], [ENTERPRISE]: { employeeNumber: 'E-1815', companyId: '7c2b6e4a-1f0d-4c8b-9a3e-5d6f7a8b9c01' } })
  t.same((await identity(app, token, `/Users/${user.id as string}`)).json(), user, 'read back as created')
  const bulk = (await concurUsers(app, token, 'loginid=ada@example.test')).json()
  t.same(bulk.Items, [{ Active: true, CountryCode: 'GB', CellPhoneNumber: '+44 20 7946 0000', PrimaryEmail: 'ada@example.test', EmployeeID: 'E-1815', ID: user.id, Emails: ['ada@example.test'], OrganizationUnit: null, MiddleName: '', LastName: 'Lovelace', FirstName: 'Ada', LoginID: 'ada@example.test' }], 'and in GET /users/')

  const taken = await write(app, token, 'POST', '/Users', { ...newUser, userName: 'ADA@example.test' })
  t.equal(taken.statusCode, 409)
  t.same(taken.json(), scimError(409, 'userName ADA@example.test is already in use.', 'uniqueness'))

  const patched = await write(app, token, 'PATCH', `/Users/${user.id as string}`, {
    schemas: [PATCH],
    Operations: [
      { op: 'replace', path: 'active', value: false },
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'ada.l@example.test' },
      { op: 'remove', path: 'phoneNumbers' },
      { op: 'add', path: 'name.middleName', value: 'King' }
    ]
  })
  t.equal(patched.statusCode, 200, patched.body)
  t.match(patched.json().meta, { created: user.meta.created, version: 1 }, 'a patch moves the version on')
  t.match(patched.json(), { active: false, emails: [{ type: 'work', value: 'ada.l@example.test' }], phoneNumbers: [], name: { middleName: 'King' } })
  t.match((await concurUsers(app, token, 'loginid=ada@example.test')).json().Items[0], { Active: false, PrimaryEmail: 'ada.l@example.test', CellPhoneNumber: null, MiddleName: 'King' })

  await advanceClock(app, 600)
  const replaced = await write(app, token, 'PUT', `/Users/${user.id as string}`, { schemas: [CORE], userName: 'ada2@example.test' })
  t.equal(replaced.statusCode, 200)
  t.match(replaced.json().meta, { created: user.meta.created, version: 2 })
  t.ok(Date.parse(replaced.json().meta.lastModified as string) - Date.parse(user.meta.created as string) > 600_000 - 1000, 'lastModified follows the mock clock')
  t.match(replaced.json(), { userName: 'ada2@example.test', active: true, emails: [{ value: '' }], phoneNumbers: [], addresses: [], name: { givenName: '', familyName: '' }, [ENTERPRISE]: { employeeNumber: 'ada2@example.test' } }, 'absent attributes are cleared')

  const removed = await write(app, token, 'DELETE', `/Users/${user.id as string}`)
  t.equal(removed.statusCode, 204)
  t.equal(removed.body, '')
  t.equal((await identity(app, token, `/Users/${user.id as string}`)).statusCode, 404)
  t.equal((await concurUsers(app, token, 'loginid=ada2@example.test')).json().total, 0)
  t.equal((await write(app, token, 'DELETE', `/Users/${user.id as string}`)).statusCode, 404)
})

t.test('write refusals change nothing', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app)).access_token
  const before = (await concurUsers(app, token)).body
  const cases: Array<[string, 'POST' | 'PUT' | 'PATCH', string, unknown, number, unknown]> = [
    ['no schemas', 'POST', '/Users', { userName: 'x@example.test' }, 400, scimError(400, `schemas must contain ${CORE}.`, 'invalidSyntax')],
    ['no userName', 'POST', '/Users', { schemas: [CORE] }, 400, scimError(400, 'userName is required.', 'invalidValue')],
    ['bad userName', 'POST', '/Users', { schemas: [CORE], userName: 'a,b' }, 400, scimError(400, 'userName contains a character Concur does not allow.', 'invalidValue')],
    ['active not boolean', 'POST', '/Users', { schemas: [CORE], userName: 'x@example.test', active: 'yes' }, 400, scimError(400, 'active must be a boolean.', 'invalidValue')],
    ['another company', 'POST', '/Users', { schemas: [CORE], userName: 'x@example.test', [ENTERPRISE]: { companyId: '3a9c5e7b-2d4f-4b6a-8c0e-1f3a5b7d9e02' } }, 400, scimError(400, 'companyId is immutable: it must be the company of the access token.', 'mutability')],
    ['bad country', 'POST', '/Users', { schemas: [CORE], userName: 'x@example.test', addresses: [{ type: 'work', country: 'USA' }] }, 400, scimError(400, 'addresses country must be a two-letter ISO 3166 code.', 'invalidValue')],
    ['PUT to a taken userName', 'PUT', `/Users/${JOHN}`, { schemas: [CORE], userName: 'janedoe@gmail.com' }, 409, scimError(409, 'userName janedoe@gmail.com is already in use.', 'uniqueness')],
    ['PUT unknown', 'PUT', '/Users/nobody', { schemas: [CORE], userName: 'x@example.test' }, 404, scimError(404, 'User nobody not found.')],
    ['PATCH without PatchOp', 'PATCH', `/Users/${JOHN}`, { Operations: [] }, 400, scimError(400, `schemas must contain ${PATCH}.`, 'invalidSyntax')],
    ['PATCH to a taken userName', 'PATCH', `/Users/${JOHN}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'userName', value: 'JaneDoe@gmail.com' }] }, 409, scimError(409, 'userName JaneDoe@gmail.com is already in use.', 'uniqueness')],
    ['PATCH replace without path or value', 'PATCH', `/Users/${JOHN}`, { schemas: [PATCH], Operations: [{ op: 'replace' }] }, 400, scimError(400, 'The patch operations cannot be applied to this user.', 'invalidValue')],
    ['PATCH of id', 'PATCH', `/Users/${JOHN}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'id', value: 'X' }] }, 400, scimError(400, 'id is immutable.', 'mutability')]
  ]
  for (const [name, method, path, body, status, expected] of cases) {
    const res = await write(app, token, method, path, body)
    t.equal(res.statusCode, status, name)
    t.same(res.json(), expected, name)
  }
  const badOp = await write(app, token, 'PATCH', `/Users/${JOHN}`, { schemas: [PATCH], Operations: [{ op: 'explode', path: 'active' }] })
  t.equal(badOp.statusCode, 400)
  t.match(badOp.json(), { schemas: [ERROR_URN], status: '400' })
  const malformed = await app.inject({ method: 'POST', url: `${BASE}/Users`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: '{' })
  t.same(malformed.json(), scimError(400, 'The request body is not valid JSON.', 'invalidSyntax'))
  t.equal((await concurUsers(app, token)).body, before, 'the directory is as it was')
  t.equal((await app.inject({ method: 'POST', url: `${BASE}/Users`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(newUser) })).statusCode, 401)
})

t.test('a client written from Concur\'s docs: token, list with cursors, search by e-mail, create, patch, delete, confirm in GET /users/', async (t) => {
  const app = await build(t)
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const { DEMO } = await import('../../src/demo.js')
  const co = DEMO.concur.companies.acme
  const tokenRes = await fetch(`${base}/concur/oauth2/v0/token`, {
    method: 'POST',
    body: new URLSearchParams({ client_id: DEMO.concur.clientId, client_secret: DEMO.concur.clientSecret, grant_type: 'password', username: co.companyId, password: co.requestToken, credtype: 'authtoken' })
  })
  const { access_token: accessToken, geolocation } = await tokenRes.json() as { access_token: string, geolocation: string }
  const api = async (method: string, path: string, body?: unknown): Promise<Response> => await fetch(`${geolocation}/profile/identity/v4.1${path}`, {
    method, headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  let all = 0
  let url = '/Users?count=1000'
  for (;;) {
    const page = await (await api('GET', url)).json() as { Resources: unknown[], nextCursor?: string }
    all += page.Resources.length
    if (page.nextCursor === undefined) break
    url = `/Users?count=1000&cursor=${encodeURIComponent(page.nextCursor)}`
  }
  t.equal(all, co.users)
  const created = await api('POST', '/Users', { schemas: [CORE], userName: 'grace@acme.test', emails: [{ type: 'work', value: 'grace@acme.test' }], name: { givenName: 'Grace', familyName: 'Hopper' } })
  t.equal(created.status, 201)
  const { id } = await created.json() as { id: string }
  const found = await (await api('POST', '/Users/.search', { schemas: [SEARCH], filter: 'emails.value eq "grace@acme.test"' })).json() as { totalResults: number, Resources: Array<{ id: string }> }
  t.equal(found.totalResults, 1)
  t.equal(found.Resources[0]?.id, id)
  t.equal((await api('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] })).status, 200)
  const bulk = await (await fetch(`${geolocation}/users/?loginid=grace@acme.test`, { headers: { authorization: `Bearer ${accessToken}` } })).json() as { Items: Array<{ Active: boolean }> }
  t.equal(bulk.Items[0]?.Active, false, 'GET /users/ shows the patch')
  t.equal((await api('DELETE', `/Users/${id}`)).status, 204)
  const after = await (await fetch(`${geolocation}/users/?loginid=grace@acme.test`, { headers: { authorization: `Bearer ${accessToken}` } })).json() as { total: number }
  t.equal(after.total, 0, 'and the delete')
})

t.test('client credentials: an app token, refused by Identity and the Bulk API', async (t) => {
  const app = await build(t)
  await pinClock(app)
  const res = await concurTokenRequest(app, { client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'client_credentials' })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.same(Object.keys(body), ['expires_in', 'scope', 'token_type', 'access_token', 'geolocation'], 'no refresh token, no id token')
  t.same({ ...body, access_token: 'x' }, { expires_in: 3600, scope: 'app-scopes', token_type: 'Bearer', access_token: 'x', geolocation: 'http://localhost:80/concur' })
  const refused = await identity(app, body.access_token, '/Users')
  t.equal(refused.statusCode, 403)
  t.same(refused.json(), scimError(403, 'This API supports only company level access tokens; an app token (client credentials grant) is refused.'))
  t.equal((await write(app, body.access_token, 'POST', '/Users', newUser)).statusCode, 403)
  t.equal((await concurUsers(app, body.access_token)).statusCode, 401, 'Get Users needs a company token too')
  const wrongSecret = await concurTokenRequest(app, { client_id: CONCUR.clientId, client_secret: 'wrong', grant_type: 'client_credentials' })
  t.same(wrongSecret.json(), { error: 'invalid_client', error_description: 'Incorrect Credentials. Please Retry', code: 64 }, 'the documented client check comes first')
  await advanceClock(app, 3600)
  t.equal((await identity(app, body.access_token, '/Users')).statusCode, 401, 'an expired app token is no token')
})

t.test('discovery documents describe what the mock supports', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app)).access_token
  const spc = await identity(app, token, '/ServiceProviderConfig')
  t.equal(spc.statusCode, 200)
  t.match(spc.json(), { schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'], patch: { supported: true }, bulk: { supported: false }, filter: { supported: true, maxResults: 1000 }, sort: { supported: false }, etag: { supported: false }, changePassword: { supported: false } })
  const types = (await identity(app, token, '/ResourceTypes')).json()
  t.same(types.Resources.map((r: { id: string, endpoint: string, schema: string }) => [r.id, r.endpoint, r.schema]), [['User', '/Users', CORE]])
  const all = (await identity(app, token, '/Schemas')).json()
  t.same(all.Resources.map((s: { id: string }) => s.id), [CORE, ENTERPRISE])
  const one = (await identity(app, token, `/Schemas/${ENTERPRISE}`)).json()
  t.same(one.attributes.map((a: { name: string }) => a.name), ['employeeNumber', 'companyId', 'startDate', 'terminationDate'])
  t.equal(one.meta.location, `http://localhost:80${BASE}/Schemas/${ENTERPRISE}`)
  // Every attribute the User schema names is one a read returns.
  const user = (await identity(app, token, `/Users/${JOHN}`)).json()
  const core = (await identity(app, token, `/Schemas/${CORE}`)).json()
  for (const a of core.attributes as Array<{ name: string }>) t.ok(a.name in user, `${a.name} is served`)
  const missing = await identity(app, token, '/Schemas/urn:nope')
  t.equal(missing.statusCode, 404)
  t.same(missing.json(), scimError(404, 'Schema urn:nope not found.'))
  t.equal((await app.inject({ url: `${BASE}/ServiceProviderConfig` })).statusCode, 401)
})

t.test('Identity v4: startIndex and count paging, eq filters, one user', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app, 'acme')).access_token
  const v4 = async (path: string) => await app.inject({ url: `/concur/profile/identity/v4${path}`, headers: { authorization: `Bearer ${token}` } })
  const first = await v4('/Users/')
  t.equal(first.statusCode, 200)
  const body = first.json()
  t.same(Object.keys(body), ['schemas', 'totalResults', 'startIndex', 'itemsPerPage', 'Resources'])
  t.match(body, { totalResults: 2500, startIndex: 1, itemsPerPage: 10 }, 'count defaults to 10')
  const bulk = (await concurUsers(app, token, 'offset=95&limit=5')).json().Items.map((u: { ID: string }) => u.ID)
  const page = (await v4('/Users?startIndex=96&count=5')).json()
  t.same(page.Resources.map((u: { id: string }) => u.id), bulk, 'startIndex is 1-based over the Bulk order')
  t.equal(page.Resources[0].meta.location, `http://localhost:80/concur/profile/identity/v4/Users/${bulk[0] as string}`)
  t.equal((await v4('/Users?startIndex=2600')).json().Resources.length, 0)
  const someone = (await concurUsers(app, token, 'offset=7&limit=1')).json().Items[0]
  const byName = (await v4(`/Users?filter=${encodeURIComponent(`userName eq "${String(someone.LoginID).toUpperCase()}"`)}`)).json()
  t.same(byName.Resources.map((u: { id: string }) => u.id), [someone.ID])
  t.equal(byName.totalResults, 1)
  const byNumber = (await v4(`/Users?filter=${encodeURIComponent(`employeeNumber eq "${someone.EmployeeID as string}"`)}`)).json()
  t.same(byNumber.Resources.map((u: { id: string }) => u.id), [someone.ID])
  t.equal((await v4(`/Users?filter=${encodeURIComponent('externalId eq "x"')}`)).json().totalResults, 0)
  t.equal((await v4(`/Users/${someone.ID as string}`)).json().userName, someone.LoginID)
  t.same((await v4('/Users/nobody')).json(), scimError(404, 'User nobody not found.'))
  const refusals: Array<[string, unknown]> = [
    ['/Users?count=101', scimError(400, 'count must be an integer from 1 to 100.', 'invalidValue')],
    ['/Users?startIndex=0', scimError(400, 'startIndex must be an integer of 1 or more.', 'invalidValue')],
    [`/Users?filter=${encodeURIComponent('active eq true')}`, scimError(400, 'filter supports only userName, employeeNumber or externalId eq "value".', 'invalidFilter')],
    [`/Users?filter=${encodeURIComponent('userName co "a"')}`, scimError(400, 'filter supports only userName, employeeNumber or externalId eq "value".', 'invalidFilter')]
  ]
  for (const [path, expected] of refusals) {
    const res = await v4(path)
    t.equal(res.statusCode, 400, path)
    t.same(res.json(), expected, path)
  }
  t.equal((await app.inject({ url: '/concur/profile/identity/v4/Users' })).statusCode, 401)
})

t.test('scopes: an app holds what its fixture lists; each call needs its scope (403 otherwise), reads show only readable attributes', async (t) => {
  const app = await build(t)
  const fixture = concurCompanyFixture('scoped-co', 0x5c0, {
    clients: [
      { clientId: 'ids-writer', clientSecret: 's1', scopes: ['identity.user.ids.read', 'identity.user.coreenterprise.writeonly'] },
      { clientId: 'bulk-only', clientSecret: 's2', scopes: ['user.read', 'company.read'] },
      { clientId: 'full', clientSecret: 's3', scopes: ['identity.user.core.read', 'identity.user.coresensitive.read', 'identity.user.enterprise.read', 'identity.user.delete'] }
    ],
    requestTokens: [{ token: 'rt-1', clientId: 'ids-writer', neverExpires: true }, { token: 'rt-2', clientId: 'bulk-only', neverExpires: true }, { token: 'rt-3', clientId: 'full', neverExpires: true }],
    generate: { seed: 3, users: 5 }
  })
  await adminCall(app, 'POST', '/tenants', fixture)
  const tokenOf = async (clientId: string, secret: string, requestToken: string) => {
    const res = await concurTokenRequest(app, { client_id: clientId, client_secret: secret, grant_type: 'password', username: fixture.companyId, password: requestToken, credtype: 'authtoken' })
    t.equal(res.statusCode, 200, res.body)
    return res.json() as { access_token: string, scope: string }
  }
  const idsWriter = await tokenOf('ids-writer', 's1', 'rt-1')
  t.equal(idsWriter.scope, 'identity.user.ids.read identity.user.coreenterprise.writeonly', 'the token lists the app\'s scopes')
  const payload = JSON.parse(Buffer.from(idsWriter.access_token.split('.')[1] as string, 'base64url').toString()) as { scope: string }
  t.equal(payload.scope, idsWriter.scope, 'and so does the JWT')
  const listed = (await identity(app, idsWriter.access_token, '/Users?count=2')).json()
  t.same(Object.keys(listed.Resources[0]), ['schemas', 'id', 'userName'], 'ids.read shows the ids only')
  const created = await write(app, idsWriter.access_token, 'POST', '/Users', newUser)
  t.equal(created.statusCode, 201)
  t.same(Object.keys(created.json()), ['schemas', 'id', 'userName'], 'a write answers with what the app may read')
  const id = created.json().id as string
  const noDelete = await write(app, idsWriter.access_token, 'DELETE', `/Users/${id}`)
  t.equal(noDelete.statusCode, 403)
  t.same(noDelete.json(), scimError(403, 'The app lacks the scope this call needs: identity.user.delete.'))

  const bulkOnly = await tokenOf('bulk-only', 's2', 'rt-2')
  t.equal(bulkOnly.scope, 'user.read company.read')
  const noRead = await identity(app, bulkOnly.access_token, '/Users')
  t.equal(noRead.statusCode, 403)
  t.same(noRead.json(), scimError(403, 'The app lacks the scope this call needs: identity.user.ids.read or identity.user.core.read or identity.user.coresensitive.read or identity.user.enterprise.read or identity.user.sap.read.'))
  t.equal((await identity(app, bulkOnly.access_token, `/Users/${id}`)).statusCode, 403)
  t.equal((await search(app, bulkOnly.access_token, { schemas: [SEARCH], filter: 'userName pr' })).statusCode, 403)
  t.equal((await app.inject({ url: '/concur/profile/identity/v4/Users', headers: { authorization: `Bearer ${bulkOnly.access_token}` } })).statusCode, 403, 'v4 too')
  t.equal((await concurUsers(app, bulkOnly.access_token)).statusCode, 200, 'the Bulk API is not scoped by Identity scopes')

  const full = await tokenOf('full', 's3', 'rt-3')
  const one = (await identity(app, full.access_token, `/Users/${id}`)).json()
  t.same(Object.keys(one), ['schemas', 'id', 'displayName', 'name', 'active', 'emails', 'phoneNumbers', 'addresses', 'timezone', 'preferredLanguage', ENTERPRISE, 'meta'], 'no ids.read: no userName')
  const noWrite = await write(app, full.access_token, 'PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] })
  t.same([noWrite.statusCode, noWrite.json()], [403, scimError(403, 'The app lacks the scope this call needs: identity.user.coreenterprise.writeonly.')])
  t.equal((await write(app, full.access_token, 'PUT', `/Users/${id}`, { schemas: [CORE], userName: 'x@example.test' })).statusCode, 403)
  t.equal((await identity(app, full.access_token, `/Users/${id}`)).json().active, true, 'a refused write changes nothing')
  t.equal((await write(app, full.access_token, 'DELETE', `/Users/${id}`)).statusCode, 204)

  const defaults = await concurToken(app)
  t.equal((defaults as unknown as { scope: string }).scope, 'user.read company.read', 'an app without listed scopes keeps the seed\'s scope and holds every Identity scope')
  t.equal((await write(app, defaults.access_token, 'POST', '/Users', { ...newUser, userName: 'other@example.test' })).statusCode, 201)
})

t.test('Identity v4 writes: create (200), patch, replace over the same data; v4 has no delete', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app)).access_token
  const V4 = '/concur/profile/identity/v4'
  const v4 = async (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown) =>
    await app.inject({ method, url: `${V4}${path}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) })
  const created = await v4('POST', '/Users', newUser)
  t.equal(created.statusCode, 200, 'the v4 page lists 200 for a create')
  const id = created.json().id as string
  t.equal(created.headers.location, `http://localhost:80${V4}/Users/${id}`)
  t.equal(created.json().meta.location, created.headers.location)
  t.equal(created.json().meta.version, 0)
  t.same((await identity(app, token, `/Users/${id}`)).json().userName, 'ada@example.test', 'v4.1 reads what v4 wrote')
  const patched = await v4('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'name.familyName', value: 'Byron' }] })
  t.equal(patched.statusCode, 200)
  t.match(patched.json(), { name: { familyName: 'Byron' }, meta: { version: 1, location: `http://localhost:80${V4}/Users/${id}` } })
  t.equal((await concurUsers(app, token, 'loginid=ada@example.test')).json().Items[0].LastName, 'Byron', 'GET /users/ too')
  const replaced = await v4('PUT', `/Users/${id}`, { ...newUser, userName: 'ada.byron@example.test' })
  t.equal(replaced.statusCode, 200)
  t.equal(replaced.json().userName, 'ada.byron@example.test')
  const taken = await v4('POST', '/Users', { ...newUser, userName: 'ADA.BYRON@example.test' })
  t.same([taken.statusCode, taken.json()], [409, scimError(409, 'userName ADA.BYRON@example.test is already in use.', 'uniqueness')])
  t.equal((await v4('PUT', '/Users/nobody', newUser)).statusCode, 404)
  t.equal((await v4('DELETE', `/Users/${id}`)).statusCode, 404, 'the v4 page documents no delete')
  t.equal((await identity(app, token, `/Users/${id}`)).statusCode, 200, 'and nothing was deleted')
})
