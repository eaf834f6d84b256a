// `npm run bench:replicas`: what replication costs and what a fleet gives, on this machine.
// Redis (Debian's redis-server), the built CLI and nginx (the shipped deploy/compose/nginx.conf
// with loopback addresses), all on 127.0.0.1. Measures, with autocannon from a separate process:
//   - a cached list page (iSpring v2, JSON, 100 users): one replica without Redis, one replica
//     with Redis, three replicas behind nginx;
//   - a write (an admin PATCH of one user, a change each time) the same three ways;
//   - the propagation delay: a change answered on one replica until another serves it.
// Prints a table and writes bench/replicas-results.json.
//
//   npm run bench:replicas -- [--seconds 5] [--connections 10]
import { fork, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const SERVER = join(ROOT, 'dist/bundle/server.mjs')
const { values: opts } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '10' } } })
const SECONDS = Number(opts.seconds)
const CONNECTIONS = Number(opts.connections)
const SECRET = 'bench-fleet-secret'
const NGINX = ['/usr/sbin/nginx', 'nginx'].find((cmd) => spawnSync(cmd, ['-v']).status === 0)
const INITECH = { 'x-auth-account-url': 'https://initech.ispringlearn.com', 'x-auth-email': 'owner@initech.test', 'x-auth-password': 'initech-pass', accept: 'application/json' }
const PATCH_URL = '/__admin/tenants/concur/acme/users/'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const children = []
const work = mkdtempSync(join(tmpdir(), 'users-api-mock-bench-fleet-'))

async function freePort () {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

function track (child) {
  children.push(child)
  return child
}

async function waitFor (url) {
  for (let i = 0; i < 300; i++) {
    if ((await fetch(url).catch(() => undefined))?.status === 200) return
    await sleep(50)
  }
  throw new Error(`${url} did not answer`)
}

async function startRedis () {
  const port = await freePort()
  track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }))
  await sleep(300)
  return `redis://127.0.0.1:${port}/0`
}

async function startReplica (args) {
  const port = await freePort()
  track(spawn(process.execPath, [SERVER, '--port', String(port), '--log-level', 'warn', '--journal-size', '0', ...args], { stdio: 'ignore' }))
  await waitFor(`http://127.0.0.1:${port}/health`)
  return { port, base: `http://127.0.0.1:${port}` }
}

async function startNginx (replicas) {
  const port = await freePort()
  let conf = readFileSync(join(ROOT, 'deploy/compose/nginx.conf'), 'utf8')
  replicas.forEach((r, i) => { conf = conf.replace(`server mock-${i + 1}:8080`, `server 127.0.0.1:${r.port}`) })
  // Plain HTTP only here: the stream (TLS passthrough) block is dropped.
  conf = conf.replace(/\nstream \{[\s\S]*$/, '\n').replace('listen 80;', `listen 127.0.0.1:${port};`)
    .replace('pid /tmp/nginx.pid;', `pid ${work}/nginx.pid;\nerror_log ${work}/error.log;`)
    .replace('access_log off;', `access_log off;\n  client_body_temp_path ${work}/body;\n  proxy_temp_path ${work}/proxy;\n  fastcgi_temp_path ${work}/fastcgi;\n  uwsgi_temp_path ${work}/uwsgi;\n  scgi_temp_path ${work}/scgi;`)
  writeFileSync(join(work, 'nginx.conf'), conf)
  track(spawn(NGINX, ['-p', work, '-c', join(work, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' }))
  await waitFor(`http://127.0.0.1:${port}/health`)
  return `http://127.0.0.1:${port}`
}

/** autocannon in its own process (bench/load.mjs). */
function load (options) {
  const child = fork(join(ROOT, 'bench/load.mjs'))
  return new Promise((resolve, reject) => {
    child.once('message', (result) => { child.kill(); resolve(result) })
    child.once('error', reject)
    child.send({ connections: CONNECTIONS, warmupSeconds: 1, seconds: SECONDS, ...options })
  })
}

const read = (base) => load({ url: `${base}/ispring/users/v2?pageSize=100`, method: 'GET', headers: INITECH })
const write = (base, userId) => load({ url: `${base}${PATCH_URL}${userId}`, method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Active: true }) })

async function firstAcmeUser (base) {
  const token = await (await fetch(`${base}/concur/oauth2/v0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: '1d3b8a2e-6c0f-4e7a-9b5d-0a1c2e3f4d5e', client_secret: 'demo-concur-secret', grant_type: 'password', username: '3a9c5e7b-2d4f-4b6a-8c0e-1f3a5b7d9e02', password: 'at-acme-request-token', credtype: 'authtoken' })
  })).json()
  const page = await (await fetch(`${base}/concur/users/?limit=1`, { headers: { authorization: `Bearer ${token.access_token}` } })).json()
  return page.Items[0].ID
}

async function propagation (from, to, count = 200) {
  const lags = []
  for (let i = 0; i < count; i++) {
    const moved = await (await fetch(`${from}/__admin/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advanceSeconds: 1 }) })).json()
    const answered = performance.now()
    for (;;) {
      const seen = await (await fetch(`${to}/__admin/clock`)).json()
      if (seen.offsetSeconds >= moved.offsetSeconds) break
    }
    lags.push(performance.now() - answered)
  }
  lags.sort((a, b) => a - b)
  return { p50: lags[Math.floor(count / 2)], p99: lags[Math.floor(count * 0.99)] }
}

async function main () {
  if (NGINX === undefined || spawnSync('redis-server', ['--version']).status !== 0) throw new Error('needs redis-server and nginx (apt-get install redis-server nginx libnginx-mod-stream)')
  const results = {}
  const alone = await startReplica([])
  const userId = await firstAcmeUser(alone.base)
  results.readAlone = await read(alone.base)
  results.writeAlone = await write(alone.base, userId)

  const redis = await startRedis()
  const shared = ['--state-url', redis, '--secret', SECRET]
  const one = await startReplica(shared)
  results.readOneShared = await read(one.base)
  results.writeOneShared = await write(one.base, userId)
  const two = await startReplica(shared)
  const three = await startReplica(shared)
  const lb = await startNginx([one, two, three])
  results.readFleet = await read(lb)
  results.writeFleet = await write(lb, userId)
  results.propagation = await propagation(one.base, two.base)

  const rows = [
    ['cached list page, one replica, no Redis', results.readAlone],
    ['cached list page, one replica with Redis', results.readOneShared],
    ['cached list page, 3 replicas behind nginx', results.readFleet],
    ['write (admin PATCH), one replica, no Redis', results.writeAlone],
    ['write, one replica with Redis', results.writeOneShared],
    ['write, 3 replicas behind nginx', results.writeFleet]
  ]
  const cores = cpus().length
  console.log(`\n${cores} cores; ${SECONDS} s per row, ${CONNECTIONS} connections\n`)
  console.log('| scenario | req/s | per core | p50 ms | p99 ms | non-2xx |')
  console.log('|---|---:|---:|---:|---:|---:|')
  for (const [name, r] of rows) console.log(`| ${name} | ${Math.round(r.requestsPerSecond)} | ${Math.round(r.requestsPerSecond / cores)} | ${r.p50} | ${r.p99} | ${r.non2xx} |`)
  console.log(`\nfleet / alone, reads: ${(results.readFleet.requestsPerSecond / results.readAlone.requestsPerSecond).toFixed(2)}; writes with Redis / without: ${(results.writeOneShared.requestsPerSecond / results.writeAlone.requestsPerSecond).toFixed(2)}`)
  console.log(`propagation (answer on one replica → served by another, HTTP polling included): p50 ${results.propagation.p50.toFixed(1)} ms, p99 ${results.propagation.p99.toFixed(1)} ms`)
  writeFileSync(join(ROOT, 'bench/replicas-results.json'), JSON.stringify({ cores, seconds: SECONDS, connections: CONNECTIONS, ...results }, null, 2) + '\n')
}

try {
  await main()
} finally {
  // SIGTERM: nginx's master stops its workers (SIGKILL would leave them running).
  for (const child of children) child.kill('SIGTERM')
  rmSync(work, { recursive: true, force: true })
}
