/**
 * Bad input never breaks the control plane either: generated admin requests (tenants created
 * from mutated fixture bodies, users added and changed, fault rules, clock moves) answer 2xx or a
 * documented 4xx in the admin shape, and whatever they accepted, the vendor APIs keep answering
 * without a 5xx (a tenant created at run time can be used at once; a moved clock still prints).
 * The X-Mock-Fault header is fuzzed too: it answers exactly the status it asks for, or 400.
 */
import fc from 'fast-check'
import t from 'tap'
import type { MockServer } from '../../src/app.js'
import { build, CONCUR, concurToken, form, ispringToken } from '../helper.js'
import { check, expect, expectAdmin, expectConcurOAuth, expectConcurRest, expectIspring, FUZZ_RUNS, headerText, nastyString, scaled, wellFormed } from './support.js'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const ROOT = 'f0000000-0000-4000-8000-000000000001'
const SALES = 'f0000000-0000-4000-8000-000000000002'
const GROUP = 'f1000000-0000-4000-8000-000000000001'
const OWNER = 'f2000000-0000-4000-8000-000000000001'
const MANAGER = 'f2000000-0000-4000-8000-000000000002'
const ROLE = 'f3000000-0000-4000-8000-000000000001'

function concurTemplate (n: number): Json {
  return {
    vendor: 'concur',
    id: `fuzz-${n}`,
    name: `Fuzz ${n}`,
    companyId: `c${String(n).padStart(7, '0')}-0000-4000-8000-000000000000`,
    company: { name: `Fuzz ${n}`, address: '1 Main St', city: 'Bellevue', state: 'WA', zip: '98004', country: 'US' },
    clients: [{ clientId: CONCUR.clientId, clientSecret: CONCUR.clientSecret }],
    requestTokens: [{ token: `at-fuzz-${n}`, clientId: CONCUR.clientId, neverExpires: true }],
    users: [
      { ID: 'A0000000-0000-4000-8000-000000000001', LoginID: 'kim@fuzz.test', PrimaryEmail: 'kim@fuzz.test', EmployeeID: 'E1', FirstName: 'Kim', LastName: 'Lee', CountryCode: 'US', Active: true },
      { ID: 'A0000000-0000-4000-8000-000000000002', LoginID: 'ana@fuzz.test', PrimaryEmail: 'ana@fuzz.test', EmployeeID: 'E2', FirstName: 'Ana', LastName: 'Ruiz', MiddleName: 'M', CellPhoneNumber: null, Emails: ['ana@fuzz.test'], OrganizationUnit: 'Sales' }
    ],
    generate: { seed: n, users: 5 }
  }
}

function ispringTemplate (n: number): Json {
  return {
    vendor: 'ispring',
    id: `fuzz-${n}`,
    name: `Fuzz ${n}`,
    accountUrl: `https://fuzz-${n}.ispringlearn.com`,
    departments: [{ id: ROOT, name: 'Root', code: 'ROOT' }, { id: SALES, name: 'Sales', parentId: ROOT }],
    groups: [{ id: GROUP, name: 'Group', isSmart: false }],
    customRoles: [{ roleId: ROLE, title: 'Custom' }],
    users: [
      { userId: OWNER, login: 'owner', email: 'owner@fuzz.test', password: 'pw', firstName: 'O', lastName: 'W', role: 'owner', departmentId: ROOT, groups: [GROUP] },
      { userId: MANAGER, login: 'manager', email: 'manager@fuzz.test', password: 'pw', firstName: 'M', lastName: 'G', role: 'custom', roleId: ROLE, departmentId: SALES, manageableDepartmentIds: [SALES], subordination: { subordinationType: 'manual', supervisorId: OWNER }, workLeave: { reason: 'OnVacation', startDate: '2026-01-01', endDate: '2026-01-02' }, userDefinedFields: { USER_DEFINED_FIELD1: 'x' } }
    ],
    apiClients: [{ clientId: `f4000000-0000-4000-8000-${String(n).padStart(12, '0')}`, clientSecret: 'secret', actsAs: OWNER }],
    generate: { seed: n, users: 8, departments: 3, groups: 2, maxDepth: 3 }
  }
}

/** Every path (keys and indexes) inside a JSON value. */
function pathsOf (value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return []
  const entries: Array<[string | number, Json]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value)
  return entries.flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])])
}

const ODD_VALUES: Json[] = [null, true, false, 0, -1, 1.5, 1e21, 2_000_000, '', ' ', 'x', 'owner', 'custom', 'learner', 'manual', 'inherit', '2026-02-30', '2026-13-01', 'not-a-uuid',
  ROOT.toUpperCase(), SALES, GROUP, OWNER, MANAGER, ROLE, 'f9999999-0000-4000-8000-000000000000', 'https://demo.ispringlearn.com', '7c2b6e4a-1f0d-4c8b-9a3e-5d6f7a8b9c01', 'acme', 'demo', [], {}, [null], { a: 1 }]

const edit = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('delete', 'replace', 'replace', 'duplicate'),
  value: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ODD_VALUES) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> }, { weight: 1, arbitrary: nastyString().map(wellFormed) })
})

function mutate (template: Json, edits: Array<{ pick: number, op: string, value: Json }>): Json {
  const doc = structuredClone(template)
  for (const e of edits) {
    const paths = pathsOf(doc)
    if (paths.length === 0) break
    const path = paths[e.pick % paths.length] as Array<string | number>
    let parent = doc as Record<string | number, Json>
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>
    const key = path[path.length - 1] as string | number
    if (e.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1)
      else Reflect.deleteProperty(parent, key)
    } else if (e.op === 'duplicate' && Array.isArray(parent)) {
      parent.push(structuredClone(parent[key as number] as Json))
    } else {
      parent[key] = e.value
    }
  }
  return doc
}

/** Small enough to use at once (generation is lazy; a fuzzed count can ask for a million users). */
function smallGenerate (body: Json): boolean {
  const g = (body as { generate?: Record<string, unknown> } | null)?.generate
  if (g === undefined || g === null || typeof g !== 'object') return true
  return ['users', 'departments', 'groups'].every((k) => typeof g[k] !== 'number' || (g[k] as number) <= 200)
}

async function post (app: MockServer, url: string, body: unknown, method: 'POST' | 'PATCH' = 'POST') {
  return await app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) })
}

/** The vendor APIs of a run-time tenant answer without a 5xx, in their own shapes. */
async function exercise (app: MockServer, body: Record<string, unknown>): Promise<void> {
  if (body.vendor === 'concur') {
    const tokens = Array.isArray(body.requestTokens) ? body.requestTokens as Array<Record<string, unknown>> : []
    const clients = Array.isArray(body.clients) ? body.clients as Array<Record<string, unknown>> : []
    const rt = tokens[0]
    const client = clients.find((c) => c.clientId === rt?.clientId) ?? clients[0]
    const payload = form({ client_id: String(client?.clientId ?? ''), client_secret: String(client?.clientSecret ?? ''), grant_type: 'password', username: String(body.companyId), password: String(rt?.token ?? ''), credtype: 'authtoken' })
    const tokenRes = await app.inject({ method: 'POST', url: '/concur/oauth2/v0/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload })
    const token = expectConcurOAuth(tokenRes, payload).access_token as string | undefined
    if (token === undefined) return
    const users = await app.inject({ method: 'GET', url: '/concur/users/?limit=1000', headers: { authorization: `Bearer ${token}` } })
    expectConcurRest(users, [200], JSON.stringify(body))
    return
  }
  const client = Array.isArray(body.apiClients) ? (body.apiClients as Array<Record<string, unknown>>)[0] : undefined
  if (client === undefined) return
  const payload = form({ client_id: String(client.clientId), client_secret: String(client.clientSecret), grant_type: 'client_credentials' })
  const tokenRes = await app.inject({ method: 'POST', url: '/ispring/api/v3/token', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, payload })
  const token = expectIspring(tokenRes, [200, 401], payload, 'json').body.access_token as string | undefined
  if (token === undefined) return
  const calls: Array<[string, 'json' | 'xml']> = [['/users', 'xml'], ['/users/v2?pageSize=3', 'json'], [`/group/${GROUP}`, 'xml']]
  for (const [path, format] of calls) {
    const res = await app.inject({ method: 'GET', url: `/ispring${path}`, headers: { authorization: `Bearer ${token}`, accept: format === 'json' ? 'application/json' : 'application/xml' } })
    expectIspring(res, [200, 401, 403, 404], JSON.stringify(body), format)
  }
}

t.test('POST /__admin/tenants with mutated fixture bodies: 201, 400 or 409, and a created tenant works at once', async (t) => {
  const app = await build(t, { journalSize: 0 })
  let serial = 0
  const body = fc.tuple(fc.constantFrom('concur', 'ispring'), fc.array(edit, { maxLength: 4 }))
  await check(t, fc.asyncProperty(body, async ([vendor, edits]) => {
    const n = ++serial
    const doc = mutate(vendor === 'concur' ? concurTemplate(n) : ispringTemplate(n), edits)
    const res = await post(app, '/__admin/tenants', doc)
    const input = JSON.stringify(doc)
    const answer = expectAdmin(res, [201, 400, 409], input)
    // A "__proto__" key is refused by Fastify's JSON parser before the fixture schema sees it.
    if (res.statusCode === 400) expect(['MOCK_INVALID_FIXTURE', 'FST_ERR_VALIDATION', 'FST_ERR_CTP_INVALID_JSON_BODY'].includes(String(answer.code)), `400 code ${String(answer.code)}`)
    if (res.statusCode !== 201) return
    if (smallGenerate(doc)) await exercise(app, doc as Record<string, unknown>)
    const removed = await app.inject({ method: 'DELETE', url: `/__admin/tenants/${String(answer.vendor)}/${encodeURIComponent(String(answer.id))}` })
    expect(removed.statusCode === 204, `delete: ${removed.statusCode} ${removed.body}`)
  }), { seed: 301, numRuns: FUZZ_RUNS })
})

t.test('adding and changing users with generated bodies: 201/200, 400 or 404, and the directory keeps answering', async (t) => {
  const app = await build(t, { journalSize: 0 })
  const concurUser = (concurTemplate(0) as { users: Json[] }).users[0] as Json
  const ispringUser = (ispringTemplate(0) as { users: Json[] }).users[1] as Json
  const demoDept = 'd1000000-0000-4000-8000-000000000004'
  const ispringAdded = { ...(ispringUser as Record<string, Json>), userId: 'f2000000-0000-4000-8000-000000000099', login: 'added', email: 'added@demo.test', departmentId: demoDept, manageableDepartmentIds: [demoDept], roleId: null, role: 'publisher', subordination: { subordinationType: 'manual', supervisorId: 'a1000000-0000-4000-8000-000000000001' } } as Record<string, Json>
  Reflect.deleteProperty(ispringAdded, 'roleId')
  const target = fc.constantFrom(
    { vendor: 'concur', id: 'company-name-llc', user: '99BFFFC3-C0BE-44FF-A441-AE1FFFFFF75B8' },
    { vendor: 'concur', id: 'acme', user: 'nope' },
    { vendor: 'ispring', id: 'demo', user: 'a1000000-0000-4000-8000-000000000003' },
    { vendor: 'ispring', id: 'demo', user: 'a1000000-0000-4000-8000-000000000001' },
    { vendor: 'ispring', id: 'nope', user: 'x' }
  )
  const patchKeys = fc.constantFrom('Active', 'LoginID', 'LastName', 'CountryCode', 'Emails', 'ID', 'role', 'roleId', 'state', 'departmentId', 'manageableDepartmentIds', 'groups', 'login', 'email', 'workLeave', 'subordination', 'userId', 'password', 'addedDate', 'userDefinedFields', 'junk')
  const patch = fc.dictionary(patchKeys, fc.oneof(fc.constantFrom(...ODD_VALUES, 'd1000000-0000-4000-8000-000000000002', ['d1000000-0000-4000-8000-000000000005'], ['e1000000-0000-4000-8000-000000000001'], 'department_administrator', 'employment_ended', 'inactive', { reason: 'SickLeave', startDate: '2026-03-01' }), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>), { maxKeys: 3 })
  const operation = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), edits: fc.array(edit, { maxLength: 3 }), twice: fc.boolean() }),
    fc.record({ kind: fc.constant('patch' as const), patch })
  )
  const owner = await ispringToken(app)
  await check(t, fc.asyncProperty(target, operation, async (where, op) => {
    let res
    let input: string
    if (op.kind === 'add') {
      const user = mutate(where.vendor === 'concur' ? concurUser : ispringAdded, op.edits)
      const users = op.twice ? [user, user] : [user]
      input = JSON.stringify(users)
      res = await post(app, `/__admin/tenants/${where.vendor}/${where.id}/users`, { users })
      expectAdmin(res, [201, 400, 404], input)
    } else {
      input = JSON.stringify(op.patch)
      res = await post(app, `/__admin/tenants/${where.vendor}/${where.id}/users/${where.user}`, op.patch, 'PATCH')
      expectAdmin(res, [200, 400, 404], input)
    }
    if (res.statusCode >= 300) return
    if (where.vendor === 'concur') {
      const users = await app.inject({ method: 'GET', url: '/concur/users/?limit=1000', headers: { authorization: `Bearer ${(await concurToken(app, where.id as 'acme')).access_token}` } })
      expectConcurRest(users, [200], input)
    } else {
      for (const headers of [{ authorization: owner }, { 'x-auth-account-url': 'https://demo.ispringlearn.com', 'x-auth-email': 'sales.admin', 'x-auth-password': 'sales-pass' }]) {
        for (const accept of ['application/json', 'application/xml']) {
          const list = await app.inject({ method: 'GET', url: '/ispring/users/v2', headers: { ...headers, accept } })
          expectIspring(list, [200, 401, 403], input)
        }
      }
    }
    app.mock.store.reset()
  }), { seed: 302, numRuns: scaled(1000) })
})

t.test('fault rules and clock moves with generated bodies: 2xx or 400, and the vendor APIs still answer after any accepted move', async (t) => {
  const app = await build(t, { journalSize: 10 })
  const faultBody = fc.record({
    match: fc.option(fc.record({ vendor: fc.constantFrom('concur', 'ispring', 'nope', ''), path: fc.constantFrom('/users', '/users/', 'users', ''), method: fc.constantFrom('GET', 'get', '') }, { requiredKeys: [] }), { nil: undefined }),
    action: fc.record({ status: fc.oneof(fc.integer({ min: 100, max: 700 }), fc.constantFrom(429, 503)), retryAfterSeconds: fc.integer({ min: -1, max: 100_000 }), delayMs: fc.oneof(fc.integer({ min: -1, max: 70_000 }), fc.record({ min: fc.integer({ min: -1, max: 70_000 }), max: fc.integer({ min: -1, max: 70_000 }) })), drop: fc.constantFrom(true, false) }, { requiredKeys: [] }),
    times: fc.option(fc.integer({ min: -1, max: 5 }), { nil: undefined }),
    probability: fc.option(fc.double({ min: -1, max: 2, noNaN: true }), { nil: undefined }),
    seed: fc.option(fc.oneof(fc.integer(), fc.double({ noNaN: true })), { nil: undefined })
  }, { requiredKeys: [] })
  const clockBody = fc.oneof(
    fc.record({ advanceSeconds: fc.oneof(fc.integer({ min: -100_000, max: 100_000 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1e300, -1e300, 8.64e12, 253402300799, 1e15, -1e15)) }),
    fc.record({ now: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('9999-12-31T23:59:59Z', '+275760-09-13T00:00:00Z', '0000-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '2026-02-30T00:00:00Z', 'now', '', '2026-01-01'), nastyString()) }),
    fc.record({ advanceSeconds: fc.integer(), now: fc.constant('2026-01-01T00:00:00Z') }),
    fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>
  )
  await check(t, fc.asyncProperty(fc.oneof(faultBody.map((b) => ({ kind: 'fault' as const, b })), clockBody.map((b) => ({ kind: 'clock' as const, b }))), async (op) => {
    const input = JSON.stringify(op.b)
    if (op.kind === 'fault') {
      const res = await post(app, '/__admin/faults', op.b)
      expectAdmin(res, [201, 400], input)
      app.mock.faults.clear()
      return
    }
    const res = await post(app, '/__admin/clock', op.b)
    expectAdmin(res, [200, 400], input)
    const clock = await app.inject({ method: 'GET', url: '/__admin/clock' })
    expectAdmin(clock, [200], input)
    expectConcurRest(await app.inject({ method: 'GET', url: '/concur/users/' }), [401], input)
    expectConcurOAuth(await app.inject({ method: 'POST', url: '/concur/oauth2/v0/token', headers: { 'content-type': 'text/plain' }, payload: 'x' }), input)
    expectIspring(await app.inject({ method: 'GET', url: '/ispring/users', headers: { accept: 'application/json' } }), [401], input)
    expectAdmin(await app.inject({ method: 'GET', url: '/__admin/requests?limit=2' }), [200], input)
    app.mock.clock.reset()
  }), { seed: 303, numRuns: FUZZ_RUNS })
})

t.test('X-Mock-Fault with generated values: the status it asks for in the vendor shape, or 400 naming the header', async (t) => {
  const app = await build(t, { journalSize: 10 })
  const part = fc.oneof(
    fc.tuple(fc.constantFrom('status', 'STATUS', 'Status'), fc.oneof(fc.integer({ min: 0, max: 999 }).map(String), fc.constantFrom('429', '503', '400', '', 'abc', '1e3', '0x1f4', '4000000', '-500'))).map(([n, v]) => `${n}=${v}`),
    fc.tuple(fc.constantFrom('delay', 'Delay'), fc.constantFrom('0', '1', '2', '70000', '9999999', 'x', '')).map(([n, v]) => `${n}=${v}`),
    fc.tuple(fc.constantFrom('retry-after', 'Retry-After'), fc.oneof(fc.nat({ max: 999_999 }).map(String), fc.constantFrom('1000000', '-1', ''))).map(([n, v]) => `${n}=${v}`),
    fc.constantFrom('status', '=', 'status==500', 'status=500=1', 'latency=5', ' ', ''),
    headerText(12).filter((s) => !/drop|delay/i.test(s))
  )
  const header = fc.tuple(fc.array(part, { minLength: 1, maxLength: 3 }), fc.constantFrom(';', ',', '; ', ' ;')).map(([parts, sep]) => parts.join(sep))
  const route = fc.constantFrom(
    { vendor: 'concur', method: 'GET', url: '/concur/users/' },
    { vendor: 'concur', method: 'POST', url: '/concur/oauth2/v0/token' },
    { vendor: 'ispring', method: 'GET', url: '/ispring/users' },
    { vendor: 'ispring', method: 'POST', url: '/ispring/api/v3/token' }
  )
  await check(t, fc.asyncProperty(header, route, fc.boolean(), async (value, r, json) => {
    const res = await app.inject({ method: r.method as 'GET', url: r.url, headers: { 'x-mock-fault': value, ...(json ? { accept: 'application/json' } : {}), ...(r.method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) }, ...(r.method === 'POST' ? { payload: 'a=b' } : {}) })
    // An independent reading of the header grammar (control-plane.md; drop is left out here).
    let status: number | undefined
    let bad = false
    let any = false
    let retry = false
    for (const p of value.split(/[;,]/).map((s) => s.trim()).filter((s) => s !== '')) {
      const [n = '', v, ...rest] = p.split('=').map((s) => s.trim())
      if (v === undefined || rest.length > 0 || !/^[0-9]{1,6}$/.test(v)) { bad = true; break }
      const name = n.toLowerCase()
      if (name === 'status') { if (Number(v) < 400 || Number(v) > 599) { bad = true; break } status = Number(v); any = true } else if (name === 'delay') { if (Number(v) > 60_000) { bad = true; break } any = true } else if (name === 'retry-after') retry = true
      else { bad = true; break }
    }
    if (!bad && (!any || (retry && status === undefined))) bad = true
    const expected = bad ? 400 : status
    const input = value
    if (r.vendor === 'concur') {
      if (r.url.endsWith('/token') && expected !== 429) {
        const body = expectConcurOAuth(res, input, expected === undefined ? [400] : [expected])
        if (bad) expect(String(body.error_description).includes('X-Mock-Fault'), `names the header: ${res.body}`)
      } else {
        const body = expectConcurRest(res, expected === undefined ? [r.url.endsWith('/token') ? 400 : 401] : [expected], input) as Record<string, unknown>
        if (bad) expect(String(body.Message).includes('X-Mock-Fault'), `names the header: ${res.body}`)
        if (expected === 429) expect(res.headers['retry-after'] !== undefined, 'Retry-After')
      }
    } else {
      const { body } = expectIspring(res, expected === undefined ? [400, 401] : [expected], input, json ? 'json' : 'xml')
      if (bad) expect(String(body.message).includes('X-Mock-Fault'), `names the header: ${res.body}`)
    }
  }), { seed: 304, numRuns: FUZZ_RUNS })
})
