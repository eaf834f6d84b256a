import t from 'tap'
import { build, CONCUR, concurToken, concurTokenRequest, concurUsers, passwordGrant, pinClock } from '../helper.js'

const NEW_COMPANY = {
  vendor: 'concur',
  id: 'per-test',
  name: 'Per Test Inc',
  companyId: 'abcdef01-2345-4678-89ab-cdef01234567',
  company: { name: 'Per Test Inc', address: '1 Test St', city: 'Testville', state: 'TS', zip: '00000', country: 'US' },
  clients: [{ clientId: CONCUR.clientId, clientSecret: CONCUR.clientSecret }],
  requestTokens: [{ token: 'at-per-test', clientId: CONCUR.clientId, neverExpires: true }],
  users: [{ ID: 'U-1', LoginID: 'one@per.test', PrimaryEmail: 'one@per.test', EmployeeID: '1', FirstName: 'One', LastName: 'First' }]
}
const perTestGrant = { ...passwordGrant(), username: NEW_COMPANY.companyId, password: 'at-per-test' }

t.test('health at /health and /__admin/health', async (t) => {
  const app = await build(t)
  for (const url of ['/health', '/__admin/health']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.same(Object.keys(body), ['status', 'version', 'uptimeSeconds', 'tenants'])
    t.equal(body.status, 'ok')
    t.equal(body.tenants.concur, 3)
  }
})

t.test('tenants: list, create, read, use, delete', async (t) => {
  const app = await build(t)
  const list = (await app.inject({ method: 'GET', url: '/__admin/tenants' })).json()
  const acme = list.tenants.find((x: { id: string }) => x.id === 'acme')
  t.match(acme, { vendor: 'concur', id: 'acme', name: 'Acme Corporation', source: 'fixtures/concur-acme.json', userCount: 2500, companyId: CONCUR.companies.acme.companyId })
  t.match(acme.credentials.requestTokens, [{ token: CONCUR.companies.acme.requestToken }, { token: CONCUR.companies.acme.otherRequestToken }])

  const created = await app.inject({ method: 'POST', url: '/__admin/tenants', payload: NEW_COMPANY })
  t.equal(created.statusCode, 201)
  t.match(created.json(), { vendor: 'concur', id: 'per-test', source: 'runtime', userCount: 1 })
  const token = (await concurTokenRequest(app, perTestGrant)).json().access_token
  const users = (await concurUsers(app, token)).json()
  t.same(users.Items.map((u: { LoginID: string }) => u.LoginID), ['one@per.test'])

  const again = await app.inject({ method: 'POST', url: '/__admin/tenants', payload: NEW_COMPANY })
  t.equal(again.statusCode, 409)
  t.same(again.json(), { statusCode: 409, code: 'MOCK_TENANT_CONFLICT', error: 'Conflict', message: 'concur tenant "per-test" already exists' })
  const sameCompany = await app.inject({ method: 'POST', url: '/__admin/tenants', payload: { ...NEW_COMPANY, id: 'other' } })
  t.equal(sameCompany.statusCode, 409)

  t.equal((await app.inject({ method: 'GET', url: '/__admin/tenants/concur/per-test' })).json().userCount, 1)
  const del = await app.inject({ method: 'DELETE', url: '/__admin/tenants/concur/per-test' })
  t.equal(del.statusCode, 204)
  t.equal((await concurUsers(app, token)).statusCode, 401, 'its tokens stop working')
  const gone = await app.inject({ method: 'GET', url: '/__admin/tenants/concur/per-test' })
  t.equal(gone.statusCode, 404)
  t.equal(gone.json().code, 'MOCK_TENANT_NOT_FOUND')
})

t.test('an invalid tenant body is a 400 naming the JSON path', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'POST', url: '/__admin/tenants', payload: { ...NEW_COMPANY, users: [{ ...NEW_COMPANY.users[0], Active: 'yes' }] } })
  t.equal(res.statusCode, 400)
  t.same(res.json(), {
    statusCode: 400,
    code: 'MOCK_INVALID_FIXTURE',
    error: 'Bad Request',
    message: '$.users[0].Active: must be boolean',
    issues: [{ path: '$.users[0].Active', message: 'must be boolean' }]
  })
  const notJson = await app.inject({ method: 'POST', url: '/__admin/tenants', headers: { 'content-type': 'application/json' }, payload: '{oops' })
  t.equal(notJson.statusCode, 400)
  t.notMatch(notJson.body, /at .*\.js/, 'no stack')
})

t.test('add and patch users; answers reflect the change immediately', async (t) => {
  const app = await build(t)
  const { access_token: token } = await concurToken(app)
  const before = (await concurUsers(app, token, 'isactive=true')).json()
  t.equal(before.total, 2)
  t.equal((await concurUsers(app, token)).json().Items[0].Active, true, 'the cached JSON of John is warm')

  const add = await app.inject({ method: 'POST', url: '/__admin/tenants/concur/company-name-llc/users', payload: { users: [{ ID: 'N-1', LoginID: 'new@x.test', PrimaryEmail: 'new@x.test', EmployeeID: 'N1', FirstName: 'New', LastName: 'Person' }] } })
  t.equal(add.statusCode, 201)
  t.same(add.json(), { added: ['N-1'] })
  const dup = await app.inject({ method: 'POST', url: '/__admin/tenants/concur/company-name-llc/users', payload: { users: [{ ID: 'N-2', LoginID: 'JOHNDOE@gmail.com', PrimaryEmail: 'x', EmployeeID: 'N2', FirstName: 'X', LastName: 'Y' }] } })
  t.equal(dup.statusCode, 400)
  t.equal(dup.json().message, '$.users[0].LoginID: duplicate LoginID "JOHNDOE@gmail.com" (also an existing user)')
  const badField = await app.inject({ method: 'POST', url: '/__admin/tenants/concur/company-name-llc/users', payload: { users: [{ ID: 'N-3' }] } })
  t.equal(badField.statusCode, 400)
  t.match(badField.json().message, /^\$\.users\[0\]: must have required properties/)

  const patch = await app.inject({ method: 'PATCH', url: '/__admin/tenants/concur/company-name-llc/users/99bfffc3-c0be-44ff-a441-ae1ffffff75b8', payload: { Active: false, LastName: 'Smith' } })
  t.equal(patch.statusCode, 200)
  const after = (await concurUsers(app, token)).json()
  t.same(after.Items.map((u: { LoginID: string, Active: boolean, LastName: string }) => [u.LoginID, u.Active, u.LastName]), [
    ['johndoe@gmail.com', false, 'Smith'], ['janedoe@gmail.com', true, 'Doe'], ['new@x.test', true, 'Person']
  ])
  t.equal((await concurUsers(app, token, 'isactive=true')).json().total, 2, 'indexes follow the change')
  t.equal((await concurUsers(app, token, 'lastname=smith')).json().total, 1)
  const badPatch = await app.inject({ method: 'PATCH', url: '/__admin/tenants/concur/company-name-llc/users/N-1', payload: { Active: 'no' } })
  t.equal(badPatch.statusCode, 400)
  t.equal(badPatch.json().message, '$.Active: must be boolean')
  const noUser = await app.inject({ method: 'PATCH', url: '/__admin/tenants/concur/company-name-llc/users/nobody', payload: { Active: false } })
  t.equal(noUser.statusCode, 404)
  t.equal(noUser.json().code, 'MOCK_USER_NOT_FOUND')
})

t.test('reset goes back to the fixtures: tenants, users, tokens, journal, faults, clock', async (t) => {
  const app = await build(t)
  const { access_token: token } = await concurToken(app)
  await app.inject({ method: 'POST', url: '/__admin/tenants', payload: NEW_COMPANY })
  await app.inject({ method: 'PATCH', url: '/__admin/tenants/concur/company-name-llc/users/55FFF504-C7B8-49FF-9E15-6248FFFFFCDB', payload: { Active: false } })
  await app.inject({ method: 'POST', url: '/__admin/faults', payload: { match: { path: '/nothing' }, action: { status: 500 } } })
  await app.inject({ method: 'POST', url: '/__admin/clock', payload: { advanceSeconds: 100 } })
  const res = await app.inject({ method: 'POST', url: '/__admin/reset' })
  t.equal(res.statusCode, 204)
  t.equal((await concurUsers(app, token)).statusCode, 401, 'tokens revoked')
  t.equal((await app.inject({ method: 'GET', url: '/__admin/tenants/concur/per-test' })).statusCode, 404)
  const fresh = (await concurToken(app)).access_token
  t.same((await concurUsers(app, fresh)).json().Items.map((u: { Active: boolean }) => u.Active), [true, true])
  t.same((await app.inject({ method: 'GET', url: '/__admin/faults' })).json(), { faults: [] })
  t.equal((await app.inject({ method: 'GET', url: '/__admin/clock' })).json().offsetSeconds, 0)
  const journal = (await app.inject({ method: 'GET', url: '/__admin/requests?path=/users/' })).json().requests
  t.same(journal.map((r: { status: number }) => r.status), [200, 401], 'journal cleared: only the requests after reset')
})

t.test('the mock clock: read, advance, set; a token expires exactly at its lifetime', async (t) => {
  const app = await build(t)
  const c0 = (await app.inject({ method: 'GET', url: '/__admin/clock' })).json()
  t.same(Object.keys(c0), ['now', 'epochMs', 'startedAt', 'offsetSeconds'])
  const first = await app.inject({ method: 'POST', url: '/__admin/clock', payload: { advanceSeconds: 60 } })
  t.equal(first.json().offsetSeconds, 60)
  // From the start of a whole second: a token issued at x.999 s would otherwise expire a moment early.
  await pinClock(app)
  const { access_token: token } = await concurToken(app)
  const before = (await app.inject({ method: 'GET', url: '/__admin/clock' })).json().offsetSeconds
  const advanced = await app.inject({ method: 'POST', url: '/__admin/clock', payload: { advanceSeconds: 3599 } })
  t.ok(Math.abs(advanced.json().offsetSeconds - before - 3599) <= 1, 'advanced by 3599 s (offsets are whole seconds, rounded)')
  t.equal((await concurUsers(app, token)).statusCode, 200)
  await app.inject({ method: 'POST', url: '/__admin/clock', payload: { advanceSeconds: 1 } })
  t.equal((await concurUsers(app, token)).statusCode, 401)
  const set = await app.inject({ method: 'POST', url: '/__admin/clock', payload: { now: '2030-01-01T00:00:00.000Z' } })
  t.equal(set.json().now.slice(0, 19), '2030-01-01T00:00:00')
  for (const payload of [{}, { advanceSeconds: 1, now: '2030-01-01T00:00:00Z' }, { now: 'tomorrow' }, { advanceSeconds: 'x' }, { speed: 2 }]) {
    const bad = await app.inject({ method: 'POST', url: '/__admin/clock', payload })
    t.equal(bad.statusCode, 400, JSON.stringify(payload))
  }
})

t.test('the journal keeps every header exactly, however many, and the ring wraps cleanly', async (t) => {
  const app = await build(t, { journalSize: 3 })
  const { access_token: token } = await concurToken(app)
  const extra = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x-test-${String(i).padStart(2, '0')}`, `value ${i}`]))
  const res = await app.inject({ method: 'GET', url: '/concur/users/?limit=1', headers: { ...extra, authorization: `Bearer ${token}`, 'x-auth-password': 'pw', cookie: 'c=1', 'x-multi': ['a', 'b'] } })
  t.equal(res.statusCode, 200)
  const [entry] = (await app.inject({ method: 'GET', url: '/__admin/requests?limit=1' })).json().requests
  t.same(Object.fromEntries(Object.entries(entry.headers).filter(([name]) => name.startsWith('x-test-'))), extra, 'all 30 custom headers, in full')
  t.match(entry.headers, { authorization: '[redacted]', 'x-auth-password': '[redacted]', cookie: '[redacted]', 'x-multi': 'a, b' })
  for (let i = 0; i < 7; i++) await concurUsers(app, token, `limit=${i + 1}`)
  const listed = (await app.inject({ method: 'GET', url: '/__admin/requests' })).json().requests
  t.same(listed.map((r: { query: string }) => r.query), ['limit=7', 'limit=6', 'limit=5'], 'newest first, the oldest overwritten')
  t.same(listed.map((r: { id: number }) => r.id), [listed[0].id, listed[0].id - 1, listed[0].id - 2])
  t.notOk(Object.keys(listed[0].headers).some((name) => name.startsWith('x-test-')), 'no header of an overwritten request leaks into its slot')
  const since = (await app.inject({ method: 'GET', url: `/__admin/requests?since=${encodeURIComponent(listed[1].time)}` })).json().requests
  t.ok(since.length >= 2 && since.every((r: { time: string }) => r.time >= listed[1].time), 'since compares the recorded time')
})

t.test('the journal: newest first, filters, redaction, bounded size', async (t) => {
  const app = await build(t, { journalSize: 5 })
  const { access_token: token } = await concurToken(app)
  await concurUsers(app, token, 'limit=1')
  await concurUsers(app, token, 'isActive=true')
  const all = (await app.inject({ method: 'GET', url: '/__admin/requests' })).json().requests
  t.same(all.map((r: { path: string, status: number }) => [r.path, r.status]), [['/users/', 400], ['/users/', 200], ['/oauth2/v0/token', 200]])
  t.match(all[1], { vendor: 'concur', tenant: 'company-name-llc', method: 'GET', query: 'limit=1', headers: { authorization: '[redacted]' } })
  t.match(all[2].body, { client_id: CONCUR.clientId, client_secret: '[redacted]', password: '[redacted]', username: CONCUR.companies['company-name-llc'].companyId })
  t.notMatch(JSON.stringify(all), token, 'no bearer token in clear')
  t.notMatch(JSON.stringify(all), CONCUR.clientSecret)
  const filtered = (await app.inject({ method: 'GET', url: '/__admin/requests?status=400&method=get&limit=5' })).json().requests
  t.equal(filtered.length, 1)
  for (let i = 0; i < 10; i++) await concurUsers(app, token)
  const capped = (await app.inject({ method: 'GET', url: '/__admin/requests' })).json().requests
  t.equal(capped.length, 5, 'never more than JOURNAL_SIZE')
  t.equal((await app.inject({ method: 'DELETE', url: '/__admin/requests' })).statusCode, 204)
  t.same((await app.inject({ method: 'GET', url: '/__admin/requests' })).json(), { requests: [] })
  const off = await build(t, { journalSize: 0 })
  await concurToken(off)
  t.same((await off.inject({ method: 'GET', url: '/__admin/requests' })).json(), { requests: [] }, 'size 0 disables it')
})

t.test('ADMIN_TOKEN protects every admin call but /health', async (t) => {
  const app = await build(t, { adminToken: 'let-me-in' })
  for (const [method, url] of [['GET', '/__admin/tenants'], ['POST', '/__admin/reset'], ['GET', '/__admin/health'], ['GET', '/__admin/requests'], ['POST', '/__admin/clock'], ['DELETE', '/__admin/faults']] as const) {
    const res = await app.inject({ method, url })
    t.equal(res.statusCode, 401, `${method} ${url}`)
    t.equal(res.json().code, 'MOCK_ADMIN_UNAUTHORIZED')
    t.equal((await app.inject({ method, url, headers: { authorization: 'Bearer wrong' } })).statusCode, 401)
  }
  t.equal((await app.inject({ method: 'GET', url: '/__admin/tenants', headers: { authorization: 'Bearer let-me-in' } })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
})
