/**
 * The built CLI as a user runs it (npm test builds dist/ first): help, usage errors (exit 2),
 * broken fixtures (exit 1), and a real start that answers /health.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { CLI_OPTIONS } from '../src/cli.js'

const SERVER = fileURLToPath(new URL('../dist/bundle/server.mjs', import.meta.url))
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [SERVER, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 })

t.test('--help documents every flag and environment variable', async (t) => {
  const res = run(['--help'])
  t.equal(res.status, 0)
  for (const o of CLI_OPTIONS) {
    t.match(res.stdout, `--${o.flag}`, `flag --${o.flag}`)
    t.match(res.stdout, o.env, `variable ${o.env}`)
  }
})

t.test('a bad command line is a clear message and exit 2', async (t) => {
  const unknown = run(['--bogus'])
  t.equal(unknown.status, 2)
  t.match(unknown.stderr, /users-api-mock: Unknown option '--bogus'/)
  const badPort = run(['--port', 'eighty'])
  t.equal(badPort.status, 2)
  t.match(badPort.stderr, 'users-api-mock: --port must be a whole number, got "eighty"')
  const badEnv = run([], { PORT: '99999' })
  t.equal(badEnv.status, 2)
  t.match(badEnv.stderr, 'users-api-mock: invalid option port: must be <= 65535')
  const badLevel = run(['--log-level', 'loud'])
  t.equal(badLevel.status, 2)
  t.match(badLevel.stderr, /invalid option logLevel/)
})

t.test('broken fixtures stop the start with exit 1 and name file, path and problem', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'uam-cli-'))
  writeFileSync(join(dir, 'broken.json'), JSON.stringify({ vendor: 'concur', id: 'Bad Id' }))
  const res = run(['--fixtures', dir, '--port', '0'])
  t.equal(res.status, 1)
  t.match(res.stderr, 'users-api-mock: cannot load tenant fixtures:')
  t.match(res.stderr, /broken\.json: \$\.id: must match pattern/)
  t.notMatch(res.stderr, /\n\s+at /, 'no stack trace')
})

t.test('starts, answers /health, and exits 0 on SIGTERM', async (t) => {
  const started = Date.now()
  const child = spawn(process.execPath, [SERVER, '--port', '0', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const address = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(out)
      if (m !== null) resolve(m[1] as string)
    })
    child.on('exit', (code) => { reject(new Error(`exited ${code}: ${out}`)) })
  })
  const res = await fetch(`${address}/health`)
  t.equal(res.status, 200)
  t.comment(`spawn to first /health answer: ${Date.now() - started} ms`)
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve))
  child.kill('SIGTERM')
  t.equal(await exit, 0)
})

t.test('log lines: batched, yet a quiet server\'s line comes out by itself, and none is lost at exit', async (t) => {
  const child = spawn(process.execPath, [SERVER, '--port', '0', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const waitFor = (pattern: RegExp) => new Promise<RegExpExecArray>((resolve, reject) => {
    const check = (): void => {
      const m = pattern.exec(out)
      if (m === null) return
      child.stdout.off('data', check)
      resolve(m)
    }
    child.stdout.on('data', check)
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)))
    check()
  })
  const address = (await waitFor(/"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/))[1] as string
  const requestLines = (): Array<{ url: string, status: number }> => out.split('\n').filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l))

  t.equal((await fetch(`${address}/health?first`)).status, 200)
  await waitFor(/"url":"\/health\?first"/)
  t.same(requestLines().map((l) => [l.url, l.status]), [['/health?first', 200]], 'the line of a single request arrives with no more traffic')

  const urls = Array.from({ length: 400 }, (_, i) => `/health?n=${i}`)
  for (let i = 0; i < urls.length; i += 20) {
    await Promise.all(urls.slice(i, i + 20).map(async (u) => { await (await fetch(address + u)).arrayBuffer() }))
  }
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve))
  child.kill('SIGTERM')
  t.equal(await exit, 0)
  const logged = requestLines().map((l) => l.url)
  t.equal(logged.length, 401, 'every request has its line')
  t.same(new Set(logged), new Set(['/health?first', ...urls]))
  t.match(out, /"msg":"shutting down"/)
})

t.test('--tls serves HTTPS too, with the CA made in --state-dir; a busy TLS port is exit 1', async (t) => {
  const state = mkdtempSync(join(tmpdir(), 'users-api-mock-cli-tls-'))
  const child = spawn(process.execPath, [SERVER, '--port', '0', '--tls', '--tls-port', '0', '--state-dir', state, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const [http, https] = await new Promise<[string, string]>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const plain = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(out)
      const secure = /"msg":"HTTPS listening at (https:\/\/127\.0\.0\.1:\d+)"/.exec(out)
      if (plain !== null && secure !== null) resolve([plain[1] as string, secure[1] as string])
    })
    child.on('exit', (code) => { reject(new Error(`exited ${code}: ${out}`)) })
  })
  const ca = await (await fetch(`${http}/__admin/ca.pem`)).text()
  t.equal(ca, readFileSync(join(state, 'ca.pem'), 'utf8'), 'the served CA is the one kept in the state directory')
  const port = Number(new URL(https).port)
  const busy = run(['--port', '0', '--tls-port', String(port), '--tls', '--state-dir', state])
  t.equal(busy.status, 1, 'the HTTPS port is taken')
  t.match(busy.stderr, `users-api-mock: cannot listen for HTTPS on port ${port}: listen EADDRINUSE`)
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve))
  child.kill('SIGTERM')
  t.equal(await exit, 0)
})
