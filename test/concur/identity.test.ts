/**
 * Identity v4.1, read side: the SCIM view of the Bulk API's users, cursor walks that stay exact
 * under writes, attribute projection, and every refusal in the SCIM error shape.
 */
import t from 'tap'
import type { MockServer } from '../../src/index.js'
import { adminCall, build, concurToken, concurUsers } from '../helper.js'

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
