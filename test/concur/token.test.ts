import { createLocalJWKSet, jwtVerify, decodeProtectedHeader } from 'jose'
import t from 'tap'
import { adminCall, advanceClock, build, pinClock, CONCUR, concurToken, concurTokenRequest, concurUsers, passwordGrant, setClock } from '../helper.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function err (error: string, code: number, description: string) {
  return { error, error_description: description, code }
}

t.test('every row of the token error table, in order', async (t) => {
  const app = await build(t)
  const good = passwordGrant('acme')
  const without = (...names: string[]) => Object.fromEntries(Object.entries(good).filter(([k]) => !names.includes(k)))
  const cases: Array<[string, Record<string, string>, ReturnType<typeof err>, Record<string, string>?]> = [
    ['content type is JSON', good, err('invalid_request', 135, 'unsupported request format'), { 'content-type': 'application/json' }],
    ['content type is text/plain', good, err('invalid_request', 135, 'unsupported request format'), { 'content-type': 'text/plain' }],
    ['client_id missing', without('client_id'), err('invalid_request', 62, 'client_id was not supplied')],
    ['client_id missing wins over every later problem', { grant_type: 'nope' }, err('invalid_request', 62, 'client_id was not supplied')],
    ['client_secret missing', without('client_secret'), err('invalid_request', 63, 'client_secret was not supplied')],
    ['grant_type missing', without('grant_type'), err('invalid_request', 65, 'grant_type was not supplied')],
    ['client unknown', { ...good, client_id: '00000000-0000-4000-8000-000000000000' }, err('invalid_client', 61, 'client not found')],
    ['client secret wrong', { ...good, client_secret: 'wrong' }, err('invalid_client', 64, 'Incorrect Credentials. Please Retry')],
    ['grant_type not supported', { ...good, grant_type: 'authorization_code' }, err('invalid_grant', 60, 'these are not the grants you are looking for')],
    ['username missing', without('username'), err('invalid_request', 51, 'username was not supplied')],
    ['password missing', without('password'), err('invalid_request', 52, 'password was not supplied')],
    ['credtype invalid', { ...good, credtype: 'magic' }, err('invalid_request', 120, 'credtype is invalid')],
    ['credtype absent', without('credtype'), err('invalid_grant', 5, 'Incorrect Credentials. Please Retry')],
    ['credtype password (user login: not emulated)', { ...good, credtype: 'password' }, err('invalid_grant', 5, 'Incorrect Credentials. Please Retry')],
    ['company unknown', { ...good, username: '00000000-0000-4000-8000-000000000000' }, err('invalid_grant', 5, 'Incorrect Credentials. Please Retry')],
    ['request token wrong', { ...good, password: 'at-wrong' }, err('invalid_grant', 5, 'Incorrect Credentials. Please Retry')],
    ['request token of another company', { ...good, password: CONCUR.companies.globex.requestToken }, err('invalid_grant', 5, 'Incorrect Credentials. Please Retry')],
    ['company has not enabled this client', { ...passwordGrant('globex'), client_id: CONCUR.otherClientId, client_secret: CONCUR.otherClientSecret }, err('invalid_client', 53, 'company is not enabled for this client')],
    ['request token issued for another client', { ...good, password: 'at-acme-other-token' }, err('invalid_request', 136, 'Authtoken was not issued for you')],
    ['refresh grant without refresh_token', { client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'refresh_token' }, err('invalid_request', 106, 'refresh_token was not supplied')],
    ['refresh token unknown', { client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'refresh_token', refresh_token: '3f1c2b4a-0000-4000-8000-000000000000' }, err('invalid_grant', 108, 'bad or expired refresh token')]
  ]
  for (const [name, fields, expected, headers] of cases) {
    const res = headers === undefined
      ? await concurTokenRequest(app, fields)
      : await app.inject({ method: 'POST', url: '/concur/oauth2/v0/token', headers, payload: new URLSearchParams(fields).toString() })
    t.equal(res.statusCode, 400, `${name}: status`)
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8', `${name}: content type`)
    t.match(res.headers['concur-correlationid'], UUID, `${name}: correlation id`)
    t.same(res.json(), expected, `${name}: body`)
    t.equal(typeof res.json().code, 'number', `${name}: code is a number`)
  }
})

t.test('the shared app presenting the other app\'s token, and the other app with its own', async (t) => {
  const app = await build(t)
  const other = await concurTokenRequest(app, { ...passwordGrant('acme'), client_id: CONCUR.otherClientId, client_secret: CONCUR.otherClientSecret, password: 'at-acme-other-token' })
  t.equal(other.statusCode, 200)
})

t.test('a disabled company answers 123 after the credentials check', async (t) => {
  const app = await build(t)
  await adminCall(app, 'POST', '/tenants', {
    vendor: 'concur',
    id: 'disabled-co',
    name: 'Disabled Co',
    companyId: '11111111-2222-4333-8444-555555555555',
    disabled: true,
    company: { name: 'Disabled Co', address: '', city: '', state: '', zip: '', country: 'US' },
    clients: [{ clientId: CONCUR.clientId, clientSecret: CONCUR.clientSecret }],
    requestTokens: [{ token: 'at-disabled', clientId: CONCUR.clientId }]
  })
  const res = await concurTokenRequest(app, { ...passwordGrant('acme'), username: '11111111-2222-4333-8444-555555555555', password: 'at-disabled' })
  t.equal(res.statusCode, 400)
  t.same(res.json(), err('invalid_request', 123, 'principal is disabled'))
  const wrongToken = await concurTokenRequest(app, { ...passwordGrant('acme'), username: '11111111-2222-4333-8444-555555555555', password: 'at-nope' })
  t.same(wrongToken.json(), err('invalid_grant', 5, 'Incorrect Credentials. Please Retry'))
})

t.test('body without a content type, empty body, and a body over 64 KiB', async (t) => {
  const app = await build(t)
  const noType = await app.inject({ method: 'POST', url: '/concur/oauth2/v0/token', payload: 'client_id=x' })
  t.equal(noType.statusCode, 400)
  t.same(noType.json(), err('invalid_request', 135, 'unsupported request format'))
  const empty = await app.inject({ method: 'POST', url: '/concur/oauth2/v0/token', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(empty.statusCode, 400)
  t.same(empty.json(), err('invalid_request', 62, 'client_id was not supplied'))
  const big = await app.inject({
    method: 'POST',
    url: '/concur/oauth2/v0/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `client_id=${'x'.repeat(64 * 1024)}`
  })
  t.equal(big.statusCode, 413)
  t.same(big.json(), err('invalid_request', 135, 'request body too large'))
  const badJson = await app.inject({ method: 'POST', url: '/concur/oauth2/v0/token', headers: { 'content-type': 'application/json' }, payload: '{nope' })
  t.equal(badJson.statusCode, 400)
  t.same(badJson.json(), err('invalid_request', 135, 'unsupported request format'))
  const charset = await app.inject({ method: 'POST', url: '/concur/oauth2/v0/token', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }, payload: new URLSearchParams(passwordGrant()).toString() })
  t.equal(charset.statusCode, 200)
})

t.test('success body: types, claims verified against the JWKS', async (t) => {
  const app = await build(t)
  const before = app.mock.clock.nowSeconds()
  const res = await concurTokenRequest(app, passwordGrant('acme'), { host: 'mock.local:8080' })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  t.match(res.headers['concur-correlationid'], UUID)
  const body = res.json()
  t.same(Object.keys(body), ['expires_in', 'scope', 'token_type', 'access_token', 'refresh_token', 'refresh_expires_in', 'id_token', 'geolocation'])
  t.equal(body.expires_in, 3600)
  t.equal(body.scope, 'user.read company.read')
  t.equal(body.token_type, 'Bearer')
  t.match(body.refresh_token, UUID)
  t.equal(typeof body.refresh_expires_in, 'number')
  const sixMonths = 180 * 86400
  t.ok(body.refresh_expires_in >= before + sixMonths && body.refresh_expires_in <= app.mock.clock.nowSeconds() + sixMonths, 'refresh_expires_in is epoch seconds about 6 months ahead')
  t.equal(body.geolocation, 'http://mock.local:8080/concur')

  const jwks = await app.inject({ method: 'GET', url: '/concur/oauth2/v0/jwks' })
  t.equal(jwks.statusCode, 200)
  const keySet = createLocalJWKSet(jwks.json())
  for (const name of ['access_token', 'id_token'] as const) {
    t.same(decodeProtectedHeader(body[name]), { alg: 'RS256', kid: jwks.json().keys[0].kid, typ: 'JWT' })
    const { payload } = await jwtVerify(body[name], keySet, { currentDate: new Date(app.mock.clock.now()) })
    t.equal(payload.iss, body.geolocation, `${name} iss`)
    t.equal(payload.sub, CONCUR.companies.acme.companyId, `${name} sub`)
    t.equal(payload.aud, CONCUR.clientId, `${name} aud`)
    t.equal(payload['concur.type'], 'company')
    t.equal(payload['concur.version'], 2)
    t.equal(payload.scope, 'user.read company.read')
    t.equal(payload.iat, payload.nbf)
    t.equal((payload.exp ?? 0) - (payload.iat ?? 0), 3600)
  }
  t.notOk('d' in jwks.json().keys[0], 'the JWKS carries no private key material')
})

t.test('geolocation: PUBLIC_URL, forwarded headers, Host routing', async (t) => {
  const plain = await build(t)
  const forwarded = await concurTokenRequest(plain, passwordGrant(), { host: 'internal:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'mock.example.test' })
  t.equal(forwarded.json().geolocation, 'https://mock.example.test/concur')
  const routed = await plain.inject({
    method: 'POST',
    url: '/oauth2/v0/token',
    headers: { host: 'us.api.concursolutions.com', 'x-forwarded-proto': 'https', 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(passwordGrant()).toString()
  })
  t.equal(routed.statusCode, 200)
  t.equal(routed.json().geolocation, 'https://us.api.concursolutions.com')
  const users = await plain.inject({ method: 'GET', url: '/users/', headers: { host: 'us.api.concursolutions.com:443', authorization: `Bearer ${routed.json().access_token}` } })
  t.equal(users.statusCode, 200)
  t.equal(users.json().total, 2)
  const viaPrefix = await concurUsers(plain, routed.json().access_token)
  t.equal(viaPrefix.statusCode, 200, 'a token is valid wherever it is presented')

  const withPublic = await build(t, { publicUrl: 'https://sandbox.example.test/' })
  const pub = await concurTokenRequest(withPublic, passwordGrant(), { host: 'internal:8080' })
  t.equal(pub.json().geolocation, 'https://sandbox.example.test/concur')
})

t.test('refresh grant returns a working access token and extends the refresh expiry', async (t) => {
  const app = await build(t)
  await pinClock(app)
  const first = await concurToken(app, 'acme')
  await advanceClock(app, 7200)
  const expired = await concurUsers(app, first.access_token)
  t.equal(expired.statusCode, 401, 'the access token expired after an hour on the mock clock')
  const refreshed = await concurTokenRequest(app, { client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'refresh_token', refresh_token: first.refresh_token })
  t.equal(refreshed.statusCode, 200)
  const body = refreshed.json()
  t.equal(body.refresh_token, first.refresh_token)
  t.equal(body.refresh_expires_in, first.refresh_expires_in + 7200)
  t.equal((await concurUsers(app, body.access_token)).statusCode, 200)

  const otherClient = await concurTokenRequest(app, { client_id: CONCUR.otherClientId, client_secret: CONCUR.otherClientSecret, grant_type: 'refresh_token', refresh_token: first.refresh_token })
  t.same(otherClient.json(), err('invalid_grant', 108, 'bad or expired refresh token'), 'another client cannot use it')

  await advanceClock(app, 181 * 86400)
  const late = await concurTokenRequest(app, { client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'refresh_token', refresh_token: first.refresh_token })
  t.same(late.json(), err('invalid_grant', 108, 'bad or expired refresh token'), 'an expired refresh token is refused')
})

t.test('a session is opened and continued through the change path, so replicas agree on it', async (t) => {
  const app = await build(t)
  const seen: Array<{ kind: string, grant?: string }> = []
  app.mock.changes.subscribe((change) => { seen.push(change as { kind: string, grant?: string }) })
  const first = await concurToken(app, 'acme')
  const again = await concurToken(app, 'acme')
  t.equal(again.refresh_token, first.refresh_token, 'a second password grant continues the open session')
  t.same(seen.map((c) => [c.kind, c.grant]), [['concur.session.issued', 'password'], ['concur.session.issued', 'password']])

  // A refresh whose change is applied after a revocation (another replica's, say) must not
  // bring the revoked session back.
  const tenant = app.mock.store.byKey('concur', CONCUR.companies.acme.companyId) as { id: string, data: { sessions: Map<string, { sid: string }> } }
  const sid = tenant.data.sessions.get(CONCUR.clientId)?.sid as string
  await app.mock.changes.submit({ kind: 'tokens.revoked', at: app.mock.clock.now(), vendor: 'concur', tenant: tenant.id, clientId: CONCUR.clientId })
  const late = await app.mock.changes.submit({
    kind: 'concur.session.issued',
    at: app.mock.clock.now(),
    vendor: 'concur',
    tenant: tenant.id,
    grant: 'refresh_token',
    clientId: CONCUR.clientId,
    sid,
    refreshToken: first.refresh_token,
    refreshExpiresAt: Date.now() + 1000
  })
  t.equal(late, undefined, 'the late refresh finds no session to continue')
  t.equal(tenant.data.sessions.has(CONCUR.clientId), false, 'and opens none')
  const refused = await concurTokenRequest(app, { client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'refresh_token', refresh_token: first.refresh_token })
  t.same(refused.json(), err('invalid_grant', 108, 'bad or expired refresh token'))
  const fresh = await concurToken(app, 'acme')
  t.not(fresh.refresh_token, first.refresh_token, 'a new password grant opens a new session')

  t.throws(() => app.mock.changes.apply({ kind: 'concur.session.issued', at: 0, vendor: 'concur', tenant: tenant.id, grant: 'password' }), { code: 'MOCK_INVALID_FIXTURE' }, 'a session change missing its fields is refused')
})

t.test('access token expiry is exact on the mock clock', async (t) => {
  const app = await build(t)
  await pinClock(app)
  const token = await concurToken(app)
  await advanceClock(app, 3599)
  t.equal((await concurUsers(app, token.access_token)).statusCode, 200, 'valid one second before expiry')
  await advanceClock(app, 1)
  t.equal((await concurUsers(app, token.access_token)).statusCode, 401, 'refused from the second it expires')
})

t.test('acme\'s request token expires 24 h after the mock clock starts; the others never', async (t) => {
  const app = await build(t)
  await setClock(app, app.mock.clock.startedAt + 24 * 3600 * 1000 - 1000)
  t.equal((await concurTokenRequest(app, passwordGrant('acme'))).statusCode, 200)
  await advanceClock(app, 1)
  const late = await concurTokenRequest(app, passwordGrant('acme'))
  t.same(late.json(), err('invalid_grant', 5, 'Incorrect Credentials. Please Retry'))
  await advanceClock(app, 365 * 86400)
  t.equal((await concurTokenRequest(app, passwordGrant('company-name-llc'))).statusCode, 200)
})

t.test('revocation ends the access and refresh tokens of that company and client', async (t) => {
  const app = await build(t)
  const acme = await concurToken(app, 'acme')
  const llc = await concurToken(app, 'company-name-llc')
  const res = await app.inject({ method: 'DELETE', url: '/concur/app-mgmt/v0/connections', headers: { authorization: `Bearer ${acme.access_token}` } })
  t.equal(res.statusCode, 200)
  t.equal(res.body, '{}')
  t.equal((await concurUsers(app, acme.access_token)).statusCode, 401)
  const refresh = await concurTokenRequest(app, { client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'refresh_token', refresh_token: acme.refresh_token })
  t.same(refresh.json(), err('invalid_grant', 108, 'bad or expired refresh token'))
  t.equal((await concurUsers(app, llc.access_token)).statusCode, 200, 'another company is untouched')
  const again = await concurToken(app, 'acme')
  t.not(again.refresh_token, acme.refresh_token, 'a new grant opens a new session')
  t.equal((await concurUsers(app, again.access_token)).statusCode, 200, 'a new token issued right after revocation works')
  const unauth = await app.inject({ method: 'DELETE', url: '/concur/app-mgmt/v0/connections' })
  t.equal(unauth.statusCode, 401)
  t.equal(unauth.json().Message, 'Authorization Required')
})
