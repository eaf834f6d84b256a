/**
 * Replicas sharing state through a real Redis (Debian's redis-server, started on a loopback port
 * by the test): a change made through one replica is applied there before its answer and by the
 * others moments later; a replica that starts later replays the stream; a reset trims it; while
 * Redis is down reads are served, writes refused with 503 and /health says degraded, and the
 * replicas catch up when it returns. `.ci/run` installs redis-server and sets REQUIRE_REDIS=1;
 * elsewhere the test is skipped when redis-server is missing.
 */
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { buildMockServer, type MockOptions, type MockServer } from '../../src/index.js'
import { ConfigError, resolveConfig } from '../../src/config.js'
import { CONCUR, concurCompanyFixture, concurTokenRequest, concurUsers, ISPRING, ispringToken, passwordGrant } from '../helper.js'
import { eventually, hasRedis, SECRET, startRedis } from './support.js'

async function replica (t: Test, url: string, name: string, options: MockOptions = {}): Promise<MockServer> {
  const app = await buildMockServer({ stateUrl: url, secret: SECRET, replicaId: name, ...options })
  t.teardown(async () => { await app.close() })
  return app
}

const company = concurCompanyFixture('fleet-co', 0xf1ee7, {
  users: [{ ID: 'F-1', LoginID: 'f1@example.test', EmployeeID: 'F1', PrimaryEmail: 'f1@example.test', FirstName: 'Fay', LastName: 'One' }]
})

t.test('refuses to share state with the development secret', async (t) => {
  t.throws(() => resolveConfig({ stateUrl: 'redis://127.0.0.1:6379/0' }), new ConfigError('invalid option secret: replicas sharing state (stateUrl) must share a SECRET of their own, not the development default, or one could forge the others\' page tokens'))
  t.throws(() => resolveConfig({ stateUrl: 'http://127.0.0.1:6379', secret: SECRET }), { message: 'invalid option stateUrl: must match pattern "^rediss?://"' }, 'only redis:// and rediss:// URLs')
})

t.test('replicas share state through a Redis Stream', { skip: !hasRedis && process.env.REQUIRE_REDIS !== '1' ? 'redis-server is not installed' : false }, async (t) => {
  const redis = await startRedis(t)
  const a = await replica(t, redis.url, 'replica-a')
  const b = await replica(t, redis.url, 'replica-b')

  const created = await a.inject({ method: 'POST', url: '/__admin/tenants', payload: company })
  t.equal(created.statusCode, 201)
  t.equal((await a.inject({ url: '/__admin/tenants/concur/fleet-co' })).statusCode, 200, 'the writing replica has it when the write answers')
  const delays: number[] = []
  delays.push(await eventually(t, 'replica b sees the new tenant', async () => (await b.inject({ url: '/__admin/tenants/concur/fleet-co' })).statusCode === 200))

  const userId = 'F-1'
  const patched = await b.inject({ method: 'PATCH', url: `/__admin/tenants/concur/fleet-co/users/${userId}`, payload: { Active: false } })
  t.equal(patched.statusCode, 200)
  delays.push(await eventually(t, 'replica a sees the patch', async () => {
    const directory = (a.mock.store.get('concur', 'fleet-co')?.data as { directory: { users: Array<{ Active: boolean }> } }).directory
    return directory.users[0]?.Active === false
  }))

  const moved = await a.inject({ method: 'POST', url: '/__admin/clock', payload: { advanceSeconds: 7200 } })
  t.equal(moved.statusCode, 200)
  delays.push(await eventually(t, 'replica b follows the clock', async () => Math.abs(b.mock.clock.now() - a.mock.clock.now()) < 1000))

  const refused = await b.inject({ method: 'POST', url: '/__admin/tenants', payload: company })
  t.equal(refused.statusCode, 409, 'a change refused when applied is refused on every replica, and its writer hears why')
  t.equal(refused.json().code, 'MOCK_TENANT_CONFLICT')
  t.comment(`apply delay on the other replica (ms): ${delays.map((d) => d.toFixed(1)).join(', ')}`)

  // Propagation: from the start of a write on one replica until the other has applied it
  // (both in this process, so the other's read of the stream often wins the race with the answer).
  const applied = new Map<number, number>()
  const stop = b.mock.changes.subscribe((change) => { if (change.kind === 'clock.moved') applied.set((change as { offsetMs: number }).offsetMs, performance.now()) })
  const lags: number[] = []
  for (let i = 1; i <= 200; i++) {
    const before = a.mock.clock.offsetMs
    const started = performance.now()
    await a.inject({ method: 'POST', url: '/__admin/clock', payload: { advanceSeconds: 1 } })
    const offset = before + 1000
    await eventually(t, `change ${i} reaches replica b`, async () => applied.has(offset))
    lags.push((applied.get(offset) as number) - started)
  }
  stop()
  lags.sort((x, y) => x - y)
  const quantile = (q: number): number => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] as number
  t.comment(`write start to applied on the other replica, 200 changes: p50 ${quantile(0.5).toFixed(2)} ms, p99 ${quantile(0.99).toFixed(2)} ms, max ${(lags.at(-1) as number).toFixed(2)} ms`)
  t.ok(quantile(0.99) < 1000, 'every change reached the other replica')

  const health = (await a.inject({ url: '/health' })).json()
  t.match(health, { status: 'ok', state: { mode: 'redis', replica: 'replica-a', connected: true } })
  t.ok(health.state.applied >= 4)

  // A replica that starts now replays the stream before it serves.
  const c = await replica(t, redis.url, 'replica-c')
  t.equal((await c.inject({ url: '/__admin/tenants/concur/fleet-co' })).statusCode, 200, 'a late replica replays the tenant')
  t.ok(Math.abs(c.mock.clock.now() - a.mock.clock.now()) < 1000, 'and the clock move')

  const probe = new Redis(redis.url)
  t.teardown(() => { probe.disconnect() })
  t.ok(await probe.xlen('users-api-mock:changes') >= 4)
  t.equal((await a.inject({ method: 'POST', url: '/__admin/reset' })).statusCode, 204)
  await eventually(t, 'the stream is trimmed to the reset', async () => await probe.xlen('users-api-mock:changes') === 1)
  await eventually(t, 'replica b resets too', async () => (await b.inject({ url: '/__admin/tenants/concur/fleet-co' })).statusCode === 404)
  const d = await replica(t, redis.url, 'replica-d')
  t.equal((await d.inject({ url: '/__admin/tenants/concur/fleet-co' })).statusCode, 404, 'a replica started after the reset replays only the reset')

  t.test('the journal shows the fleet\'s traffic, each entry naming its replica', async (t) => {
    t.equal((await d.inject({ method: 'DELETE', url: '/__admin/requests' })).statusCode, 204)
    await a.inject({ url: '/concur/oauth2/v0/jwks' })
    await b.inject({ url: '/concur/users/?limit=1' })
    await c.inject({ url: '/ispring/users', headers: { 'x-auth-password': 'not-this' } })
    type Listed = Array<{ replica: string, vendor: string, path: string, status: number, headers: Record<string, string> }>
    let entries: Listed = []
    // Each replica sends its entries in batches a few ms apart.
    await eventually(t, 'the three requests reach the fleet journal', async () => {
      const listed = await d.inject({ url: '/__admin/requests' })
      entries = (listed.json() as { requests: Listed }).requests
      return listed.statusCode === 200 && entries.length === 3
    })
    t.same(entries.map((e) => [e.replica, e.vendor, e.path, e.status]), [
      ['replica-c', 'ispring', '/users', 401],
      ['replica-b', 'concur', '/users/', 401],
      ['replica-a', 'concur', '/oauth2/v0/jwks', 200]
    ], 'newest first, from every replica')
    t.equal(entries[0]?.headers['x-auth-password'], '[redacted]', 'redacted before it leaves the replica')
    const filtered = (await a.inject({ url: '/__admin/requests?vendor=concur&limit=1' })).json() as { requests: Array<{ replica: string }> }
    t.same(filtered.requests.map((e) => e.replica), ['replica-b'], 'filters and limit apply to the fleet\'s journal')
  })

  t.test('a Concur session opened on one replica is refreshed on another; its revocation holds everywhere', async (t) => {
    const token = (await concurTokenRequest(a, passwordGrant('acme'))).json()
    const userList = async (app: MockServer, access: string): Promise<number> => (await concurUsers(app, access)).statusCode
    await eventually(t, 'replica b knows the session', async () => await userList(b, token.access_token) === 200)
    const refreshed = await concurTokenRequest(b, { client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'refresh_token', refresh_token: token.refresh_token })
    t.equal(refreshed.statusCode, 200, 'the refresh token of replica a works on replica b')
    t.equal(refreshed.json().refresh_token, token.refresh_token)
    t.equal(await userList(a, refreshed.json().access_token), 200, "replica b's access token works on replica a")
    const revoked = await b.inject({ method: 'DELETE', url: '/concur/app-mgmt/v0/connections', headers: { authorization: `Bearer ${token.access_token}` } })
    t.equal(revoked.statusCode, 200)
    await eventually(t, 'replica a refuses the revoked token', async () => await userList(a, token.access_token) === 401)
    const again = await concurTokenRequest(a, { client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'refresh_token', refresh_token: token.refresh_token })
    t.equal(again.statusCode, 400, 'and its refresh token')
  })

  t.test('iSpring provisioning on one replica: the new user, its move and its deletion reach the others', async (t) => {
    const headers = { authorization: `Bearer ${await ispringToken(a)}`, accept: 'application/json', 'content-type': 'application/json' }
    const D = ISPRING.demo.departments
    const created = await a.inject({ method: 'POST', url: '/ispring/user', headers, payload: JSON.stringify({ departmentId: D.sales, fields: { login: 'fleet.user', email: 'fleet.user@demo.test' } }) })
    t.equal(created.statusCode, 201, created.body)
    const id = created.json() as string
    const departmentOn = async (app: MockServer): Promise<string | number> => {
      const res = await app.inject({ url: `/ispring/user/${id}`, headers })
      return res.statusCode === 200 ? res.json().departmentId as string : res.statusCode
    }
    t.equal(await departmentOn(a), D.sales, 'the writer reads its write')
    await eventually(t, 'replica b has the new user', async () => await departmentOn(b) === D.sales)
    t.equal((await b.inject({ method: 'POST', url: `/ispring/user/${id}`, headers, payload: JSON.stringify({ departmentId: D.engineering }) })).statusCode, 200, 'moved on replica b (a token of replica a)')
    await eventually(t, 'replica c sees the move', async () => await departmentOn(c) === D.engineering)
    t.equal((await c.inject({ method: 'DELETE', url: `/ispring/user/${id}`, headers })).statusCode, 204)
    await eventually(t, 'replica a sees the deletion', async () => await departmentOn(a) === 404)
  })

  t.test('Redis down: reads served, writes 503, /health degraded; caught up when it returns', async (t) => {
    await redis.stop()
    await eventually(t, '/health reports the degradation', async () => (await a.inject({ url: '/health' })).json().status === 'degraded')
    const write = await a.inject({ method: 'POST', url: '/__admin/tenants', payload: company })
    t.equal(write.statusCode, 503)
    t.equal(write.json().code, 'MOCK_STATE_UNAVAILABLE')
    t.equal((await a.inject({ url: '/__admin/tenants/concur/fleet-co' })).statusCode, 404, 'nothing half-applied')
    t.equal((await a.inject({ url: '/__admin/tenants' })).statusCode, 200, 'reads keep being served')
    const grant = await concurTokenRequest(a, passwordGrant('acme'))
    t.equal(grant.statusCode, 503, 'a token grant opens a session: a write')
    t.match(grant.json(), { error: 'server_error', code: 503 }, 'in the OAuth envelope')
    t.equal(grant.headers['retry-after'], '1')

    await redis.start()
    await eventually(t, 'replica a reconnects', async () => (await a.inject({ url: '/health' })).json().status === 'ok', 10_000)
    await eventually(t, 'replica b reconnects', async () => (await b.inject({ url: '/health' })).json().status === 'ok', 10_000)
    t.equal((await a.inject({ method: 'POST', url: '/__admin/tenants', payload: company })).statusCode, 201, 'writes work again')
    await eventually(t, 'replica b applies it', async () => (await b.inject({ url: '/__admin/tenants/concur/fleet-co' })).statusCode === 200)
  })
})

t.test('fault rules hold for the fleet: times and seeded probability', { skip: !hasRedis && process.env.REQUIRE_REDIS !== '1' ? 'redis-server is not installed' : false }, async (t) => {
  const redis = await startRedis(t)
  const fleet = [await replica(t, redis.url, 'f-1'), await replica(t, redis.url, 'f-2'), await replica(t, redis.url, 'f-3')]
  const jwks = async (app: MockServer) => (await app.inject({ url: '/concur/oauth2/v0/jwks' })).statusCode

  const added = await fleet[0]?.inject({ method: 'POST', url: '/__admin/faults', payload: { match: { vendor: 'concur', path: '/oauth2/v0/jwks' }, action: { status: 503 }, times: 2 } })
  t.equal(added?.statusCode, 201)
  for (const app of fleet) await eventually(t, 'every replica has the rule', async () => app.mock.faults.size === 1)
  // Twelve requests at once, four on each replica.
  const statuses = await Promise.all(Array.from({ length: 12 }, async (_, i) => await jwks(fleet[i % 3] as MockServer)))
  t.equal(statuses.filter((s) => s === 503).length, 2, 'times: 2 fires exactly twice across three replicas')
  t.equal(statuses.filter((s) => s === 200).length, 10)
  for (const app of fleet) await eventually(t, 'the used-up rule goes away everywhere', async () => app.mock.faults.size === 0)

  // The same seeded rule on one process, and on the fleet with requests spread round-robin.
  const rule = { match: { vendor: 'concur', path: '/oauth2/v0/jwks' }, action: { status: 500 }, probability: 0.4, seed: 11 }
  const single = await buildMockServer()
  t.teardown(async () => { await single.close() })
  await single.inject({ method: 'POST', url: '/__admin/faults', payload: rule })
  const expected: number[] = []
  for (let i = 0; i < 30; i++) expected.push(await jwks(single))
  t.ok(expected.includes(500) && expected.includes(200), 'the single process draws both outcomes')

  t.equal((await fleet[1]?.inject({ method: 'POST', url: '/__admin/faults', payload: rule }))?.statusCode, 201)
  for (const app of fleet) await eventually(t, 'every replica has the seeded rule', async () => app.mock.faults.size === 1)
  const spread: number[] = []
  for (let i = 0; i < 30; i++) spread.push(await jwks(fleet[i % 3] as MockServer))
  t.same(spread, expected, 'the fleet draws the same sequence as one process')
})
