/**
 * The one change path: every admin call that changes state emits one plain-data Change, a
 * refused call emits none and changes nothing, and replaying the recorded changes into a second
 * app built from the same fixtures gives the same state: every tenant's pages byte for byte.
 * That replay is what replicas will do with a shared stream.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import t from 'tap'
import { buildMockServer } from '../../src/app.js'
import type { Change } from '../../src/core/changes.js'
import { SHIPPED_FIXTURES_DIR } from '../../src/core/package-info.js'
import { DEMO } from '../../src/demo.js'
import { build, form, ISPRING, legacyHeaders } from '../helper.js'

type MockServer = Awaited<ReturnType<typeof buildMockServer>>

const dir = mkdtempSync(join(tmpdir(), 'changes-fixtures-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
// Small shipped tenants, so a whole directory is compared after every run.
for (const name of ['concur-company-name-llc.json', 'ispring-demo.json']) copyFileSync(join(SHIPPED_FIXTURES_DIR, name), join(dir, name))
const OPTIONS = { shippedFixtures: false, fixturesDir: dir }

const CLIENT = DEMO.concur
const OWNER = DEMO.ispring.demo.users.owner
const D = ISPRING.demo.departments

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0')

function concurFixture (n: number, generated: number) {
  return {
    vendor: 'concur',
    id: `c${n}`,
    name: `Company ${n}`,
    companyId: `00000000-0000-4000-8000-${hex(n, 12)}`,
    company: { name: `Company ${n}`, address: '1 Main St', city: 'Bellevue', state: 'WA', zip: '98004', country: 'US' },
    clients: [{ clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret }],
    requestTokens: [{ token: `rt-${n}`, clientId: CLIENT.clientId, neverExpires: true }],
    users: [concurUser(n * 1000)],
    ...(generated > 0 ? { generate: { seed: n, users: generated } } : {})
  }
}

function concurUser (n: number) {
  return { ID: `U-${n}`, LoginID: `user${n}@example.test`, EmployeeID: `E${n}`, PrimaryEmail: `user${n}@example.test`, FirstName: 'Ann', LastName: `Lee${n}` }
}

function ispringFixture (n: number, generated: number) {
  return {
    vendor: 'ispring',
    id: `i${n}`,
    name: `Account ${n}`,
    accountUrl: `https://account${n}.ispringlearn.com`,
    departments: [{ id: D.root, name: 'Root', code: 'ROOT' }, { id: D.sales, name: 'Sales', parentId: D.root }],
    users: [
      { userId: `f0000000-0000-4000-8000-${hex(n, 12)}`, login: 'owner', email: OWNER.email, password: OWNER.password, firstName: 'O', lastName: 'Wner', role: 'owner', departmentId: D.root },
      ispringUser(n * 1000)
    ],
    ...(generated > 0 ? { generate: { seed: n, users: generated, departments: 3, groups: 2 } } : {})
  }
}

function ispringUser (n: number) {
  return { userId: `a0000000-0000-4000-8000-${hex(n, 12)}`, login: `u${n}`, email: `u${n}@example.test`, password: 'p', firstName: 'Lea', lastName: `Rner${n}`, role: 'learner', departmentId: D.sales }
}

/** One admin call, named by the random model; ids are small integers made into real ids. */
type Op =
  | { op: 'create', vendor: 'concur' | 'ispring', n: number, generated: number }
  | { op: 'delete', vendor: 'concur' | 'ispring', n: number }
  | { op: 'add', vendor: 'concur' | 'ispring', n: number, users: number[] }
  | { op: 'patch', vendor: 'concur' | 'ispring', n: number, user: number, variant: number }
  | { op: 'replace', vendor: 'concur' | 'ispring', n: number, user: number }
  | { op: 'remove', n: number, user: number }
  | { op: 'reset' }
  | { op: 'clock', seconds: number }
  | { op: 'fault', times: number }
  | { op: 'unfault', id: number }

const vendorArb = fc.constantFrom<'concur' | 'ispring'>('concur', 'ispring')
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('create' as const), vendor: vendorArb, n: fc.integer({ min: 1, max: 4 }), generated: fc.constantFrom(0, 0, 12) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), vendor: vendorArb, n: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('add' as const), vendor: vendorArb, n: fc.integer({ min: 0, max: 4 }), users: fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('patch' as const), vendor: vendorArb, n: fc.integer({ min: 0, max: 4 }), user: fc.integer({ min: 0, max: 30 }), variant: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('replace' as const), vendor: vendorArb, n: fc.integer({ min: 0, max: 4 }), user: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), n: fc.integer({ min: 0, max: 4 }), user: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'reset' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clock' as const), seconds: fc.integer({ min: 1, max: 86_400 * 30 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('fault' as const), times: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unfault' as const), id: fc.integer({ min: 1, max: 4 }) }) }
)

const tenantId = (vendor: 'concur' | 'ispring', n: number): string =>
  n === 0 ? (vendor === 'concur' ? 'company-name-llc' : 'demo') : `${vendor === 'concur' ? 'c' : 'i'}${n}`

function userId (vendor: 'concur' | 'ispring', n: number, user: number): string {
  if (vendor === 'concur') return user === 0 ? '99BFFFC3-C0BE-44FF-A441-AE1FFFFFF75B8' : `U-${user}`
  if (n === 0) return `a1000000-0000-4000-8000-0000000000${String(2 + (user % 9)).padStart(2, '0')}`
  return `a0000000-0000-4000-8000-${hex(user, 12)}`
}

function patchOf (vendor: 'concur' | 'ispring', variant: number): Record<string, unknown> {
  if (vendor === 'concur') return [{ Active: false }, { LastName: 'Renamed' }, { LoginID: 'johndoe@gmail.com' }, { Active: true, CountryCode: 'DE' }][variant] as Record<string, unknown>
  return [{ state: 'inactive' }, { departmentId: D.root }, { lastName: 'Renamed' }, { state: 'employment_ended' }][variant] as Record<string, unknown>
}

async function run (app: MockServer, op: Op) {
  const json = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({ method, url: `/__admin${url}`, ...(payload === undefined ? {} : { payload: payload as object }) })
  switch (op.op) {
    case 'create': return await json('POST', '/tenants', op.vendor === 'concur' ? concurFixture(op.n, op.generated) : ispringFixture(op.n, op.generated))
    case 'delete': return await json('DELETE', `/tenants/${op.vendor}/${tenantId(op.vendor, op.n)}`)
    case 'add': return await json('POST', `/tenants/${op.vendor}/${tenantId(op.vendor, op.n)}/users`, { users: op.users.map((u) => op.vendor === 'concur' ? concurUser(u) : ispringUser(u)) })
    case 'patch': return await json('PATCH', `/tenants/${op.vendor}/${tenantId(op.vendor, op.n)}/users/${userId(op.vendor, op.n, op.user)}`, patchOf(op.vendor, op.variant))
    case 'replace': return await json('PUT', `/tenants/${op.vendor}/${tenantId(op.vendor, op.n)}/users/${userId(op.vendor, op.n, op.user)}`, op.vendor === 'concur'
      ? { ...concurUser(op.user + 500), ID: userId('concur', op.n, op.user) }
      : { ...ispringUser(op.user + 500), userId: userId('ispring', op.n, op.user) })
    case 'remove': return await json('DELETE', `/tenants/concur/${tenantId('concur', op.n)}/users/${userId('concur', op.n, op.user)}`)
    case 'reset': return await json('POST', '/reset')
    case 'clock': return await json('POST', '/clock', { advanceSeconds: op.seconds })
    // Faults on a path the comparison never reads, so they change state but not the pages.
    case 'fault': return await json('POST', '/faults', { match: { path: '/never-read' }, action: { status: 503 }, times: op.times })
    case 'unfault': return await json('DELETE', `/faults/fault-${op.id}`)
  }
}

/** Everything a client can read of the state: tenants, faults, the clock offset, and every page of every tenant. */
async function snapshot (app: MockServer): Promise<string[]> {
  const out: string[] = []
  const tenants = (await app.inject({ url: '/__admin/tenants' })).json() as { tenants: Array<{ vendor: string, id: string, companyId?: string, accountUrl?: string, credentials: any }> }
  out.push(JSON.stringify(tenants))
  out.push((await app.inject({ url: '/__admin/faults' })).body)
  out.push(String((await app.inject({ url: '/__admin/clock' })).json().offsetSeconds))
  for (const tenant of tenants.tenants) {
    if (tenant.vendor === 'concur') {
      const rt = tenant.credentials.requestTokens[0]
      const token = await app.inject({
        method: 'POST',
        url: '/concur/oauth2/v0/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: form({ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, grant_type: 'password', username: tenant.companyId as string, password: rt.token, credtype: 'authtoken' })
      })
      const auth = { authorization: `Bearer ${token.json().access_token as string}` }
      for (const query of ['limit=1000', 'offset=3&limit=5', 'isactive=false']) {
        const page = await app.inject({ url: `/concur/users/?${query}`, headers: auth })
        out.push(`${tenant.id} ${query} ${page.statusCode} ${page.body}`)
      }
    } else {
      const headers = legacyHeaders(OWNER.email, OWNER.password, tenant.accountUrl)
      for (const accept of ['application/json', 'application/xml']) {
        for (const path of ['/users?pageSize=1000', '/groups', '/departments']) {
          const page = await app.inject({ url: `/ispring${path}`, headers: { ...headers, accept } })
          out.push(`${tenant.id} ${path} ${accept} ${page.statusCode} ${page.body}`)
        }
        let url: string | undefined = '/ispring/users/v2?pageSize=4'
        while (url !== undefined) {
          const page: { statusCode: number, body: string, json: () => unknown } = await app.inject({ url, headers: { ...headers, accept: 'application/json' } })
          out.push(`${tenant.id} ${url} ${page.statusCode} ${page.body}`)
          const next: string | undefined = page.statusCode === 200 ? (page.json() as { nextPageToken?: string }).nextPageToken : undefined
          url = next === undefined ? undefined : `/ispring/users/v2?pageSize=4&pageToken=${encodeURIComponent(next)}`
        }
      }
    }
  }
  return out
}

t.test('each state-changing admin call emits one JSON-serialisable change; refused calls emit none', async (t) => {
  const app = await build(t, OPTIONS)
  const seen: Array<{ change: Change, seq: number }> = []
  app.mock.changes.subscribe((change, seq) => { seen.push({ change, seq }) })

  const created = await run(app, { op: 'create', vendor: 'concur', n: 1, generated: 0 })
  t.equal(created.statusCode, 201)
  t.equal(seen.length, 1)
  t.equal(seen[0]?.change.kind, 'tenant.created')
  t.same(JSON.parse(JSON.stringify(seen[0]?.change)), seen[0]?.change, 'plain data: survives a JSON round trip')

  const duplicate = await run(app, { op: 'create', vendor: 'concur', n: 1, generated: 0 })
  t.equal(duplicate.statusCode, 409)
  const badBatch = await run(app, { op: 'add', vendor: 'concur', n: 1, users: [7, 8, 7] })
  t.equal(badBatch.statusCode, 400, 'a batch with a repeated user is refused')
  const missing = await run(app, { op: 'patch', vendor: 'ispring', n: 3, user: 1, variant: 0 })
  t.equal(missing.statusCode, 404)
  t.equal(seen.length, 1, 'refused calls emit no change')
  const users = (await app.inject({ url: '/__admin/tenants/concur/c1' })).json().userCount
  t.equal(users, 1, 'and change nothing: the good users of the refused batch were not added')

  t.equal((await run(app, { op: 'add', vendor: 'concur', n: 1, users: [7, 8] })).statusCode, 201)
  t.equal((await run(app, { op: 'clock', seconds: 60 })).statusCode, 200)
  t.equal((await run(app, { op: 'fault', times: 1 })).statusCode, 201)
  t.same(seen.map((s) => s.change.kind), ['tenant.created', 'users.added', 'clock.moved', 'fault.added'])
  t.same(seen.map((s) => s.seq), [1, 2, 3, 4], 'numbered in order')

  // A fault that fires is a change too (its countdown is state).
  const fired = await app.inject({ url: '/ispring/never-read', headers: legacyHeaders(OWNER.email, OWNER.password) })
  t.equal(fired.statusCode, 503)
  t.equal(seen.at(-1)?.change.kind, 'fault.consumed')
  t.same((await app.inject({ url: '/__admin/faults' })).json(), { faults: [] }, 'times: 1 used up')
})

t.test('replaying the recorded changes into a second app gives the same pages, byte for byte', async (t) => {
  let runs = 0
  await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
    runs++
    const a = await buildMockServer(OPTIONS)
    const b = await buildMockServer(OPTIONS)
    try {
      const recorded: string[] = []
      a.mock.changes.subscribe((change) => { recorded.push(JSON.stringify(change)) })
      for (const op of ops) {
        const res = await run(a, op)
        if (res.statusCode >= 500) throw new Error(`${JSON.stringify(op)} answered ${res.statusCode} ${res.body}`)
      }
      for (const text of recorded) b.mock.changes.apply(JSON.parse(text) as Change)
      const [left, right] = [await snapshot(a), await snapshot(b)]
      const differs = left.findIndex((line, i) => line !== right[i])
      if (differs !== -1 || left.length !== right.length) {
        throw new Error(`the replay differs at line ${differs}:\n  recorded: ${String(left[differs]).slice(0, 300)}\n  replayed: ${String(right[differs]).slice(0, 300)}`)
      }
      return true
    } finally {
      await a.close()
      await b.close()
    }
  }), { numRuns: 25, seed: 1003 })
  t.equal(runs, 25)
})

t.test('apply validates every change itself: a change made in code is refused as the admin API would refuse it', async (t) => {
  const app = await build(t, OPTIONS)
  const { changes } = app.mock
  const at = changes.now()
  const refused = (change: unknown): { code?: string, issues?: unknown } => {
    try {
      changes.apply(change as Change)
    } catch (err) {
      return err as { code?: string, issues?: unknown }
    }
    return {}
  }
  const count = async (): Promise<number> => (await app.inject({ url: '/__admin/tenants/concur/company-name-llc' })).json().userCount
  t.match(refused({ kind: 'users.added', at, vendor: 'concur', tenant: 'company-name-llc', users: [{ ID: 'Q', LoginID: 'q@x.test', EmployeeID: 'Q' }] }),
    { code: 'MOCK_INVALID_FIXTURE', issues: [{ path: '$.users[0]' }] })
  t.match(refused({ kind: 'users.added', at, vendor: 'concur', tenant: 'company-name-llc', users: 'nope' }), { code: 'MOCK_INVALID_CHANGE' })
  t.match(refused({ kind: 'user.replaced', at, vendor: 'concur', tenant: 'company-name-llc', userId: 'q1', user: { ID: 'q1' } }), { code: 'MOCK_INVALID_FIXTURE' })
  t.equal(await count(), 2, 'no user was added or replaced')
  const before = changes.now()
  t.match(refused({ kind: 'clock.moved', at, offsetMs: 'abc' }), { code: 'MOCK_INVALID_CHANGE' })
  t.ok(Math.abs(changes.now() - before) < 1000, 'the clock did not move')
  const { rule, seed } = app.mock.faults.prepare({ action: { status: 503 } })
  changes.apply({ kind: 'fault.added', at, rule, seed })
  t.match(refused({ kind: 'fault.added', at, rule, seed }), { code: 'MOCK_INVALID_FAULT' }, 'the same rule id twice')
  t.match(refused({ kind: 'fault.added', at, rule: { ...rule, id: 'fault-9', action: {} }, seed }), { code: 'MOCK_INVALID_FAULT' })
  t.equal(app.mock.faults.list().length, 1)
  t.match(refused({ kind: 'bogus', at }), { code: 'MOCK_UNSUPPORTED_CHANGE' })
  t.match(refused({ kind: 'ispring.bogus', at, vendor: 'ispring', tenant: 'demo' }), { code: 'MOCK_UNSUPPORTED_CHANGE' })
})

t.test('a subscriber that throws neither undoes the change nor starves the other subscribers', async (t) => {
  const app = await build(t, OPTIONS)
  const seen: string[] = []
  app.mock.changes.subscribe(() => { throw new Error('broken subscriber') })
  app.mock.changes.subscribe((change) => { seen.push(change.kind) })
  const res = await app.inject({ method: 'POST', url: '/__admin/clock', payload: { advanceSeconds: 60 } })
  t.equal(res.statusCode, 200)
  t.same(seen, ['clock.moved'])
})

t.test('drawAt gives the n-th draw of a rule\'s seeded sequence without the ones before', async (t) => {
  const { drawAt, FaultEngine } = await import('../../src/core/faults.js')
  const engine = new FaultEngine(0)
  const { rule } = engine.prepare({ action: { status: 500 }, probability: 0.5, seed: 42 })
  engine.insert(rule, 42)
  const local = Array.from({ length: 200 }, () => engine.fire({ vendor: 'concur', method: 'GET', path: '/x' }) !== undefined)
  const indexed = Array.from({ length: 200 }, (_, i) => drawAt(42, i + 1) < 0.5)
  t.same(indexed, local)
  t.ok(local.includes(true) && local.includes(false))
})
