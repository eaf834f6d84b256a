/**
 * Bad input never breaks Identity: generated query strings, filters, JSON bodies (SCIM users,
 * PatchOps, SearchRequests, and anything else) and raw payloads get a documented status, never a
 * 5xx, with the SCIM Error Response on every refusal and no internals in any body.
 */
import fc from 'fast-check'
import t from 'tap'
import { build, concurToken } from '../helper.js'
import { check, encodeVariant, expect, expectNoInternals, nastyString, scaled, wellFormed, type Answer } from './support.js'

const BASE = '/concur/profile/identity/v4.1'
const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error'
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const SEARCH = 'urn:ietf:params:scim:api:messages:concur:2.0:SearchRequest'
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const JOHN = '99BFFFC3-C0BE-44FF-A441-AE1FFFFFF75B8'

/** The answer is one of `allowed`, JSON, and a refusal is the SCIM Error Response for its status. */
function expectScim (res: Answer, allowed: readonly number[], input: string): void {
  expect(allowed.includes(res.statusCode), `status ${res.statusCode} not in ${allowed.join(',')} for ${input.slice(0, 200)}: ${res.body.slice(0, 300)}`)
  expectNoInternals(res.body, input)
  if (res.statusCode === 204) { expect(res.body === '', '204 has no body'); return }
  expect(String(res.headers['content-type'] ?? '').startsWith('application/json'), `content type ${String(res.headers['content-type'])}`)
  const body = JSON.parse(res.body) as Record<string, unknown>
  if (res.statusCode >= 400) {
    expect(Object.keys(body).every((k) => ['schemas', 'status', 'scimType', 'detail'].includes(k)), `error keys: ${res.body}`)
    expect(JSON.stringify(body.schemas) === JSON.stringify([ERROR_URN]), `error schemas: ${res.body}`)
    expect(body.status === String(res.statusCode), `status as a string: ${res.body}`)
    expect(typeof body.detail === 'string' && body.detail !== '', `detail: ${res.body}`)
  }
}

const attributeName = fc.constantFrom('userName', 'USERNAME', 'active', 'emails', 'emails.value', 'emails.type', 'name.givenName', 'name', 'meta.created', 'meta.lastModified',
  'id', 'externalId', 'phoneNumbers', 'addresses.country', `${ENTERPRISE}:employeeNumber`, `${ENTERPRISE}:companyId`, `${CORE}:userName`, 'nope', 'a.b.c', '')
const value = fc.oneof(fc.constantFrom('"johndoe@gmail.com"', '"JOHN"', 'true', 'false', 'null', '42', '"2021-01-01T00:00:00Z"', '""', '"\\""'), nastyString().map((s) => JSON.stringify(wellFormed(s))))
const op = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'EQ', 'xx')
const filter: fc.Arbitrary<string> = fc.letrec<{ f: string }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(attributeName, op, value).map(([a, o, v]) => `${a} ${o} ${v}`),
    attributeName.map((a) => `${a} pr`),
    fc.tuple(tie('f'), fc.constantFrom('and', 'or', 'AND'), tie('f')).map(([x, l, y]) => `${x} ${l} ${y}`),
    tie('f').map((x) => `not (${x})`),
    tie('f').map((x) => `(${x})`),
    fc.tuple(fc.constantFrom('emails', 'phoneNumbers', 'addresses'), tie('f')).map(([a, x]) => `${a}[${x}]`),
    nastyString().map(wellFormed)
  )
})).f

t.test('GET /Users and /Users/{id} with generated queries and ids', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app)).access_token
  const name = fc.constantFrom('count', 'cursor', 'attributes', 'excludedAttributes', 'startIndex', 'filter', 'Count', 'sortBy', '')
  const queryValue = fc.oneof(fc.constantFrom('0', '1', '1000', '1001', '-1', '1.5', 'ten', '', 'userName', 'emails.value,name', `${ENTERPRISE}:employeeNumber`, 'a..b', ','), nastyString().map(wellFormed))
  const pair = fc.tuple(name, queryValue, fc.integer({ min: 0, max: 3 }))
  const id = fc.oneof(fc.constant(JOHN), fc.constant(JOHN.toLowerCase()), nastyString().map((s) => encodeURIComponent(wellFormed(s))).filter((s) => s !== '' && !/^(\.|%2e)+$/i.test(s)))
  await check(t, fc.asyncProperty(fc.array(pair, { maxLength: 4 }), fc.option(id), async (pairs, userId) => {
    const query = pairs.map(([n, v, style]) => `${encodeVariant(n, style)}=${encodeVariant(v, style)}`).join('&')
    const url = `${BASE}/Users${userId === null ? '' : `/${userId}`}?${query}`
    const res = await app.inject({ url, headers: { authorization: `Bearer ${token}` } })
    expectScim(res, [200, 400, 404], url)
  }), { seed: 211, numRuns: scaled(400) })
})

t.test('POST /Users/.search with generated filters and bodies', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app, 'acme')).access_token
  const body = fc.oneof(
    { weight: 4, arbitrary: fc.record({ schemas: fc.constant([SEARCH]), filter, count: fc.option(fc.oneof(fc.integer({ min: -2, max: 1002 }), fc.constant('10')), { nil: undefined }) }, { requiredKeys: ['schemas', 'filter'] }) },
    { weight: 1, arbitrary: fc.record({ schemas: fc.oneof(fc.constant([SEARCH]), fc.jsonValue()), attributes: fc.jsonValue(), cursor: fc.jsonValue() }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.jsonValue() }
  )
  await check(t, fc.asyncProperty(body, async (b) => {
    const payload = JSON.stringify(b) ?? 'null'
    const res = await app.inject({ method: 'POST', url: `${BASE}/Users/.search`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload })
    expectScim(res, [200, 400], payload)
  }), { seed: 212, numRuns: scaled(400) })
})

t.test('writes with generated users, PatchOps and raw payloads: never a 5xx, a refusal changes nothing', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app)).access_token
  const scimValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), nastyString().map(wellFormed))
  const user = fc.record({
    schemas: fc.oneof(fc.constant([CORE]), fc.constant([CORE, ENTERPRISE]), fc.jsonValue({ maxDepth: 1 })),
    userName: fc.oneof(fc.uuid().map((u) => `${u}@example.test`), nastyString().map(wellFormed), fc.jsonValue({ maxDepth: 1 })),
    active: fc.oneof(fc.boolean(), scimValue),
    name: fc.oneof(fc.record({ givenName: scimValue, familyName: scimValue }, { requiredKeys: [] }), scimValue),
    emails: fc.oneof(fc.array(fc.record({ type: fc.constantFrom('work', 'home', 'WORK'), value: scimValue }, { requiredKeys: [] }), { maxLength: 2 }), scimValue),
    addresses: fc.oneof(fc.array(fc.record({ type: fc.constant('work'), country: scimValue }, { requiredKeys: [] }), { maxLength: 2 }), scimValue),
    [ENTERPRISE]: fc.oneof(fc.record({ employeeNumber: scimValue, companyId: scimValue }, { requiredKeys: [] }), scimValue)
  }, { requiredKeys: [] })
  const patchOp = fc.record({
    op: fc.constantFrom('add', 'replace', 'remove', 'Replace', 'move', 'nope'),
    path: fc.option(fc.oneof(attributeName, fc.constantFrom('emails[type eq "work"].value', 'emails[value co "x"]', 'name.familyName', 'id', 'meta', '[', '')), { nil: undefined }),
    value: fc.option(scimValue, { nil: undefined })
  }, { requiredKeys: ['op'] })
  const patch = fc.record({ schemas: fc.oneof(fc.constant([PATCH]), fc.jsonValue({ maxDepth: 1 })), Operations: fc.oneof(fc.array(patchOp, { maxLength: 3 }), scimValue) }, { requiredKeys: [] })
  const raw = fc.oneof(fc.constantFrom('{', '[', '{"schemas":', 'null', '""', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', 'x'.repeat(2000)), nastyString().map(wellFormed))
  const request = fc.oneof(
    user.map((u) => ({ method: 'POST' as const, path: '/Users', payload: JSON.stringify(u) })),
    user.map((u) => ({ method: 'PUT' as const, path: `/Users/${JOHN}`, payload: JSON.stringify(u) })),
    patch.map((p) => ({ method: 'PATCH' as const, path: `/Users/${JOHN}`, payload: JSON.stringify(p) })),
    fc.tuple(fc.constantFrom('POST', 'PUT', 'PATCH') as fc.Arbitrary<'POST' | 'PUT' | 'PATCH'>, raw).map(([method, payload]) => ({ method, path: method === 'POST' ? '/Users' : `/Users/${JOHN}`, payload }))
  )
  const contentType = fc.constantFrom('application/json', 'application/scim+json', 'text/plain', 'application/json; charset=utf-8')
  // Both versions' writes: v4's are v4.1's under another base.
  const base = fc.constantFrom(BASE, BASE, '/concur/profile/identity/v4')
  await check(t, fc.asyncProperty(request, contentType, base, async ({ method, path, payload }, type, at) => {
    const before = app.mock.changes.seq
    const res = await app.inject({ method, url: `${at}${path}`, headers: { authorization: `Bearer ${token}`, 'content-type': type }, payload })
    expectScim(res, [200, 201, 400, 404, 409], `${method} ${payload}`)
    if (res.statusCode >= 400) expect(app.mock.changes.seq === before, `a refused write made a change: ${method} ${payload}`)
  }), { seed: 213, numRuns: scaled(600) })
})
