// `npm run bench`: the real server (built bundle) against a bare Fastify baseline, in the same
// run, under autocannon load from a separate process. Prints a table and writes
// bench/results.json. Traffic goes to 127.0.0.1 only.
//
//   npm run bench -- [--seconds 10] [--warmup 3] [--connections 10] [--slices 2] [--only name,name] [--runs 10] [--uncached true|false]
//
// Each scenario warms the mock and the baseline, then measures them in alternating slices
// (mock, baseline, baseline, mock, ...) that add up to --seconds each, so a drift in the
// machine's speed during the run touches both sides of a ratio alike.
//
// A load test repeats one URL, which the mock's page cache answers after the first request. So
// the list scenarios are measured a second time against a server started with
// --page-cache-mb 0: those rows show what a page costs when it is assembled for the request.
import { fork, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const SERVER = join(ROOT, 'dist/bundle/server.mjs')
const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    only: { type: 'string' },
    runs: { type: 'string', default: '10' },
    slices: { type: 'string', default: '2' },
    uncached: { type: 'string', default: 'true' }
  }
})
const SECONDS = Number(opts.seconds)
const WARMUP = Number(opts.warmup)
const CONNECTIONS = Number(opts.connections)
const ONLY = opts.only?.split(',')
const SLICES = Math.max(1, Number(opts.slices))
const UNCACHED = opts.uncached !== 'false'
/**
 * Write rows (every request creates a user in the demo account) are measured for 0.4 × --seconds
 * per side with at most 1 s of warm-up: they grow the account for the rest of the run, and this
 * keeps what they add to the whole bench near 30 s.
 */
const WRITE_SECONDS = SECONDS * 0.4
const WRITE_WARMUP = Math.min(WARMUP, 1)
/** Connections creating users beside the reads of ispring-mixed (a modest write share: 11–16% of requests measured, about 1 in 7). */
const MIXED_WRITERS = 1
/** Scenarios measured again without the page cache. */
const UNCACHED_SCENARIOS = ['concur-users-100', 'concur-deep-offset', 'ispring-v2-xml-100', 'ispring-v2-json-100', 'ispring-deep-page']

const CONCUR = { clientId: '1d3b8a2e-6c0f-4e7a-9b5d-0a1c2e3f4d5e', clientSecret: 'demo-concur-secret' }
const COMPANIES = {
  acme: ['3a9c5e7b-2d4f-4b6a-8c0e-1f3a5b7d9e02', 'at-acme-request-token'],
  globex: ['5b7d9f1a-3c5e-4d7f-9a1b-2c4e6a8c0e03', 'at-globex-request-token']
}
const INITECH = { client_id: '2d3e4f50-6172-4c8d-9e0f-1a2b3c4d5e6f', client_secret: 'initech-secret', grant_type: 'client_credentials' }
const DEMO_OWNER = { client_id: '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d', client_secret: 'demo-ispring-secret', grant_type: 'client_credentials' }
const DEMO_SALES = { client_id: '1c2d3e4f-5061-4b7c-9d8e-0f1a2b3c4d5e', client_secret: 'demo-sales-secret', grant_type: 'client_credentials' }
const SALES_DEPARTMENT = 'd1000000-0000-4000-8000-000000000002'
const FORM = 'application/x-www-form-urlencoded'
const JSON_ACCEPT = { accept: 'application/json' }

/** Starts the built server on a free port; resolves with its address and process. */
function startServer (args = []) {
  const started = performance.now()
  const child = spawn(process.execPath, [SERVER, '--port', '0', '--log-level', 'info', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    const onData = (chunk) => {
      out += chunk
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m !== null) {
        child.stdout.off('data', onData)
        child.stdout.resume()
        resolve({ child, address: m[1], started })
      }
    }
    child.stdout.on('data', onData)
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)))
  })
}

const stop = (child) => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM') })
const rssMiB = (pid) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function concurToken (address, company) {
  const [username, password] = COMPANIES[company]
  const res = await fetch(`${address}/concur/oauth2/v0/token`, {
    method: 'POST',
    headers: { 'content-type': FORM },
    body: new URLSearchParams({ client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'password', username, password, credtype: 'authtoken' })
  })
  if (res.status !== 200) throw new Error(`concur token ${res.status}`)
  return (await res.json()).access_token
}

async function ispringToken (address, client) {
  const res = await fetch(`${address}/ispring/api/v3/token`, { method: 'POST', headers: { 'content-type': FORM, ...JSON_ACCEPT }, body: new URLSearchParams(client) })
  if (res.status !== 200) throw new Error(`ispring token ${res.status}`)
  return (await res.json()).access_token
}

/** `POST /ispring/user` as a user-sync job sends it (JSON); `$N` is made unique per request by load.mjs. */
async function createUser (address, tag) {
  return {
    method: 'POST',
    path: '/ispring/user',
    headers: { ...bearer(await ispringToken(address, DEMO_OWNER)), ...JSON_ACCEPT, 'content-type': 'application/json' },
    body: JSON.stringify({ departmentId: SALES_DEPARTMENT, fields: { login: `bench.${tag}.$N`, email: `bench.${tag}.$N@demo.test`, first_name: 'Bench', last_name: 'User' }, role: 'learner' }),
    unique: true
  }
}

/** Scenarios: each `prep` returns the request to load; `ref` names the scenario it is compared with. */
const bearer = (t) => ({ authorization: `Bearer ${t}` })

/** A POST /Users/.search on globex whose filter is made from one of its users' login. */
async function identitySearch (address, filterOf) {
  const headers = bearer(await concurToken(address, 'globex'))
  const page = await (await fetch(`${address}/concur/users/?offset=54321&limit=1`, { headers })).json()
  const body = JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:concur:2.0:SearchRequest'], filter: filterOf(page.Items[0].LoginID), count: 100 })
  return { path: '/concur/profile/identity/v4.1/Users/.search', method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body }
}

function scenarios (address) {
  return [
    { name: 'concur-users-100', prep: async () => ({ path: '/concur/users/?limit=100', headers: bearer(await concurToken(address, 'acme')) }) },
    { name: 'concur-users-1000', prep: async () => ({ path: '/concur/users/?limit=1000', headers: bearer(await concurToken(address, 'acme')) }) },
    { name: 'concur-globex-100', prep: async () => ({ path: '/concur/users/?limit=100', headers: bearer(await concurToken(address, 'globex')) }) },
    { name: 'concur-deep-offset', ref: 'concur-globex-100', prep: async () => ({ path: '/concur/users/?offset=99900&limit=100', headers: bearer(await concurToken(address, 'globex')) }) },
    {
      name: 'concur-filter',
      ref: 'concur-globex-100',
      prep: async () => {
        const headers = bearer(await concurToken(address, 'globex'))
        const page = await (await fetch(`${address}/concur/users/?offset=54321&limit=1`, { headers })).json()
        return { path: `/concur/users/?loginid=${encodeURIComponent(page.Items[0].LoginID)}`, headers }
      }
    },
    {
      name: 'concur-token',
      prep: async () => ({
        path: '/concur/oauth2/v0/token',
        method: 'POST',
        headers: { 'content-type': FORM },
        body: new URLSearchParams({ client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'password', username: COMPANIES.acme[0], password: COMPANIES.acme[1], credtype: 'authtoken' }).toString()
      })
    },
    { name: 'concur-identity-100', prep: async () => ({ path: '/concur/profile/identity/v4.1/Users?count=100', headers: bearer(await concurToken(address, 'acme')) }) },
    { name: 'concur-identity-globex-100', prep: async () => ({ path: '/concur/profile/identity/v4.1/Users?count=100', headers: bearer(await concurToken(address, 'globex')) }) },
    {
      // userName eq: answered from the LoginID index, compared side by side with the unfiltered page.
      name: 'concur-identity-search-eq',
      ref: 'concur-identity-globex-100',
      prep: async () => identitySearch(address, (login) => `userName eq "${login}"`)
    },
    {
      // co: a scan of all 100,000 users (its cost is what this row reports).
      name: 'concur-identity-search-co',
      ref: 'concur-identity-globex-100',
      prep: async () => identitySearch(address, (login) => `userName co "${login.slice(2, 8)}"`)
    },
    { name: 'ispring-v2-xml-100', prep: async () => ({ path: '/ispring/users/v2?pageSize=100', headers: bearer(await ispringToken(address, INITECH)) }) },
    { name: 'ispring-v2-json-100', prep: async () => ({ path: '/ispring/users/v2?pageSize=100', headers: { ...bearer(await ispringToken(address, INITECH)), ...JSON_ACCEPT } }) },
    { name: 'ispring-v2-xml-1000', prep: async () => ({ path: '/ispring/users/v2?pageSize=1000', headers: bearer(await ispringToken(address, INITECH)) }) },
    {
      name: 'ispring-deep-page',
      ref: 'ispring-v2-json-100',
      prep: async () => {
        const headers = { ...bearer(await ispringToken(address, INITECH)), ...JSON_ACCEPT }
        let path = '/ispring/users/v2?pageSize=100'
        for (;;) {
          const page = await (await fetch(address + path, { headers })).json()
          if (page.nextPageToken === undefined) return { path, headers }
          path = `/ispring/users/v2?pageSize=100&pageToken=${encodeURIComponent(page.nextPageToken)}`
        }
      }
    },
    { name: 'ispring-scoped', prep: async () => ({ path: `/ispring/users/v2?departments%5B%5D=${SALES_DEPARTMENT}`, headers: { ...bearer(await ispringToken(address, DEMO_SALES)), ...JSON_ACCEPT } }) },
    // Writes: every request creates a new user (unique login and e-mail) in the demo account;
    // measured after every read row (see main), and each answer must be 201.
    { name: 'ispring-create-user', status: 201, write: true, prep: async () => createUser(address, 'prep') }
  ].filter((s) => ONLY === undefined || ONLY.includes(s.name) || ONLY.some((o) => s.name === o))
}

function load (url, request, warmupSeconds, seconds, connections = CONNECTIONS) {
  const child = fork(join(ROOT, 'bench/load.mjs'))
  return new Promise((resolve, reject) => {
    child.once('message', (result) => { child.kill(); resolve(result) })
    child.once('error', reject)
    child.send({ url, method: request.method ?? 'GET', headers: request.headers, body: request.body, connections, warmupSeconds, seconds, unique: request.unique === true })
  })
}

/**
 * Throws unless every answer of a measured load had `status` and no request failed: a write
 * scenario answered 400 (a repeated login, a refused body) would otherwise look fast. Returns
 * the result.
 */
function expectStatus (label, result, status) {
  const other = Object.keys(result.statusCodes).filter((code) => Number(code) !== status)
  if (other.length > 0 || result.errors > 0 || result.statusCodes[status] === undefined) {
    throw new Error(`${label}: expected every answer to be ${status}, got ${JSON.stringify(result.statusCodes)} and ${result.errors} errors/timeouts`)
  }
  return result
}

/**
 * ispring-mixed, reads while writes run: the users/v2 page of ispring-v2-json-100 (JSON, 100
 * users, CONNECTIONS connections) alone and with MIXED_WRITERS more connections creating users
 * in the demo account the whole time, in alternating slices (alone, with writes, with writes,
 * alone...) of WRITE_SECONDS per side. Read once from the account written to (each create moves
 * its directory version, so its cached pages go stale) and once from another account (initech:
 * exactly ispring-v2-json-100's request; its cached pages stay good, the writes take their share
 * of the one event loop).
 */
async function measureMixed (address, readClient, warmup) {
  const read = { path: '/ispring/users/v2?pageSize=100', headers: { ...bearer(await ispringToken(address, readClient)), ...JSON_ACCEPT } }
  const write = await createUser(address, 'mixed')
  if (warmup > 0) await Promise.all([load(address + read.path, read, warmup, 0), load(address + write.path, write, warmup, 0, MIXED_WRITERS)])
  const [alone, reads, writes] = [[], [], []]
  const slices = Math.max(SLICES, 2)
  for (let i = 0; i < slices; i++) {
    for (const withWrites of i % 2 === 0 ? [false, true] : [true, false]) {
      if (!withWrites) {
        alone.push(expectStatus('ispring-mixed reads alone', await load(address + read.path, read, 0, WRITE_SECONDS / slices), 200))
        continue
      }
      const [r, w] = await Promise.all([load(address + read.path, read, 0, WRITE_SECONDS / slices), load(address + write.path, write, 0, WRITE_SECONDS / slices, MIXED_WRITERS)])
      reads.push(expectStatus('ispring-mixed reads beside writes', r, 200))
      writes.push(expectStatus('ispring-mixed creates', w, 201))
    }
  }
  const [a, r, w] = [combine(alone), combine(reads), combine(writes)]
  return { readsAlone: a, reads: r, writes: w, readRatio: r.requestsPerSecond / a.requestsPerSecond, writeShare: w.requestsPerSecond / (r.requestsPerSecond + w.requestsPerSecond) }
}

/** Slices of one side combined: mean req/s, median p50, worst p99, summed failures. */
function combine (slices) {
  return {
    requestsPerSecond: slices.reduce((n, r) => n + r.requestsPerSecond, 0) / slices.length,
    p50: median(slices.map((r) => r.p50)),
    p99: Math.max(...slices.map((r) => r.p99)),
    non2xx: slices.reduce((n, r) => n + r.non2xx, 0),
    errors: slices.reduce((n, r) => n + r.errors, 0),
    bytesPerRequest: slices[0].bytesPerRequest,
    statusCodes: slices.reduce((all, r) => {
      for (const [code, n] of Object.entries(r.statusCodes ?? {})) all[code] = (all[code] ?? 0) + n
      return all
    }, {}),
    slicesRequestsPerSecond: slices.map((r) => Math.round(r.requestsPerSecond))
  }
}

/** Two requests on the mock in alternating slices (a scenario and the one it is compared with). */
async function measureRelative (url, request, refUrl, refRequest) {
  const a = []
  const b = []
  // At least four windows each: these ratios compare two noisy measurements of the same server.
  const slices = Math.max(SLICES, 4)
  for (let i = 0; i < slices; i++) {
    // A B, B A, A B...: a steady drift of the machine's speed cancels out.
    const order = i % 2 === 0 ? [[a, url, request], [b, refUrl, refRequest]] : [[b, refUrl, refRequest], [a, url, request]]
    for (const [into, u, r] of order) into.push(await load(u, r, 0, SECONDS / slices))
  }
  const [x, y] = [combine(a), combine(b)]
  return { requestsPerSecond: x.requestsPerSecond, refRequestsPerSecond: y.requestsPerSecond, ratio: x.requestsPerSecond / y.requestsPerSecond, slices: x.slicesRequestsPerSecond, refSlices: y.slicesRequestsPerSecond }
}

/**
 * Warms both servers, then measures them in alternating slices. With `status`, every answer of
 * every slice (mock and baseline) must have it, or the run stops.
 */
async function measurePair (mockUrl, baselineUrl, request, { seconds = SECONDS, warmup = WARMUP, status, label = '' } = {}) {
  if (warmup > 0) {
    await load(mockUrl, request, warmup, 0)
    await load(baselineUrl, request, warmup, 0)
  }
  const mock = []
  const baseline = []
  for (let i = 0; i < SLICES; i++) {
    const order = i % 2 === 0 ? [[mock, mockUrl, 'mock'], [baseline, baselineUrl, 'baseline']] : [[baseline, baselineUrl, 'baseline'], [mock, mockUrl, 'mock']]
    for (const [into, u, side] of order) {
      const result = await load(u, request, 0, seconds / SLICES)
      into.push(status === undefined ? result : expectStatus(`${label} (${side})`, result, status))
    }
  }
  return { m: combine(mock), b: combine(baseline) }
}

async function startBaseline () {
  const child = fork(join(ROOT, 'bench/baseline.mjs'))
  const address = await new Promise((resolve) => child.once('message', (m) => resolve(m.address)))
  let id = 0
  const set = (path, body, contentType, status) => new Promise((resolve) => {
    const mine = ++id
    const onMessage = (m) => { if (m.id === mine) { child.off('message', onMessage); resolve() } }
    child.on('message', onMessage)
    child.send({ type: 'set', id: mine, path, body, contentType, status })
  })
  return { child, address, set }
}

async function startup (runs) {
  const health = []
  const globex = []
  for (let i = 0; i < runs; i++) {
    const { child, address, started } = await startServer()
    const res = await fetch(`${address}/health`)
    if (res.status !== 200) throw new Error('health')
    health.push(performance.now() - started)
    await stop(child)
  }
  for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i++) {
    const { child, address, started } = await startServer()
    const token = await concurToken(address, 'globex')
    const res = await fetch(`${address}/concur/users/?limit=100`, { headers: { authorization: `Bearer ${token}` } })
    if (res.status !== 200) throw new Error('globex page')
    await res.arrayBuffer()
    globex.push(performance.now() - started)
    await stop(child)
  }
  return { healthMs: Math.round(median(health)), globexPageMs: Math.round(median(globex)), healthRunsMs: health.map(Math.round), globexRunsMs: globex.map(Math.round) }
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })

async function main () {
  const t0 = Date.now()
  console.log(`users-api-mock benchmark: ${CONNECTIONS} connections, ${WARMUP} s warm-up, ${SECONDS} s measured per target in ${SLICES} alternating slices`)
  const startupResult = ONLY === undefined ? await startup(Number(opts.runs)) : undefined
  if (startupResult !== undefined) console.log(`startup: /health ${startupResult.healthMs} ms (median of ${opts.runs}); first globex page ${startupResult.globexPageMs} ms`)

  const mock = await startServer()
  const baseline = await startBaseline()
  const memory = { afterStartMiB: rssMiB(mock.child.pid) }
  const list = scenarios(mock.address)
  const prepared = []
  for (const s of list) {
    const request = await s.prep()
    const res = await fetch(mock.address + request.path, { method: request.method ?? 'GET', headers: request.headers, body: request.body })
    const body = Buffer.from(await res.arrayBuffer())
    if (res.status !== (s.status ?? 200)) throw new Error(`${s.name}: the mock answered ${res.status}: ${body.toString().slice(0, 200)}`)
    await baseline.set(`/s/${s.name}`, body.toString('base64'), res.headers.get('content-type'), res.status)
    prepared.push({ ...s, request, bytes: body.length })
  }
  memory.tenantsLoadedMiB = rssMiB(mock.child.pid)
  console.log(`memory: ${memory.afterStartMiB} MiB RSS after start, ${memory.tenantsLoadedMiB} MiB with every shipped tenant loaded`)

  const results = []
  const printRow = (row) => console.log(`${row.scenario.padEnd(20)} ${fmt(row.mock.requestsPerSecond).padStart(8)} req/s  p50 ${row.mock.p50} ms  p99 ${row.mock.p99} ms  baseline ${fmt(row.baseline.requestsPerSecond).padStart(8)} req/s  ratio ${fmt(row.ratio, 2)}  non-2xx ${row.mock.non2xx}  errors ${row.mock.errors}`)
  for (const s of prepared.filter((p) => p.write !== true)) {
    const { m, b } = await measurePair(mock.address + s.request.path, `${baseline.address}/s/${s.name}`, s.request)
    const row = { scenario: s.name, bytes: s.bytes, mock: m, baseline: b, ratio: m.requestsPerSecond / b.requestsPerSecond, ref: s.ref }
    results.push(row)
    printRow(row)
  }
  // Targets of the form "A ≥ 0.9 × B" compare two mock scenarios: measured again side by side
  // in alternating slices, so the machine's drift between their main runs does not count.
  const relatives = {}
  for (const s of prepared.filter((p) => p.ref !== undefined)) {
    const ref = prepared.find((p) => p.name === s.ref)
    if (ref === undefined) continue
    relatives[s.name] = { ref: s.ref, ...await measureRelative(mock.address + s.request.path, s.request, mock.address + ref.request.path, ref.request) }
    console.log(`${s.name} vs ${s.ref}, side by side: ${fmt(relatives[s.name].requestsPerSecond)} vs ${fmt(relatives[s.name].refRequestsPerSecond)} req/s = ${fmt(relatives[s.name].ratio, 2)}`)
  }
  // The memory target is the read load's; the writes below add users to the demo account.
  memory.afterRunMiB = rssMiB(mock.child.pid)

  // Writes last, so that the read rows above run on the shipped accounts as they are.
  const writesStarted = Date.now()
  for (const s of prepared.filter((p) => p.write === true)) {
    const { m, b } = await measurePair(mock.address + s.request.path, `${baseline.address}/s/${s.name}`, s.request, { seconds: WRITE_SECONDS, warmup: WRITE_WARMUP, status: s.status, label: s.name })
    const row = { scenario: s.name, bytes: s.bytes, mock: m, baseline: b, ratio: m.requestsPerSecond / b.requestsPerSecond, write: true, usersCreated: m.statusCodes[201] ?? 0 }
    results.push(row)
    printRow(row)
  }
  let mixed
  if (ONLY === undefined || ONLY.includes('ispring-mixed')) {
    // No warm-up when this run has just loaded both paths (the users/v2 read and the create).
    const warm = ['ispring-v2-json-100', 'ispring-create-user'].every((name) => results.some((r) => r.scenario === name))
    mixed = { sameAccount: await measureMixed(mock.address, DEMO_OWNER, warm ? 0 : WRITE_WARMUP), otherAccount: await measureMixed(mock.address, INITECH, 0) }
    for (const [where, m] of Object.entries(mixed)) {
      console.log(`ispring-mixed (reads of the ${where === 'sameAccount' ? 'account written to, demo' : 'other account, initech'}): users/v2 page reads ${fmt(m.readsAlone.requestsPerSecond)} req/s alone (p50 ${m.readsAlone.p50} ms, p99 ${m.readsAlone.p99} ms), ${fmt(m.reads.requestsPerSecond)} req/s (p50 ${m.reads.p50} ms, p99 ${m.reads.p99} ms) beside ${fmt(m.writes.requestsPerSecond)} creates/s (p50 ${m.writes.p50} ms, p99 ${m.writes.p99} ms; ${fmt(m.writeShare * 100)}% of requests) = ${fmt(m.readRatio, 2)} of alone`)
    }
  }
  if (mixed !== undefined || results.some((r) => r.write === true)) {
    memory.afterWritesMiB = rssMiB(mock.child.pid)
    const created = results.reduce((n, r) => n + (r.usersCreated ?? 0), 0) + Object.values(mixed ?? {}).reduce((n, m) => n + (m.writes.statusCodes[201] ?? 0), 0)
    console.log(`writes: ${Math.round((Date.now() - writesStarted) / 1000)} s, ${fmt(created)} users created (load only), ${memory.afterWritesMiB} MiB RSS after them`)
  }
  await stop(mock.child)

  const uncached = []
  const again = prepared.filter((s) => UNCACHED_SCENARIOS.includes(s.name))
  if (UNCACHED && again.length > 0) {
    console.log('\nwithout the page cache (--page-cache-mb 0): every page assembled from cached per-user bytes')
    const plain = await startServer(['--page-cache-mb', '0'])
    const fresh = Object.fromEntries(await Promise.all(scenarios(plain.address).filter((s) => UNCACHED_SCENARIOS.includes(s.name)).map(async (s) => [s.name, await s.prep()])))
    for (const s of again) {
      const request = fresh[s.name]
      const { m, b } = await measurePair(plain.address + request.path, `${baseline.address}/s/${s.name}`, request)
      const row = { scenario: s.name, mock: m, baseline: b, ratio: m.requestsPerSecond / b.requestsPerSecond }
      uncached.push(row)
      console.log(`${s.name.padEnd(20)} ${fmt(m.requestsPerSecond).padStart(8)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  baseline ${fmt(b.requestsPerSecond).padStart(8)} req/s  ratio ${fmt(row.ratio, 2)}  non-2xx ${m.non2xx}  errors ${m.errors}`)
    }
    await stop(plain.child)
  }
  baseline.child.kill()

  const byName = Object.fromEntries(results.map((r) => [r.scenario, r]))
  const relative = (name) => relatives[name]?.ratio
  const targets = [
    ['concur-users-100 ≥ 0.6 × baseline', byName['concur-users-100']?.ratio, 0.6],
    ['ispring-v2-json-100 ≥ 0.5 × baseline', byName['ispring-v2-json-100']?.ratio, 0.5],
    ['ispring-v2-xml-100 ≥ 0.4 × baseline', byName['ispring-v2-xml-100']?.ratio, 0.4],
    ['concur-deep-offset ≥ 0.9 × concur-globex-100', relative('concur-deep-offset'), 0.9],
    ['ispring-deep-page ≥ 0.9 × ispring-v2-json-100', relative('ispring-deep-page'), 0.9],
    ['concur-filter ≥ 0.9 × concur-globex-100', relative('concur-filter'), 0.9],
    ['startup /health ≤ 400 ms', startupResult?.healthMs, 400, 'max'],
    ['startup globex page ≤ 1500 ms', startupResult?.globexPageMs, 1500, 'max'],
    ['memory ≤ 250 MiB with tenants loaded', memory.tenantsLoadedMiB, 250, 'max'],
    ['memory ≤ 250 MiB after the run', memory.afterRunMiB, 250, 'max'],
    ['zero non-2xx and errors', [...results, ...uncached].reduce((n, r) => n + r.mock.non2xx + r.mock.errors + r.baseline.non2xx + r.baseline.errors, 0) +
      Object.values(mixed ?? {}).reduce((n, m) => n + m.reads.non2xx + m.reads.errors + m.writes.non2xx + m.writes.errors, 0), 0, 'max']
  ].filter(([, value]) => value !== undefined).map(([name, value, limit, kind]) => ({
    target: name, value: Math.round(value * 1000) / 1000, met: kind === 'max' ? value <= limit : value >= limit
  }))
  console.log('\n| scenario | req/s | p50 ms | p99 ms | baseline req/s | ratio |\n|---|---:|---:|---:|---:|---:|')
  for (const r of results) console.log(`| ${r.scenario} | ${fmt(r.mock.requestsPerSecond)} | ${r.mock.p50} | ${r.mock.p99} | ${fmt(r.baseline.requestsPerSecond)} | ${fmt(r.ratio, 2)} |`)
  if (uncached.length > 0) {
    console.log('\nWithout the page cache (`--page-cache-mb 0`):\n\n| scenario | req/s | p50 ms | p99 ms | baseline req/s | ratio |\n|---|---:|---:|---:|---:|---:|')
    for (const r of uncached) console.log(`| ${r.scenario} | ${fmt(r.mock.requestsPerSecond)} | ${r.mock.p50} | ${r.mock.p99} | ${fmt(r.baseline.requestsPerSecond)} | ${fmt(r.ratio, 2)} |`)
  }
  if (mixed !== undefined) {
    console.log('\nReads while writes run (`ispring-mixed`, users/v2 JSON page of 100):\n\n| read from | alone req/s | p50 / p99 ms | beside writes req/s | p50 / p99 ms | creates/s | p50 / p99 ms | beside / alone |\n|---|---:|---:|---:|---:|---:|---:|---:|')
    for (const [where, m] of Object.entries(mixed)) {
      console.log(`| ${where === 'sameAccount' ? 'demo (written to)' : 'initech (other)'} | ${fmt(m.readsAlone.requestsPerSecond)} | ${m.readsAlone.p50} / ${m.readsAlone.p99} | ${fmt(m.reads.requestsPerSecond)} | ${m.reads.p50} / ${m.reads.p99} | ${fmt(m.writes.requestsPerSecond)} | ${m.writes.p50} / ${m.writes.p99} | ${fmt(m.readRatio, 2)} |`)
    }
  }
  console.log('\n| target | measured | met |\n|---|---:|---|')
  for (const t of targets) console.log(`| ${t.target} | ${t.value} | ${t.met ? 'yes' : 'NO'} |`)
  writeFileSync(join(ROOT, 'bench/results.json'), JSON.stringify({
    date: new Date().toISOString(),
    node: process.version,
    connections: CONNECTIONS,
    warmupSeconds: WARMUP,
    seconds: SECONDS,
    slices: SLICES,
    startup: startupResult,
    memory,
    scenarios: results,
    sideBySide: relatives,
    withoutPageCache: uncached,
    mixedReadWrite: mixed,
    targets
  }, null, 2) + '\n')
  console.log(`\nwrote bench/results.json in ${Math.round((Date.now() - t0) / 1000)} s`)
}

await main()
