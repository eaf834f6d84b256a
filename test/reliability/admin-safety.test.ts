/**
 * Admin safety: with ADMIN_TOKEN set, no admin call works without exactly that bearer token,
 * whatever the method, path spelling, Host or look-alike credential (and /health stays open);
 * the request journal never holds a password, secret or bearer token in clear, wherever the
 * client put it (headers, form fields, the query string).
 */
import { connect } from 'node:net'
import fc from 'fast-check'
import t from 'tap'
import { build, CONCUR, concurToken, ISPRING, ispringToken } from '../helper.js'
import { check, expect, expectAdmin, FUZZ_RUNS, headerText } from './support.js'

const ADMIN_TOKEN = 'adm-9f3c2b7e-only-this-one'

const ROUTES: Array<[string, string]> = [
  ['GET', '/__admin/health'], ['GET', '/__admin/tenants'], ['POST', '/__admin/tenants'], ['GET', '/__admin/tenants/concur/acme'],
  ['DELETE', '/__admin/tenants/concur/acme'], ['POST', '/__admin/tenants/ispring/demo/users'],
  ['PATCH', '/__admin/tenants/ispring/demo/users/a1000000-0000-4000-8000-000000000001'], ['POST', '/__admin/reset'],
  ['GET', '/__admin/requests'], ['DELETE', '/__admin/requests'], ['POST', '/__admin/faults'], ['GET', '/__admin/faults'],
  ['DELETE', '/__admin/faults'], ['DELETE', '/__admin/faults/fault-1'], ['GET', '/__admin/clock'], ['POST', '/__admin/clock'],
  ['GET', '/__admin'], ['GET', '/__admin/'], ['GET', '/__admin/nope'], ['PUT', '/__admin/tenants'], ['OPTIONS', '/__admin/tenants']
]

t.test('with ADMIN_TOKEN set, every admin call without exactly that bearer token is 401', async (t) => {
  const app = await build(t, { adminToken: ADMIN_TOKEN, journalSize: 0 })
  const LOOK_ALIKES: Array<{ headers: Record<string, string>, ok: boolean }> = [
    { headers: {}, ok: false },
    { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, ok: true },
    { headers: { authorization: `bearer ${ADMIN_TOKEN}` }, ok: true },
    { headers: { authorization: `BEARER  ${ADMIN_TOKEN}` }, ok: true },
    { headers: { authorization: ADMIN_TOKEN }, ok: false },
    { headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` }, ok: false },
    { headers: { authorization: `Bearer ${ADMIN_TOKEN.toUpperCase()}` }, ok: false },
    { headers: { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }, ok: false },
    { headers: { authorization: `Bearer ${ADMIN_TOKEN}x` }, ok: false },
    { headers: { authorization: `Bearer ${ADMIN_TOKEN} ` }, ok: false },
    { headers: { authorization: `Bearer ${ADMIN_TOKEN},Bearer x` }, ok: false },
    { headers: { authorization: 'Bearer ' }, ok: false },
    { headers: { authorization: 'Bearer' }, ok: false },
    { headers: { 'x-admin-token': ADMIN_TOKEN }, ok: false },
    { headers: { cookie: `token=${ADMIN_TOKEN}` }, ok: false },
    { headers: { 'proxy-authorization': `Bearer ${ADMIN_TOKEN}` }, ok: false },
    { headers: { authorization: `Bearer ${CONCUR.clientSecret}` }, ok: false }
  ]
  const credential = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...LOOK_ALIKES) },
    { weight: 1, arbitrary: headerText(60).map((v) => ({ headers: { authorization: v }, ok: v.replace(/^bearer\s+/i, '') === ADMIN_TOKEN && /^bearer\s/i.test(v) })) }
  )
  const extra = fc.record({
    query: fc.constantFrom('', '?token=' + ADMIN_TOKEN, '?access_token=' + ADMIN_TOKEN, '?limit=1'),
    host: fc.constantFrom(undefined, 'us.api.concursolutions.com', 'demo.ispringlearn.com', 'localhost:8080'),
    json: fc.boolean()
  })
  await check(t, fc.asyncProperty(fc.constantFrom(...ROUTES), credential, extra, async ([method, path], cred, more) => {
    const headers: Record<string, string> = { ...cred.headers }
    if (more.host !== undefined) headers.host = more.host
    const hasBody = method === 'POST' || method === 'PATCH' || method === 'PUT'
    if (hasBody) headers['content-type'] = 'application/json'
    const res = await app.inject({ method: method as 'GET', url: path + more.query, headers, ...(hasBody ? { payload: more.json ? '{}' : '{"advanceSeconds":1}' } : {}) })
    if (!cred.ok) {
      const body = expectAdmin(res, [401], JSON.stringify(headers))
      expect(body.code === 'MOCK_ADMIN_UNAUTHORIZED', `${method} ${path}${more.query} with ${JSON.stringify(cred.headers)}: ${res.body}`)
    } else {
      expect(res.statusCode !== 401 && res.statusCode < 500, `${method} ${path} with the right token: ${res.statusCode} ${res.body.slice(0, 200)}`)
    }
    if (method === 'POST' && path === '/__admin/reset' && cred.ok) app.mock.store.reset()
  }), { seed: 701, numRuns: FUZZ_RUNS })

  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200, '/health stays open')
  t.notMatch(health.body, ADMIN_TOKEN)
})

t.test('path tricks on a real socket never reach the admin API without the token', async (t) => {
  const app = await build(t, { adminToken: ADMIN_TOKEN })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const port = Number(new URL(address).port)
  const get = async (target: string, host: string): Promise<string> => await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let out = ''
    socket.on('data', (d: Buffer) => { out += d.toString() })
    socket.on('close', () => resolve(out))
    socket.on('error', () => resolve(out))
    socket.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
  })
  const targets = ['/__admin/tenants', '/__admin/tenants/', '/__admin/../__admin/tenants', '/concur/../__admin/tenants', '/concur/%2e%2e/__admin/tenants',
    '/ispring/api/v2/../../__admin/tenants', '//__admin/tenants', '/__ADMIN/tenants', '/__admin%2ftenants', '/%5F_admin/tenants', '/__admin;/tenants',
    '/__admin/tenants?', '/__admin/tenants#x', '/__admin\\tenants', 'http://127.0.0.1/__admin/tenants', '/__admin/./tenants', '/./__admin/tenants']
  for (const target of targets) {
    for (const host of ['127.0.0.1', 'us.api.concursolutions.com', 'demo.ispringlearn.com']) {
      const raw = await get(target, host)
      const status = Number(raw.split(' ')[1])
      t.ok(status === 401 || status === 404 || status === 400, `${target} (Host ${host}): ${status}`)
      t.notMatch(raw, /clientSecret|requestTokens/, `${target} (Host ${host}) reveals no credentials`)
    }
  }
})

t.test('the journal never holds a password, secret or bearer token in clear', async (t) => {
  const app = await build(t, { adminToken: ADMIN_TOKEN, journalSize: 50 })
  const concur = await concurToken(app)
  const ispring = await ispringToken(app)
  const known = [concur.access_token, concur.refresh_token, concur.id_token, ispring, CONCUR.clientSecret, CONCUR.companies['company-name-llc'].requestToken,
    ISPRING.demo.clients.owner.clientSecret, ISPRING.demo.users['01'].password, ADMIN_TOKEN]
  // A fresh marker per run, so a leak of one run's secret cannot hide behind another's.
  const secret = fc.oneof(fc.constantFrom(...known), fc.stringMatching(/^[A-Za-z0-9._~-]{12,40}$/).map((s) => `zz${s}`))
  const headerPlace = fc.constantFrom(
    (s: string) => ({ authorization: `Bearer ${s}` }),
    (s: string) => ({ authorization: s }),
    (s: string) => ({ authorization: `Basic ${s}` }),
    (s: string) => ({ 'x-auth-password': s, 'x-auth-email': 'owner', 'x-auth-account-url': ISPRING.demo.accountUrl }),
    (s: string) => ({ cookie: `session=${s}` }),
    (s: string) => ({ 'proxy-authorization': `Bearer ${s}` })
  )
  const secretName = fc.constantFrom('client_secret', 'password', 'refresh_token', 'access_token', 'id_token', 'token', 'assertion', 'code_verifier', 'Client_Secret', 'PASSWORD', 'subject_token', 'clientSecret', 'x_password')
  const place = fc.oneof(
    headerPlace.map((f) => ({ kind: 'header' as const, f })),
    secretName.map((name) => ({ kind: 'form' as const, name })),
    secretName.map((name) => ({ kind: 'query' as const, name }))
  )
  const route = fc.constantFrom(
    { method: 'POST', url: '/concur/oauth2/v0/token' },
    { method: 'POST', url: '/ispring/api/v3/token' },
    { method: 'GET', url: '/concur/users/' },
    { method: 'GET', url: '/ispring/users/v2' },
    { method: 'DELETE', url: '/concur/app-mgmt/v0/connections' },
    { method: 'GET', url: '/concur/nope' }
  )
  await check(t, fc.asyncProperty(secret, place, route, fc.boolean(), async (s, where, r, twice) => {
    const headers: Record<string, string> = {}
    let url = r.url
    let payload: string | undefined
    if (where.kind === 'header') Object.assign(headers, where.f(s))
    if (where.kind === 'query') url += `?${where.name}=${encodeURIComponent(s)}${twice ? `&${where.name}=${encodeURIComponent(s)}` : ''}`
    if (where.kind === 'form') {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      payload = `client_id=${CONCUR.clientId}&${where.name}=${encodeURIComponent(s)}${twice ? `&${where.name}=${encodeURIComponent(s)}` : ''}`
    }
    await app.inject({ method: r.method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) })
    const journal = await app.inject({ method: 'GET', url: '/__admin/requests?limit=1', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    expect(journal.statusCode === 200, 'journal read')
    const text = journal.body
    const entry = (JSON.parse(text) as { requests: Array<{ path: string }> }).requests[0]
    expect(entry !== undefined, 'the request was journalled')
    expect(!text.includes(s) && !text.includes(encodeURIComponent(s)), `${where.kind} ${where.kind === 'header' ? JSON.stringify(where.f('…')) : where.name} on ${r.method} ${r.url}: the journal holds the secret: ${text.slice(0, 600)}`)
  }), { seed: 702, numRuns: FUZZ_RUNS })
})
