import t from 'tap'
import type { MockServer } from '../../src/app.js'
import { DEMO } from '../../src/demo.js'
import { build, concurToken, concurTokenRequest, concurUsers, legacyHeaders, passwordGrant } from '../helper.js'

async function addFault (app: MockServer, rule: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: '/__admin/faults', payload: rule })
  if (res.statusCode !== 201) throw new Error(`fault not added: ${res.body}`)
  return res.json() as { id: string }
}

t.test('status faults answer in each Concur envelope', async (t) => {
  const app = await build(t)
  const { access_token: token } = await concurToken(app)
  await addFault(app, { match: { vendor: 'concur', path: '/users' }, action: { status: 503 }, times: 1 })
  const users = await concurUsers(app, token)
  t.equal(users.statusCode, 503)
  t.same(Object.keys(users.json()), ['Message', 'Server-Time', 'Id'])
  t.equal(users.json().Message, 'Service Unavailable')
  t.equal(users.json().Id, users.headers['concur-correlationid'])

  await addFault(app, { match: { path: '/oauth2/v0/token' }, action: { status: 500 }, times: 1 })
  const token500 = await concurTokenRequest(app, passwordGrant())
  t.equal(token500.statusCode, 500)
  t.same(token500.json(), { error: 'server_error', error_description: 'Internal Server Error', code: 500 })

  await addFault(app, { match: { vendor: 'concur' }, action: { status: 429, retryAfterSeconds: 2 }, times: 1 })
  const limited = await concurUsers(app, token, 'limit=5')
  t.equal(limited.statusCode, 429)
  t.equal(limited.headers['retry-after'], '2')
  const body = limited.json()
  t.same(Object.keys(body), ['timestamp', 'httpStatus', 'error', 'path'])
  t.same([body.httpStatus, body.error, body.path], ['429 - Too Many Requests', { id: 'security.rate.limit.reached', message: 'Too many requests' }, '/users/'])
  t.equal((await concurUsers(app, token)).statusCode, 200, 'every rule used up')
})

t.test('times: 2 fails exactly two requests, then the rule is gone', async (t) => {
  const app = await build(t)
  const { access_token: token } = await concurToken(app)
  const { id } = await addFault(app, { match: { path: '/users/' }, action: { status: 502 }, times: 2 })
  t.match((await app.inject({ method: 'GET', url: '/__admin/faults' })).json().faults, [{ id, remaining: 2, hits: 0 }])
  const statuses = []
  for (let i = 0; i < 4; i++) statuses.push((await concurUsers(app, token)).statusCode)
  t.same(statuses, [502, 502, 200, 200])
  t.same((await app.inject({ method: 'GET', url: '/__admin/faults' })).json(), { faults: [] })
})

t.test('probability with a seed gives the same hit sequence twice; misses do not use up times', async (t) => {
  async function sequence () {
    const app = await build(t)
    const { access_token: token } = await concurToken(app)
    await addFault(app, { match: { path: '/users' }, action: { status: 503 }, probability: 0.5, seed: 7, times: 5 })
    const out: number[] = []
    for (let i = 0; i < 30; i++) out.push((await concurUsers(app, token)).statusCode)
    return out
  }
  const a = await sequence()
  const b = await sequence()
  t.same(a, b)
  t.equal(a.filter((s) => s === 503).length, 5, 'exactly `times` hits, however many misses')
  t.ok(a.slice(0, 10).includes(200), 'some misses among the first requests')
})

t.test('tenant-matched rules fire only once credentials identify the tenant', async (t) => {
  const app = await build(t)
  await addFault(app, { match: { tenant: 'acme' }, action: { status: 503 } })
  const acme = await concurTokenRequest(app, passwordGrant('acme'))
  t.equal(acme.statusCode, 503, 'the token request of acme')
  t.equal((await concurTokenRequest(app, passwordGrant('globex'))).statusCode, 200, 'another tenant')
  const anon = await app.inject({ method: 'GET', url: '/concur/users/' })
  t.equal(anon.statusCode, 401, 'never on unauthenticated requests')
})

t.test('delays: fixed and ranged; drop closes the connection', async (t) => {
  const app = await build(t)
  const { access_token: token } = await concurToken(app)
  await addFault(app, { match: { path: '/users' }, action: { delayMs: 150 }, times: 1 })
  const started = Date.now()
  const delayed = await concurUsers(app, token)
  t.equal(delayed.statusCode, 200)
  t.ok(Date.now() - started >= 145, 'answered after the delay')
  await addFault(app, { match: { path: '/users' }, action: { delayMs: { min: 20, max: 40 } }, times: 1 })
  t.equal((await concurUsers(app, token)).statusCode, 200)

  await addFault(app, { match: { path: '/users' }, action: { drop: true }, times: 1 })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  await t.rejects(fetch(`${address}/concur/users/`, { headers: { authorization: `Bearer ${token}` } }), 'the socket is closed without a response')
  const journal = (await app.inject({ method: 'GET', url: '/__admin/requests?limit=1' })).json().requests
  t.equal(journal[0].status, 0, 'a dropped request is journalled with status 0')
  t.equal((await fetch(`${address}/concur/users/`, { headers: { authorization: `Bearer ${token}` } })).status, 200)
})

t.test('X-Mock-Fault header', async (t) => {
  const app = await build(t)
  const { access_token: token } = await concurToken(app)
  const h = (v: string) => ({ authorization: `Bearer ${token}`, 'x-mock-fault': v })
  const s503 = await app.inject({ method: 'GET', url: '/concur/users/', headers: h('status=503') })
  t.equal(s503.statusCode, 503)
  t.equal(s503.json().Message, 'Service Unavailable')
  const s429 = await app.inject({ method: 'GET', url: '/concur/users/', headers: h('status=429; retry-after=1') })
  t.equal(s429.statusCode, 429)
  t.equal(s429.headers['retry-after'], '1')
  const started = Date.now()
  const slow = await app.inject({ method: 'GET', url: '/concur/users/', headers: h('delay=100') })
  t.equal(slow.statusCode, 200)
  t.ok(Date.now() - started >= 95)
  for (const bad of ['status=abc', 'status=200', 'colour=3', 'delay=999999', 'retry-after=1']) {
    const res = await app.inject({ method: 'GET', url: '/concur/users/', headers: h(bad) })
    t.equal(res.statusCode, 400, bad)
    t.match(res.json().Message, /^invalid X-Mock-Fault header: /, `${bad}: names the header`)
  }
})

t.test('bad fault rules are 400s', async (t) => {
  const app = await build(t)
  for (const rule of [{}, { action: {} }, { action: { status: 200 } }, { action: { drop: true, status: 500 } }, { action: { retryAfterSeconds: 1 } }, { action: { delayMs: { min: 5, max: 1 } } }, { action: { status: 500 }, match: { vendor: 'workday' } }, { action: { status: 500 }, probability: 2 }, { action: { status: 500 }, extra: 1 }]) {
    const res = await app.inject({ method: 'POST', url: '/__admin/faults', payload: rule })
    t.equal(res.statusCode, 400, JSON.stringify(rule))
  }
  const { id } = await addFault(app, { action: { status: 500 }, match: { path: '/x' } })
  t.equal((await app.inject({ method: 'DELETE', url: `/__admin/faults/${id}` })).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: `/__admin/faults/${id}` })).statusCode, 404)
})

t.test('iSpring faults: {code, message} in the negotiated format, tenant-matched after auth', async (t) => {
  const app = await build(t)
  const auth = legacyHeaders(DEMO.ispring.demo.users.owner.email, DEMO.ispring.demo.users.owner.password, DEMO.ispring.demo.accountUrl)
  await addFault(app, { match: { vendor: 'ispring', tenant: 'demo', path: '/users/v2' }, action: { status: 429, retryAfterSeconds: 3 }, times: 2 })
  const json = await app.inject({ method: 'GET', url: '/ispring/users/v2', headers: { ...auth, accept: 'application/json' } })
  t.equal(json.statusCode, 429)
  t.equal(json.headers['retry-after'], '3')
  t.same(json.json(), { code: 429, message: 'Too Many Requests' })
  const xml = await app.inject({ method: 'GET', url: '/ispring/api/v2/users/v2', headers: auth })
  t.equal(xml.statusCode, 429, 'the /api/v2 alias is the same path for fault rules')
  t.equal(xml.body, '<?xml version="1.0" encoding="UTF-8"?><response><code>429</code><message>Too Many Requests</message></response>')
  const anon = await app.inject({ method: 'GET', url: '/ispring/users/v2' })
  t.equal(anon.statusCode, 401, 'not on unauthenticated requests')
  t.equal((await app.inject({ method: 'GET', url: '/ispring/users/v2', headers: auth })).statusCode, 200)
  const header = await app.inject({ method: 'GET', url: '/ispring/users', headers: { ...auth, accept: 'application/json', 'x-mock-fault': 'status=503' } })
  t.same([header.statusCode, header.json()], [503, { code: 503, message: 'Service Unavailable' }])
  const bad = await app.inject({ method: 'GET', url: '/ispring/users', headers: { ...auth, accept: 'application/json', 'x-mock-fault': 'explode=1' } })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().message, /^Bad Request: invalid X-Mock-Fault header: unknown setting "explode"/)
})

t.test('match.method narrows a rule', async (t) => {
  const app = await build(t)
  await addFault(app, { match: { method: 'POST' }, action: { status: 500 } })
  t.equal((await app.inject({ method: 'GET', url: '/concur/users/' })).statusCode, 401, 'a GET is not matched')
  t.equal((await concurTokenRequest(app, passwordGrant())).statusCode, 500)
})
