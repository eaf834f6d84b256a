/**
 * The fleet as it runs in production: Redis, three replica processes of the built CLI and nginx
 * round-robin in front (its configuration made from deploy/compose/nginx.conf with loopback
 * addresses), all on loopback ports. Tokens, tenants, page-token walks, fault rules, the clock and
 * reset hold across the fleet; a replica killed mid-load and started again loses nothing; Redis
 * stopped keeps reads and refuses writes, and its return heals. `.ci/run` installs redis-server and
 * nginx and sets REQUIRE_REDIS=1; elsewhere the test is skipped when they are missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { DEMO } from '../../src/demo.js'
import { concurCompanyFixture, form, ISPRING, legacyHeaders, passwordGrant } from '../helper.js'
import { eventually, freePort, hasRedis, SECRET, startRedis } from './support.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SERVER = join(ROOT, 'dist/bundle/server.mjs')
const NGINX = ['/usr/sbin/nginx', 'nginx'].find((cmd) => spawnSync(cmd, ['-v']).status === 0)
const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so'
const missing = !hasRedis || NGINX === undefined

interface Replica { name: string, http: string, port: number, tlsPort: number, child: ChildProcess }

/** Starts one replica of the built CLI and resolves once it listens (after replaying the stream). */
async function startReplica (t: Test, name: string, port: number, tlsPort: number, redisUrl: string, stateDir: string): Promise<Replica> {
  const child = spawn(process.execPath, [SERVER, '--port', String(port), '--tls', '--tls-port', String(tlsPort), '--state-dir', stateDir,
    '--state-url', redisUrl, '--secret', SECRET, '--replica-id', name, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('HTTPS listening at')) resolve()
    })
    child.stderr?.on('data', (chunk: Buffer) => { out += chunk.toString() })
    child.on('exit', (code) => { reject(new Error(`${name} exited ${code}: ${out}`)) })
  })
  return { name, http: `http://127.0.0.1:${port}`, port, tlsPort, child }
}

/** nginx with the shipped balancer configuration, pointed at the replicas on loopback. */
async function startNginx (t: Test, replicas: Replica[], dir: string): Promise<{ http: string, tlsPort: number }> {
  const port = await freePort()
  let conf = readFileSync(join(ROOT, 'deploy/compose/nginx.conf'), 'utf8')
  replicas.forEach((r, i) => {
    conf = conf.replace(`server mock-${i + 1}:8080`, `server 127.0.0.1:${r.port}`).replace(`server mock-${i + 1}:8443`, `server 127.0.0.1:${r.tlsPort}`)
  })
  const tlsPort = await freePort()
  // Debian builds the stream module (TLS passthrough) as a module to load; the nginx image has it built in.
  if (existsSync(STREAM_MODULE)) conf = `load_module ${STREAM_MODULE};\n${conf}`
  conf = conf.replace('listen 80;', `listen 127.0.0.1:${port};`).replace('listen 443;', `listen 127.0.0.1:${tlsPort};`)
    .replace('pid /tmp/nginx.pid;', `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;`)
    .replace('access_log off;', `access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/fastcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;`)
  t.notMatch(conf, /mock-\d/, 'every upstream of the shipped configuration is replaced')
  writeFileSync(join(dir, 'nginx.conf'), conf)
  const child = spawn(NGINX as string, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' })
  // SIGTERM: nginx's master stops its workers; SIGKILL would leave them running.
  t.teardown(async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  })
  const base = `http://127.0.0.1:${port}`
  await eventually(t, 'nginx answers', async () => (await fetch(`${base}/health`).catch(() => undefined))?.status === 200, 10_000)
  return { http: base, tlsPort }
}

/** GET over HTTPS to the balancer's TLS port as `host`, trusting only `ca`. */
async function httpsGet (host: string, port: number, path: string, ca: string): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', servername: host, headers: { host }, port, path, ca, agent: false }, (res) => {
      res.resume()
      res.on('end', () => { resolve(res.statusCode ?? 0) })
    })
    req.on('error', reject)
    req.end()
  })
}

const json = async (res: Response): Promise<any> => await res.json()
const post = async (url: string, payload: unknown): Promise<Response> =>
  await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) })

t.test('a fleet of three replicas behind nginx', { skip: missing && process.env.REQUIRE_REDIS !== '1' ? 'redis-server or nginx is not installed' : false }, async (t) => {
  const fleetTest = t
  const started = performance.now()
  const dir = mkdtempSync(join(tmpdir(), 'users-api-mock-fleet-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  mkdirSync(join(dir, 'state'))
  const redis = await startRedis(t)
  const ports = await Promise.all(Array.from({ length: 6 }, async () => await freePort()))
  const names = ['replica-1', 'replica-2', 'replica-3']
  const replicas = await Promise.all(names.map(async (name, i) => await startReplica(t, name, ports[i] as number, ports[i + 3] as number, redis.url, join(dir, 'state'))))
  const [r1, r2, r3] = replicas as [Replica, Replica, Replica]
  const balancer = await startNginx(t, replicas, dir)
  const lb = balancer.http
  t.comment(`Redis, three replicas and nginx up in ${Math.round(performance.now() - started)} ms`)

  t.test('a Concur token from one replica and an iSpring token from another work through the balancer', async (t) => {
    const token = await fetch(`${r1.http}/concur/oauth2/v0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(passwordGrant('acme')) })
    t.equal(token.status, 200)
    const { access_token: concur } = await json(token)
    const ispring = await fetch(`${r2.http}/ispring/api/v3/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form({ client_id: ISPRING.demo.clients.owner.clientId, client_secret: ISPRING.demo.clients.owner.clientSecret, grant_type: 'client_credentials' })
    })
    const { access_token: ispringToken } = await json(ispring)
    await fetch(`${r3.http}/__admin/requests`, { method: 'DELETE' })
    for (let i = 0; i < 3; i++) {
      t.equal((await fetch(`${lb}/concur/users/?limit=2`, { headers: { authorization: `Bearer ${concur as string}` } })).status, 200, `Concur page ${i + 1}`)
      t.equal((await fetch(`${lb}/ispring/users/v2?pageSize=2`, { headers: { authorization: `Bearer ${ispringToken as string}` } })).status, 200, `iSpring page ${i + 1}`)
    }
    await eventually(t, 'the fleet journal shows all six', async () => (await json(await fetch(`${lb}/__admin/requests?method=GET`))).requests.length === 6)
    const served = (await json(await fetch(`${lb}/__admin/requests?method=GET`))).requests as Array<{ replica: string }>
    t.same([...new Set(served.map((e) => e.replica))].sort(), names, 'round-robin: every replica served some, with the others\' tokens')
  })

  t.test('HTTPS is passed through to every replica, each with a certificate of the shared CA', async (t) => {
    const ca = await (await fetch(`${r1.http}/__admin/ca.pem`)).text()
    for (const r of [r2, r3]) t.equal(await (await fetch(`${r.http}/__admin/ca.pem`)).text(), ca, `${r.name} has the same CA`)
    for (let i = 0; i < 3; i++) t.equal(await httpsGet('us.api.concursolutions.com', balancer.tlsPort, '/oauth2/v0/jwks', ca), 200, `connection ${i + 1}`)
  })

  t.test('a tenant created through one replica: there at once, on the others within the delay', async (t) => {
    const created = await post(`${r1.http}/__admin/tenants`, concurCompanyFixture('fleet-co', 0xf1ee7, { generate: { seed: 5, users: 300 } }))
    t.equal(created.status, 201)
    t.equal((await fetch(`${r1.http}/__admin/tenants/concur/fleet-co`)).status, 200, 'on the writer when the write answers')
    for (const r of [r2, r3]) await eventually(t, `${r.name} lists it`, async () => (await fetch(`${r.http}/__admin/tenants/concur/fleet-co`)).status === 200)

    const lags: number[] = []
    for (let i = 0; i < 60; i++) {
      const answer = await post(`${r1.http}/__admin/clock`, { advanceSeconds: 1 })
      const target = (await json(answer)).offsetSeconds as number
      const answered = performance.now()
      await eventually(t, 'the move reaches replica-2', async () => (await json(await fetch(`${r2.http}/__admin/clock`))).offsetSeconds === target)
      lags.push(performance.now() - answered)
    }
    lags.sort((a, b) => a - b)
    t.comment(`propagation, answer on replica-1 to visible on replica-2 (HTTP polling included), 60 changes: p50 ${(lags[30] as number).toFixed(1)} ms, p99 ${(lags[59] as number).toFixed(1)} ms`)
    t.ok((lags[59] as number) < 1000)
  })

  t.test('page-token walks through the balancer return every user once while writes run', async (t) => {
    const headers = { ...legacyHeaders(ISPRING.initech.owner.login, ISPRING.initech.owner.password, ISPRING.initech.accountUrl), accept: 'application/json' }
    const run = { writing: true }
    let added = 0
    const writer = (async () => {
      while (run.writing) {
        const i = ++added
        const userId = `f1ee7000-0000-4000-8000-${String(i).padStart(12, '0')}`
        await post(`${(i % 2 === 0 ? r2 : r3).http}/__admin/tenants/ispring/initech/users`, {
          users: [{ userId, login: `fleet${i}`, email: `fleet${i}@initech.test`, password: 'p', firstName: 'F', lastName: `${i}`, role: 'learner', departmentId: 'c3000000-0000-4000-8000-000000000001' }]
        })
      }
    })()
    const seen: string[] = []
    let token: string | undefined
    let pages = 0
    do {
      const res = await fetch(`${lb}/ispring/users/v2?pageSize=250${token === undefined ? '' : `&pageToken=${encodeURIComponent(token)}`}`, { headers })
      t.equal(res.status, 200)
      const body = await json(res)
      for (const u of body.userProfiles as Array<{ userId: string }>) seen.push(u.userId)
      token = body.nextPageToken
      pages++
    } while (token !== undefined && pages < 100)
    run.writing = false
    await writer
    t.equal(new Set(seen).size, seen.length, 'no user twice')
    t.ok(seen.length >= 5000, `all 5,000 users that existed for the whole walk, and some added during it (${seen.length - 5000} of ${added})`)
    t.ok(added > 0, 'writes ran during the walk')
  })

  t.test('Identity cursor walks through the balancer return every user once while Identity writes run', async (t) => {
    const { access_token: token } = await json(await fetch(`${r1.http}/concur/oauth2/v0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(passwordGrant('acme')) }))
    const headers = { authorization: `Bearer ${token as string}`, 'content-type': 'application/json' }
    const identity = '/concur/profile/identity/v4.1'
    const before = new Set<string>()
    let cursor: string | undefined
    const walk = async (): Promise<string[]> => {
      const ids: string[] = []
      cursor = undefined
      do {
        const res = await fetch(`${lb}${identity}/Users?count=300&attributes=id${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, { headers })
        t.equal(res.status, 200)
        const body = await json(res)
        ids.push(...(body.Resources as Array<{ id: string }>).map((u) => u.id))
        cursor = body.nextCursor
      } while (cursor !== undefined)
      return ids
    }
    for (const id of await walk()) before.add(id)
    const run = { writing: true }
    const created: string[] = []
    const writer = (async () => {
      for (let i = 1; run.writing; i++) {
        const res = await fetch(`${(i % 2 === 0 ? r2 : r3).http}${identity}/Users`, {
          method: 'POST', headers, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `fleet-identity-${i}@acme.test` })
        })
        if (res.status === 201) created.push((await json(res)).id)
      }
    })()
    const seen = await walk()
    run.writing = false
    await writer
    t.equal(new Set(seen).size, seen.length, 'no user twice')
    t.ok([...before].every((id) => seen.includes(id)), 'every user that existed for the whole walk')
    t.ok(created.length > 0, `Identity writes ran during the walk (${created.length})`)
    const last = created.at(-1) as string
    await eventually(t, 'the last Identity create is served by every replica', async () => {
      const statuses = await Promise.all(replicas.map(async (r) => (await fetch(`${r.http}${identity}/Users/${last}`, { headers })).status))
      return statuses.every((s) => s === 200)
    })
  })

  t.test('times: 2 fires exactly twice fleet-wide; a clock move and a reset reach every replica', async (t) => {
    t.equal((await post(`${lb}/__admin/faults`, { match: { vendor: 'concur', path: '/oauth2/v0/jwks' }, action: { status: 503 }, times: 2 })).status, 201)
    for (const r of replicas) await eventually(t, `${r.name} has the rule`, async () => (await json(await fetch(`${r.http}/__admin/faults`))).faults.length === 1)
    const statuses = await Promise.all(Array.from({ length: 12 }, async () => (await fetch(`${lb}/concur/oauth2/v0/jwks`)).status))
    t.equal(statuses.filter((s) => s === 503).length, 2)

    const moved = await json(await post(`${lb}/__admin/clock`, { now: '2030-01-01T00:00:00Z' }))
    t.equal(moved.now.slice(0, 10), '2030-01-01')
    for (const r of replicas) await eventually(t, `${r.name} is in 2030`, async () => (await json(await fetch(`${r.http}/__admin/clock`))).now.startsWith('2030-01-01'))
    t.equal((await fetch(`${lb}/__admin/reset`, { method: 'POST' })).status, 204)
    for (const r of replicas) {
      await eventually(t, `${r.name} is reset`, async () => {
        const clock = await json(await fetch(`${r.http}/__admin/clock`))
        return clock.offsetSeconds === 0 && (await fetch(`${r.http}/__admin/tenants/concur/fleet-co`)).status === 404
      })
    }
  })

  t.test('a replica killed with SIGKILL mid-load and started again loses no change', async (t) => {
    t.equal((await post(`${r1.http}/__admin/tenants`, concurCompanyFixture('restart-co', 0x5e7, { generate: { seed: 9, users: 50 } }))).status, 201)
    const run = { writing: true }
    let writes = 0
    const writer = (async () => {
      while (run.writing) {
        const i = ++writes
        const res = await post(`${r1.http}/__admin/tenants/concur/restart-co/users`, { users: [{ ID: `K-${i}`, LoginID: `k${i}@example.test`, EmployeeID: `K${i}`, PrimaryEmail: `k${i}@example.test`, FirstName: 'K', LastName: `${i}` }] })
        if (res.status !== 201) throw new Error(`write ${i}: ${res.status}`)
      }
    })()
    const reads = (async () => {
      while (run.writing) await fetch(`${lb}/concur/oauth2/v0/jwks`).catch(async () => await new Promise((resolve) => setTimeout(resolve, 10)))
    })()
    await eventually(t, 'some writes before the kill', async () => writes >= 20)
    const exited = new Promise((resolve) => r2.child.on('exit', resolve))
    r2.child.kill('SIGKILL')
    await exited
    await eventually(t, 'writes go on while replica-2 is down', async () => writes >= 60)
    // Owned by the fleet test, not this subtest: it serves the subtests after this one.
    const again = await startReplica(fleetTest, 'replica-2', r2.port, r2.tlsPort, redis.url, join(dir, 'state'))
    run.writing = false
    await Promise.all([writer, reads])
    const token = await json(await fetch(`${r1.http}/concur/oauth2/v0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ ...passwordGrant(), username: '00000000-0000-4000-8000-0000000005e7', password: 'rt-restart-co' }) }))
    const page = async (base: string): Promise<string> => await (await fetch(`${base}/concur/users/?limit=200`, { headers: { authorization: `Bearer ${token.access_token as string}` } })).text()
    await eventually(t, 'the restarted replica has every write', async () => JSON.parse(await page(again.http)).total === 50 + writes)
    t.equal(await page(again.http), await page(r1.http), `the restarted replica serves the same page as its peers (${writes} writes, some while it was down)`)
    t.equal(await page(r3.http), await page(r1.http))
  })

  t.test('Redis stopped: reads keep working, writes 503; restarted: healed', async (t) => {
    await redis.stop()
    for (const r of replicas) await eventually(t, `${r.name} reports the degradation`, async () => (await json(await fetch(`${r.http}/health`))).status === 'degraded')
    const users = await fetch(`${lb}/ispring/users?pageSize=1`, { headers: legacyHeaders(DEMO.ispring.demo.users.owner.email, DEMO.ispring.demo.users.owner.password) })
    t.equal(users.status, 200, 'reads are served from the last state')
    const write = await post(`${lb}/__admin/tenants`, concurCompanyFixture('after-co', 0xaf7e))
    t.equal(write.status, 503)
    t.equal((await json(write)).code, 'MOCK_STATE_UNAVAILABLE')
    await redis.start()
    for (const r of replicas) await eventually(t, `${r.name} heals`, async () => (await json(await fetch(`${r.http}/health`))).status === 'ok', 15_000)
    t.equal((await post(`${lb}/__admin/tenants`, concurCompanyFixture('after-co', 0xaf7e))).status, 201)
    for (const r of replicas) await eventually(t, `${r.name} has the new tenant`, async () => (await fetch(`${r.http}/__admin/tenants/concur/after-co`)).status === 200)
  })

  t.teardown(() => { t.comment(`fleet test took ${Math.round(performance.now() - started)} ms`) })
})
