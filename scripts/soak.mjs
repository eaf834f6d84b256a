// `npm run soak`: the built server under mixed Concur and iSpring traffic at full speed from a
// separate process (autocannon), for --seconds (default 60). Reports requests served, non-2xx
// answers, errors and the server's RSS at start, after warm-up, in the middle and at the end;
// then sends SIGTERM while a keep-alive client loop keeps it busy and checks that the process
// exits 0 with every request that was in flight answered. Exits 1 when a criterion fails:
// errors or non-2xx answers, RSS growth after warm-up above 10%, an unanswered in-flight
// request, or a shutdown that is not a clean exit 0 within 5 s. Traffic goes to 127.0.0.1 only.
//
//   npm run soak -- [--seconds 60] [--connections 16] [--warmup-fraction 0.2] [--max-old-space-mb 512 (0: Node's default)]
//                   [--only 0,3 (indexes of the traffic mix, to find where a growth comes from)]
import { fork, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { request as httpRequest, Agent } from 'node:http'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const SERVER = join(ROOT, 'dist/bundle/server.mjs')
const FORM = 'application/x-www-form-urlencoded'

// ---- the load generator (forked) ----------------------------------------------------------

if (process.argv.includes('--load-worker')) {
  const { default: autocannon } = await import('autocannon')
  process.once('message', ({ url, requests, connections, seconds }) => {
    const instance = autocannon({ url, requests, connections, pipelining: 1, duration: seconds, timeout: 10 }, (err, r) => {
      if (err) { process.send({ error: String(err) }); return }
      process.send({ total: r['1xx'] + r['2xx'] + r['3xx'] + r['4xx'] + r['5xx'], ok: r['2xx'], non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, resets: r.resets, statusCodeStats: r.statusCodeStats, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99 })
    })
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false })
  })
} else {
  await main()
}

// ---- the driver ----------------------------------------------------------------------------

async function main () {
  const { values: opts } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      connections: { type: 'string', default: '16' },
      'warmup-fraction': { type: 'string', default: '0.2' },
      only: { type: 'string' },
      'max-old-space-mb': { type: 'string', default: '512' }
    }
  })
  const SECONDS = Number(opts.seconds)
  const CONNECTIONS = Number(opts.connections)
  const WARMUP = Math.max(2, SECONDS * Number(opts['warmup-fraction']))
  if (!(SECONDS >= 5)) throw new Error('--seconds must be at least 5')

  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  // A capped old space makes V8 collect garbage instead of growing the heap lazily (with the
  // default limit RSS saws between a few hundred MiB for minutes), so RSS tracks live memory and
  // a leak shows as growth (and finally as an out-of-memory crash, which fails the run).
  const heapFlags = Number(opts['max-old-space-mb']) > 0 ? [`--max-old-space-size=${Number(opts['max-old-space-mb'])}`] : []
  const server = spawn(process.execPath, [...heapFlags, SERVER, '--port', String(port), '--log-level', 'warn'], { stdio: ['ignore', 'inherit', 'inherit'] })
  const serverExit = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })))
  await waitForHealth(base)
  const rss = { start: rssMiB(server.pid) }
  console.log(`soak: server pid ${server.pid} on ${base} (${heapFlags.join(' ') || 'default heap'}), RSS ${rss.start} MiB; ${SECONDS} s of mixed traffic on ${CONNECTIONS} connections (warm-up ${WARMUP} s)`)

  const mix = await trafficMix(base)
  // --only 0,3: a subset of the mix by index (to find which request a growth comes from).
  const requests = opts.only === undefined ? mix : opts.only.split(',').map((i) => mix[Number(i)])
  const worker = fork(fileURLToPath(import.meta.url), ['--load-worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const result = new Promise((resolve) => worker.once('message', resolve))
  worker.send({ url: base, requests, connections: CONNECTIONS, seconds: SECONDS })
  const startedAt = Date.now()
  const samples = []
  const sampler = setInterval(() => samples.push({ t: (Date.now() - startedAt) / 1000, rss: rssMiB(server.pid) }), 1000)
  const at = (s) => new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + s * 1000 - Date.now())))
  await at(WARMUP)
  rss.warm = rssMiB(server.pid)
  await at(SECONDS / 2)
  rss.middle = rssMiB(server.pid)
  const load = await result
  rss.end = rssMiB(server.pid)
  clearInterval(sampler)
  worker.disconnect()
  if (load.error !== undefined) throw new Error(`load generator: ${load.error}`)
  rss.peak = Math.max(...samples.map((s) => s.rss), rss.end)
  const growth = (rss.end - rss.warm) / rss.warm

  // SIGTERM while a keep-alive client loop keeps the server busy (some requests held 300 ms by X-Mock-Fault).
  const shutdown = await sigtermUnderLoad(base, server, serverExit, requests)

  const checks = [
    ['errors (connection errors + timeouts)', load.errors + load.timeouts, load.errors + load.timeouts === 0],
    ['non-2xx answers', load.non2xx, load.non2xx === 0],
    [`RSS growth after warm-up (${rss.warm} → ${rss.end} MiB)`, `${(growth * 100).toFixed(1)}%`, growth <= 0.10],
    ['in-flight at SIGTERM answered', `${shutdown.inFlightAnswered}/${shutdown.inFlight}`, shutdown.inFlight > 0 && shutdown.inFlightAnswered === shutdown.inFlight],
    ['exit after SIGTERM', `code ${shutdown.code} after ${shutdown.exitMs} ms`, shutdown.code === 0 && shutdown.exitMs <= 5000]
  ]
  console.log('')
  console.log(`requests served: ${load.total} (${load.rps} req/s, p50 ${load.p50} ms, p99 ${load.p99} ms); status codes ${JSON.stringify(Object.fromEntries(Object.entries(load.statusCodeStats).map(([k, v]) => [k, v.count])))}`)
  console.log(`RSS MiB: start ${rss.start}, after warm-up ${rss.warm}, middle ${rss.middle}, end ${rss.end}, peak ${rss.peak}`)
  console.log(`RSS MiB every 5 s: ${samples.filter((_s, i) => i % 5 === 4).map((s) => s.rss).join(' ')}`)
  console.log(`SIGTERM under load: ${shutdown.sent} requests sent by 32 keep-alive loops, ${shutdown.inFlight} in flight at the signal (${shutdown.inFlightAnswered} answered${shutdown.unanswered.length > 0 ? `; unanswered: ${shutdown.unanswered.join(', ')}` : ''}); sent after it: ${shutdown.lateAnswered} answered, ${shutdown.lateRefused} refused (server closing)`)
  for (const [name, value, ok] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'}  ${name}: ${value}`)
  process.exitCode = checks.every(([, , ok]) => ok) ? 0 : 1
}

function freePort () {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)) })
  })
}

async function waitForHealth (base) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/health`)).status === 200) return
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('the server did not answer /health within 5 s')
}

function rssMiB (pid) {
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024)
}

async function post (base, path, form, headers = {}) {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': FORM, accept: 'application/json', ...headers }, body: new URLSearchParams(form) })
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return await res.json()
}

/** Requests both vendors' clients make, all valid (each must answer 2xx). */
async function trafficMix (base) {
  const concurClient = { client_id: '1d3b8a2e-6c0f-4e7a-9b5d-0a1c2e3f4d5e', client_secret: 'demo-concur-secret' }
  const grant = { ...concurClient, grant_type: 'password', username: '3a9c5e7b-2d4f-4b6a-8c0e-1f3a5b7d9e02', password: 'at-acme-request-token', credtype: 'authtoken' }
  const acme = await post(base, '/concur/oauth2/v0/token', grant)
  const globex = await post(base, '/concur/oauth2/v0/token', { ...grant, username: '5b7d9f1a-3c5e-4d7f-9a1b-2c4e6a8c0e03', password: 'at-globex-request-token' })
  const initechClient = { client_id: '2d3e4f50-6172-4c8d-9e0f-1a2b3c4d5e6f', client_secret: 'initech-secret', grant_type: 'client_credentials' }
  const initech = (await post(base, '/ispring/api/v3/token', initechClient)).access_token
  const sales = (await post(base, '/ispring/api/v3/token', { client_id: '1c2d3e4f-5061-4b7c-9d8e-0f1a2b3c4d5e', client_secret: 'demo-sales-secret', grant_type: 'client_credentials' })).access_token
  const page = await (await fetch(`${base}/ispring/users/v2?pageSize=50`, { headers: { authorization: `Bearer ${initech}`, accept: 'application/json' } })).json()
  const someone = page.userProfiles[7].userId
  const bearer = (t) => ({ authorization: `Bearer ${t}` })
  const json = { accept: 'application/json' }
  return [
    { method: 'GET', path: '/concur/users/?limit=100', headers: bearer(acme.access_token) },
    { method: 'GET', path: '/concur/users/?offset=90000&limit=200&isactive=true', headers: bearer(globex.access_token) },
    { method: 'GET', path: '/ispring/users?pageSize=100', headers: bearer(initech) },
    { method: 'GET', path: '/concur/users/?countrycode=de&limit=50', headers: bearer(acme.access_token) },
    { method: 'GET', path: '/ispring/users/v2?pageSize=200', headers: { ...bearer(initech), ...json } },
    { method: 'POST', path: '/ispring/api/v3/token', headers: { 'content-type': FORM, ...json }, body: new URLSearchParams(initechClient).toString() },
    { method: 'GET', path: `/ispring/users/v2?pageSize=50&pageToken=${page.nextPageToken}`, headers: { ...bearer(initech), ...json } },
    { method: 'GET', path: '/ispring/users?departments%5B%5D=d1000000-0000-4000-8000-000000000002', headers: bearer(sales) },
    { method: 'POST', path: '/concur/oauth2/v0/token', headers: { 'content-type': FORM }, body: new URLSearchParams({ ...concurClient, grant_type: 'refresh_token', refresh_token: acme.refresh_token }).toString() },
    { method: 'GET', path: `/ispring/user/${someone}/v2`, headers: { ...bearer(initech), ...json } },
    { method: 'GET', path: '/ispring/departments', headers: { 'x-auth-account-url': 'https://demo.ispringlearn.com', 'x-auth-email': 'admin@demo.test', 'x-auth-password': 'admin-pass' } },
    { method: 'GET', path: '/users/?loginid=nobody@example.com', headers: { ...bearer(globex.access_token), host: 'us.api.concursolutions.com' } },
    { method: 'GET', path: '/ispring/groups', headers: { ...bearer(initech), ...json } }
  ]
}

/**
 * Keep-alive loops send requests back to back; SIGTERM goes to the server while they run. Every
 * request fully written and not yet answered at that moment is "in flight" and must get a
 * complete answer; requests written after it may be refused (the server is closing) but must
 * not hang. Every fourth request is held 300 ms by X-Mock-Fault, so some are surely in flight.
 */
async function sigtermUnderLoad (base, server, serverExit, requests) {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 })
  const url = new URL(base)
  let signalled = false
  const state = { stop: false }
  const pending = new Set()
  const all = []
  const mix = requests.map((r, i) => i % 4 === 0 ? { ...r, headers: { ...r.headers, 'x-mock-fault': 'delay=300' } } : r)
  const one = (r) => new Promise((resolve) => {
    const record = { path: r.path, written: false, answered: false, settled: false, afterSignal: signalled }
    all.push(record)
    pending.add(record)
    const done = (answered) => {
      if (record.settled) return
      record.settled = true
      record.answered = answered
      pending.delete(record)
      resolve(answered)
    }
    const req = httpRequest({ agent, host: url.hostname, port: url.port, method: r.method, path: r.path, headers: r.headers }, (res) => {
      res.resume()
      res.on('end', () => done(res.complete))
      res.on('error', () => done(false))
    })
    req.on('finish', () => { record.written = true })
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')))
    req.on('error', () => done(false))
    req.end(r.body)
  })
  const loops = Array.from({ length: 32 }, async (_v, k) => {
    for (let i = k; !state.stop; i++) {
      const ok = await one(mix[i % mix.length])
      if (!ok && signalled) return
    }
  })
  await new Promise((resolve) => setTimeout(resolve, 1000))
  signalled = true
  const atSignal = [...pending]
  const inFlight = atSignal.filter((r) => r.written)
  const sentAt = Date.now()
  server.kill('SIGTERM')
  const exit = await serverExit
  state.stop = true
  await Promise.race([Promise.all(loops), new Promise((resolve) => setTimeout(resolve, 5000))])
  agent.destroy()
  // Not yet fully written at the signal, or sent after it: the server may refuse these.
  const late = [...atSignal.filter((r) => !inFlight.includes(r)), ...all.filter((r) => r.afterSignal)]
  return {
    sent: all.length,
    inFlight: inFlight.length,
    inFlightAnswered: inFlight.filter((r) => r.answered).length,
    unanswered: inFlight.filter((r) => !r.answered).map((r) => r.path),
    lateAnswered: late.filter((r) => r.answered).length,
    lateRefused: late.filter((r) => !r.answered).length,
    code: exit.code,
    exitMs: exit.at - sentAt
  }
}
