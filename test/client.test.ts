/**
 * The typed admin client against a live mock on a port, as a test suite in another process uses
 * it: every method, errors as MockAdminError with the MOCK_* code, and the helpers (waitForHealthy,
 * withTenant, expectRequests).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { MockOptions } from '../src/config.js'
import { MockAdmin, MockAdminError } from '../src/client/index.js'
import { build, concurCompanyFixture, demoUserId } from './helper.js'

const company = concurCompanyFixture('client-co', 0xc1e17)
const user = { ID: 'K-1', LoginID: 'k1@example.test', EmployeeID: 'K1', PrimaryEmail: 'k1@example.test', FirstName: 'Kay', LastName: 'One' }

async function live (t: Test, options: MockOptions = {}): Promise<string> {
  const app = await build(t, options)
  return await app.listen({ port: 0, host: '127.0.0.1' })
}

t.test('tenants and users', async (t) => {
  const admin = new MockAdmin(`${await live(t)}/`)
  t.match(await admin.waitForHealthy(), { status: 'ok', tenants: { concur: 3, ispring: 2 } })
  t.match(await admin.health(), { status: 'ok' })
  t.same((await admin.tenants()).map((x) => x.id).sort(), ['acme', 'company-name-llc', 'demo', 'globex', 'initech'])
  t.match(await admin.createTenant(company), { vendor: 'concur', id: 'client-co', userCount: 0 })
  t.match(await admin.tenant('concur', 'client-co'), { name: 'client-co', companyId: company.companyId })
  t.same(await admin.addUsers('concur', 'client-co', [user]), ['K-1'])
  await admin.patchUser('concur', 'client-co', 'K-1', { Active: false })
  await admin.replaceUser('concur', 'client-co', 'K-1', { ...user, LastName: 'Two' })
  t.equal((await admin.tenant('concur', 'client-co')).userCount, 1)
  await admin.removeUser('concur', 'client-co', 'K-1')
  t.equal((await admin.tenant('concur', 'client-co')).userCount, 0)
  await admin.patchUser('ispring', 'demo', demoUserId('06'), { state: 'inactive' })
  await admin.deleteTenant('concur', 'client-co')
  await admin.reset()
  t.equal((await admin.tenants()).length, 5)
})

t.test('errors carry the status, the MOCK_* code and the issues', async (t) => {
  const admin = new MockAdmin(await live(t))
  const missing = await admin.tenant('concur', 'nobody').catch((err: unknown) => err)
  t.ok(missing instanceof MockAdminError)
  t.match(missing, { status: 404, code: 'MOCK_TENANT_NOT_FOUND', message: 'No concur tenant "nobody". GET /__admin/tenants lists them.' })
  const invalid = await admin.createTenant({ ...company, companyId: 'not-a-uuid' }).catch((err: unknown) => err) as MockAdminError
  t.equal(invalid.code, 'MOCK_INVALID_FIXTURE')
  t.equal(invalid.issues[0]?.path, '$.companyId')
})

t.test('clock, faults and the journal', async (t) => {
  const base = await live(t)
  const admin = new MockAdmin(base)
  const before = await admin.clock()
  t.equal((await admin.advanceClock(3600)).offsetSeconds, before.offsetSeconds + 3600)
  t.equal((await admin.setClock(new Date('2030-01-01T00:00:00Z'))).now.slice(0, 10), '2030-01-01')
  const fault = await admin.addFault({ match: { vendor: 'concur', path: '/users/' }, action: { status: 503 }, times: 1 })
  t.match(fault, { id: 'fault-1', hits: 0, remaining: 1 })
  t.same((await admin.faults()).map((f) => f.id), ['fault-1'])
  await admin.removeFault('fault-1')
  await admin.addFault({ action: { status: 500 }, match: { path: '/nowhere' } })
  await admin.clearFaults()
  t.same(await admin.faults(), [])

  await fetch(`${base}/concur/users/?limit=1`)
  const [entry] = await admin.expectRequests({ vendor: 'concur', path: '/users/' }, { count: 1 })
  t.match(entry, { method: 'GET', status: 401, query: 'limit=1' })
  await t.rejects(admin.expectRequests({ vendor: 'ispring' }), /expected at least one request\(s\) matching \{"vendor":"ispring"\}, found 0; the latest: GET concur\/users\/ → 401/)
  await admin.clearRequests()
  t.same(await admin.requests(), [])
})

t.test('withTenant deletes the tenant even when the test body fails', async (t) => {
  const admin = new MockAdmin(await live(t))
  const seen = await admin.withTenant(company, async (tenant) => tenant.id)
  t.equal(seen, 'client-co')
  await t.rejects(admin.withTenant(company, async () => { throw new Error('the test failed') }), /the test failed/)
  await t.rejects(admin.tenant('concur', 'client-co'), { code: 'MOCK_TENANT_NOT_FOUND' }, 'gone after a failure too')
})

t.test('ADMIN_TOKEN: the token is sent; without it the call is refused', async (t) => {
  const base = await live(t, { adminToken: 'sesame' })
  t.equal((await new MockAdmin(base, { token: 'sesame' }).tenants()).length, 5)
  await t.rejects(new MockAdmin(base).tenants(), { status: 401, code: 'MOCK_ADMIN_UNAUTHORIZED' })
})

t.test('waitForHealthy gives up with a clear error when nothing answers', async (t) => {
  const app = await build(t)
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  await app.close()
  await t.rejects(new MockAdmin(base).waitForHealthy({ timeoutMs: 300, intervalMs: 50 }), new RegExp(`the mock at ${base} was not healthy within 300 ms`))
})

t.test('caPem: the local CA when HTTPS is on, MOCK_TLS_DISABLED otherwise', async (t) => {
  const state = mkdtempSync(join(tmpdir(), 'users-api-mock-client-tls-'))
  t.teardown(() => { rmSync(state, { recursive: true, force: true }) })
  const withTls = await live(t, { tls: true, stateDir: state })
  t.equal(await new MockAdmin(withTls).caPem(), readFileSync(join(state, 'ca.pem'), 'utf8'))
  await t.rejects(new MockAdmin(await live(t)).caPem(), { status: 404, code: 'MOCK_TLS_DISABLED' })
})
