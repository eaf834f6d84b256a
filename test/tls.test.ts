/**
 * The HTTPS listener: a client that hard-codes the vendor's https URL runs unchanged when only
 * its DNS (here: the request's `lookup`) and its trust store (the served CA, nothing else) are
 * changed; without the CA the handshake fails. The local CA survives restarts in the state
 * directory; a brought certificate is served as it is.
 */
import { execFile } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { buildMockServer, type MockOptions, type MockServer } from '../src/index.js'
import { parseCli } from '../src/cli.js'
import { ConfigError, resolveConfig } from '../src/config.js'
import { certificateNames, localCertificates } from '../src/core/tls.js'
import { DEMO } from '../src/demo.js'
import { form, passwordGrant } from './helper.js'

/** Every host name resolves to the loopback mock: the `--resolve` of the test. */
const toLoopback: LookupFunction = (_hostname, options, callback) => {
  if (typeof options === 'object' && options.all === true) (callback as unknown as (e: null, a: Array<{ address: string, family: number }>) => void)(null, [{ address: '127.0.0.1', family: 4 }])
  else callback(null, '127.0.0.1', 4)
}

interface Answer { status: number, headers: Record<string, string | string[] | undefined>, body: string }

/** A plain Node https request to `url` (host name kept: SNI, Host header and certificate check use it). */
async function get (url: string, options: { ca?: string, method?: string, headers?: Record<string, string>, body?: string, port: number }): Promise<Answer> {
  const target = new URL(url)
  return await new Promise<Answer>((resolve, reject) => {
    const req = httpsRequest({
      hostname: target.hostname,
      port: options.port,
      path: target.pathname + target.search,
      method: options.method ?? 'GET',
      headers: options.headers,
      lookup: toLoopback,
      agent: false,
      // The CA given here replaces Node's bundled roots: it is the only trust anchor.
      ...(options.ca !== undefined ? { ca: options.ca } : {})
    }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

function stateDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'users-api-mock-tls-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

async function listening (t: Test, options: MockOptions): Promise<{ app: MockServer, port: number }> {
  const app = await buildMockServer({ tls: true, ...options })
  t.teardown(async () => { await app.close() })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = await (app.mock.tls as NonNullable<MockServer['mock']['tls']>).listen(0, '127.0.0.1')
  return { app, port }
}

t.test('a client hard-coding https://us.api.concursolutions.com runs unchanged with the CA trusted', async (t) => {
  const { app, port } = await listening(t, { stateDir: stateDir(t) })
  const caAnswer = await app.inject({ url: '/__admin/ca.pem' })
  t.equal(caAnswer.statusCode, 200)
  t.equal(caAnswer.headers['content-type'], 'application/x-pem-file')
  const ca = caAnswer.body
  t.match(ca, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/)
  t.equal(new X509Certificate(ca).ca, true, 'the served certificate is a CA')

  const host = 'https://us.api.concursolutions.com'
  const token = await get(`${host}/oauth2/v0/token`, {
    port, ca, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(passwordGrant())
  })
  t.equal(token.status, 200)
  const tokens = JSON.parse(token.body) as { access_token: string, geolocation: string }
  t.equal(tokens.geolocation, `${host}:${port}`, 'geolocation is the https host the client called, no proxy header needed')

  const page = await get(`${host}/users/?limit=2`, { port, ca, headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.equal(page.status, 200)
  const overHttp = await app.inject({ url: '/concur/users/?limit=2', headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.equal(page.body, overHttp.body, 'the same page as over HTTP')

  const owner = DEMO.ispring.demo.users.owner
  const headers = { 'x-auth-account-url': DEMO.ispring.demo.accountUrl, 'x-auth-email': owner.email, 'x-auth-password': owner.password }
  const users = await get('https://demo.ispringlearn.com/api/v2/users/v2?pageSize=2', { port, ca, headers })
  t.equal(users.status, 200)
  t.equal(users.headers['content-type'], 'application/xml; charset=utf-8')
  t.equal(users.body, (await app.inject({ url: '/ispring/users/v2?pageSize=2', headers })).body, 'iSpring over HTTPS on its own host name')

  const local = await get('https://localhost/health', { port, ca })
  t.equal(local.status, 200, 'localhost is covered too')
})

t.test('without the CA in the trust store the handshake fails', async (t) => {
  const { app, port } = await listening(t, { stateDir: stateDir(t) })
  await t.rejects(get('https://us.api.concursolutions.com/health', { port }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, "Node's own roots do not trust the mock")
  const otherCa = (await localCertificates(stateDir(t), ['localhost'])).caPem as string
  await t.rejects(get('https://us.api.concursolutions.com/health', { port, ca: otherCa }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'another local CA does not either')
  const ca = app.mock.tls?.material.caPem as string
  await t.rejects(get('https://example.com/health', { port, ca }), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'a host the certificate does not name is refused')
})

t.test('the local CA is kept in the state directory and reused', async (t) => {
  const dir = stateDir(t)
  const names = certificateNames(['*.api.concursolutions.com'])
  const first = await localCertificates(dir, names)
  t.equal(statSync(join(dir, 'ca-key.pem')).mode & 0o777, 0o600, 'the CA key is readable by its owner only')
  t.equal(statSync(join(dir, 'server-key.pem')).mode & 0o777, 0o600)
  const second = await localCertificates(dir, names)
  t.same(second, first, 'a restart reuses the CA and the server certificate')

  const renamed = await localCertificates(dir, [...names, '*.example.test'])
  t.equal(renamed.caPem, first.caPem, 'the CA stays when the host list changes')
  t.not(renamed.cert, first.cert, 'the server certificate is made again for the new names')
  t.match(new X509Certificate(renamed.cert).subjectAltName, /DNS:\*\.example\.test/)

  const later = await localCertificates(dir, [...names, '*.example.test'], Date.now() + 380 * 86_400_000)
  t.equal(later.caPem, first.caPem)
  t.not(later.cert, renamed.cert, 'a server certificate near expiry is renewed')
  const cert = new X509Certificate(later.cert)
  t.ok(cert.checkIssued(new X509Certificate(first.caPem as string)), 'still issued by the same CA')
  t.match(cert.subjectAltName, /IP Address:127\.0\.0\.1/)
})

t.test('replicas starting together on one state directory share one CA', async (t) => {
  const dir = stateDir(t)
  const names = certificateNames(['*.api.concursolutions.com'])
  const made = await Promise.all(Array.from({ length: 4 }, async () => await localCertificates(dir, names)))
  const cas = new Set(made.map((m) => m.caPem))
  t.equal(cas.size, 1, 'one CA for all four')
  const ca = new X509Certificate(made[0]?.caPem as string)
  for (const m of made) t.ok(new X509Certificate(m.cert).verify(ca.publicKey), 'each server certificate is signed by it')
  t.equal(readFileSync(join(dir, 'ca.pem'), 'utf8'), made[0]?.caPem)
  t.same(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left')
})

t.test('a fleet\'s CA placed in the state directory (read-only, as a mounted Secret) is used', async (t) => {
  const made = await localCertificates(stateDir(t), ['localhost'])
  const dir = stateDir(t)
  const source = join(dir, '..', `${dir.split('/').pop() as string}-source`)
  const fleet = await localCertificates(source, ['localhost'])
  t.teardown(() => { rmSync(source, { recursive: true, force: true }) })
  writeFileSync(join(dir, 'ca-key.pem'), readFileSync(join(source, 'ca-key.pem')), { mode: 0o400 })
  const used = await localCertificates(dir, ['localhost'])
  t.equal(used.caPem, fleet.caPem, 'the given CA, not a new one')
  t.not(used.caPem, made.caPem)
  t.ok(new X509Certificate(used.cert).verify(new X509Certificate(fleet.caPem as string).publicKey))
})

t.test('the listener names every vendor host and survives a restart with the same CA', async (t) => {
  const dir = stateDir(t)
  const first = await listening(t, { stateDir: dir })
  const ca = first.app.mock.tls?.material.caPem as string
  const san = new X509Certificate(first.app.mock.tls?.material.cert as string).subjectAltName as string
  for (const name of ['DNS:localhost', 'IP Address:127.0.0.1', 'DNS:*.api.concursolutions.com', 'DNS:www-us.api.concursolutions.com', 'DNS:*.ispringlearn.com', 'DNS:*.ispring.com', 'DNS:*.ispringlearn.eu', 'DNS:*.ispring.eu', 'DNS:api-learn.ispringlearn.com']) {
    t.ok(san.split(', ').includes(name), `the certificate names ${name}`)
  }
  await first.app.close()
  t.equal(first.app.mock.tls?.address(), null, 'closing the app closes the HTTPS listener')
  await t.rejects(get('https://localhost/health', { port: first.port, ca }), { code: 'ECONNREFUSED' })

  const again = await listening(t, { stateDir: dir })
  t.equal(again.app.mock.tls?.material.caPem, ca, 'the same CA after a restart: trust it once')
  t.equal((await get('https://api-learn.ispringlearn.com/health', { port: again.port, ca })).status, 200)
})

t.test('a certificate the user brings is served as it is', async (t) => {
  const dir = stateDir(t)
  const made = await localCertificates(join(dir, 'elsewhere'), ['localhost', 'mock.example.test'])
  writeFileSync(join(dir, 'cert.pem'), made.cert)
  writeFileSync(join(dir, 'key.pem'), made.key)
  const { app, port } = await listening(t, { tls: false, tlsCert: join(dir, 'cert.pem'), tlsKey: join(dir, 'key.pem'), stateDir: join(dir, 'unused') })
  t.equal((await get('https://mock.example.test/health', { port, ca: made.caPem as string })).status, 200)
  const ca = await app.inject({ url: '/__admin/ca.pem' })
  t.equal(ca.statusCode, 404)
  t.same(ca.json(), { statusCode: 404, code: 'MOCK_NO_LOCAL_CA', error: 'Not Found', message: 'The mock serves the certificate given by --tls-cert; it has no local CA to hand out' })
  t.throws(() => statSync(join(dir, 'unused')), { code: 'ENOENT' }, 'no local CA is made')
  t.equal(readFileSync(join(dir, 'cert.pem'), 'utf8'), app.mock.tls?.material.cert)
})

t.test('options', async (t) => {
  const off = await buildMockServer()
  t.teardown(async () => { await off.close() })
  t.equal(off.mock.tls, null, 'no HTTPS unless asked')
  const ca = await off.inject({ url: '/__admin/ca.pem' })
  t.equal(ca.statusCode, 404)
  t.same(ca.json(), { statusCode: 404, code: 'MOCK_TLS_DISABLED', error: 'Not Found', message: 'The mock serves no HTTPS, so it has no CA: start it with --tls (or TLS=true)' })

  t.throws(() => resolveConfig({ tlsCert: 'cert.pem' }), new ConfigError('invalid option tlsCert/tlsKey: give both the certificate and its key, or neither (the local CA then makes one)'))
  t.equal(resolveConfig({ tlsCert: 'c', tlsKey: 'k' }).tls, true, 'a brought certificate implies tls')
  t.equal(resolveConfig({}).tlsPort, 8443)
  await t.rejects(buildMockServer({ tlsCert: '/nonexistent/cert.pem', tlsKey: '/nonexistent/key.pem' }), { name: 'Error', message: /^cannot set up TLS: ENOENT/ })

  t.same(parseCli(['--tls'], {}), { kind: 'run', options: { tls: true } }, 'a bare boolean flag means true')
  t.same(parseCli(['--tls', '--tls-port', '9443'], {}), { kind: 'run', options: { tls: true, tlsPort: 9443 } })
  t.same(parseCli(['--tls', 'false'], {}), { kind: 'run', options: { tls: false } })
  t.same(parseCli([], { TLS: 'true', TLS_PORT: '0', STATE_DIR: '/var/lib/mock' }), { kind: 'run', options: { tls: true, tlsPort: 0, stateDir: '/var/lib/mock' } })
})

t.test('an unchanged client on https://us.api.concursolutions.com (port 443): only DNS and the trust store differ', async (t) => {
  const dir = stateDir(t)
  const app = await buildMockServer({ tls: true, stateDir: dir })
  t.teardown(async () => { await app.close() })
  await app.ready()
  try {
    await app.mock.tls?.listen(443, '127.0.0.1')
  } catch (err) {
    // Port 443 needs root (or a lowered ip_unprivileged_port_start); CI runs as root.
    t.skip(`cannot listen on 127.0.0.1:443 here: ${(err as Error).message}`, () => {})
    return
  }
  // The "--resolve" of the test: a preload that sends the vendors' host names to 127.0.0.1.
  writeFileSync(join(dir, 'resolve.mjs'), `import dns from 'node:dns'
const lookup = dns.lookup
dns.lookup = function (hostname, options, callback) {
  if (typeof options === 'function') { callback = options; options = {} }
  if (/\\.(concursolutions|ispringlearn)\\.com$/.test(hostname)) {
    return options.all ? process.nextTick(callback, null, [{ address: '127.0.0.1', family: 4 }]) : process.nextTick(callback, null, '127.0.0.1', 4)
  }
  return lookup.call(this, hostname, options, callback)
}
`)
  writeFileSync(join(dir, 'ca.crt'), app.mock.tls?.material.caPem as string)
  // Client code as written against the real Concur: nothing in it knows about the mock.
  const c = DEMO.concur
  writeFileSync(join(dir, 'client.mjs'), `
const res = await fetch('https://us.api.concursolutions.com/oauth2/v0/token', {
  method: 'POST',
  body: new URLSearchParams(${JSON.stringify({ client_id: c.clientId, client_secret: c.clientSecret, grant_type: 'password', username: c.companies.acme.companyId, password: c.companies.acme.requestToken, credtype: 'authtoken' })})
})
const tokens = await res.json()
if (!tokens.geolocation.startsWith('https://') || !tokens.geolocation.endsWith('.api.concursolutions.com')) throw new Error('not a Concur geolocation: ' + tokens.geolocation)
const users = await fetch(tokens.geolocation + '/users/?limit=3', { headers: { authorization: 'Bearer ' + tokens.access_token } })
process.stdout.write(JSON.stringify({ status: users.status, geolocation: tokens.geolocation, body: await users.text() }))
`)
  const run = async (env: Record<string, string>) => await new Promise<{ code: number | null, stdout: string, stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', join(dir, 'resolve.mjs'), join(dir, 'client.mjs')], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : (err as { code?: number }).code ?? 1, stdout, stderr })
    })
  })
  const trusted = await run({ NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt') })
  t.equal(trusted.code, 0, trusted.stderr)
  const answer = JSON.parse(trusted.stdout) as { status: number, geolocation: string, body: string }
  t.equal(answer.geolocation, 'https://us.api.concursolutions.com')
  t.equal(answer.status, 200)
  const token = (await app.inject({ method: 'POST', url: '/concur/oauth2/v0/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form(passwordGrant('acme')) })).json() as { access_token: string }
  t.equal(answer.body, (await app.inject({ url: '/concur/users/?limit=3', headers: { authorization: `Bearer ${token.access_token}` } })).body, 'the users page the client read is the mock\'s')

  const untrusted = await run({})
  t.not(untrusted.code, 0, 'without the CA the same client fails')
  t.match(untrusted.stderr, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify the first certificate/)
})
