/**
 * Graceful shutdown of the built server: SIGTERM while a request is in flight (held by a delay
 * fault) lets that request finish, then the process exits 0 well within 5 s.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { CONCUR, form, passwordGrant } from './helper.js'

const SERVER = fileURLToPath(new URL('../dist/bundle/server.mjs', import.meta.url))

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal} finishes in-flight requests and exits 0`, async (t) => {
    const child = spawn(process.execPath, [SERVER, '--port', '0', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] })
    t.teardown(() => { child.kill('SIGKILL') })
    const address = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
        if (m !== null) resolve(m[1] as string)
      })
      child.on('exit', (code) => { reject(new Error(`exited early (${code}): ${out}`)) })
    })
    const token = await (await fetch(`${address}/concur/oauth2/v0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form(passwordGrant())
    })).json() as { access_token: string }
    t.ok(token.access_token, `token from ${CONCUR.clientId}`)
    const fault = await fetch(`${address}/__admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: { path: '/users/' }, action: { delayMs: 1000 } })
    })
    t.equal(fault.status, 201)

    const slow = fetch(`${address}/concur/users/`, { headers: { authorization: `Bearer ${token.access_token}` } })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const exited = new Promise<{ code: number | null, ms: number }>((resolve) => {
      const sent = Date.now()
      child.on('exit', (code) => resolve({ code, ms: Date.now() - sent }))
    })
    child.kill(signal)
    const res = await slow
    t.equal(res.status, 200, 'the in-flight request is answered')
    t.equal(((await res.json()) as { total: number }).total, 2)
    const { code, ms } = await exited
    t.equal(code, 0, 'exit code 0')
    t.ok(ms < 5000, `exited ${ms} ms after the signal`)
  })
}
