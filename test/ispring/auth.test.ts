import t from 'tap'
import {
  adminCall, advanceClock, build, pinClock, demoLegacy, demoUserId, ISPRING, ispringGet, ispringToken, ispringTokenRequest, JSON_ACCEPT, legacyHeaders
} from '../helper.js'

const OWNER_PASSWORD = ISPRING.demo.users['01'].password

const XML_TYPE = 'application/xml; charset=utf-8'
const JSON_TYPE = 'application/json; charset=utf-8'
const UNAUTHORIZED_XML = '<?xml version="1.0" encoding="UTF-8"?><response><code>401</code><message>Unauthorized</message></response>'
const owner = ISPRING.demo.clients.owner
const grant = (client: { clientId: string, clientSecret: string } = owner) =>
  ({ client_id: client.clientId, client_secret: client.clientSecret, grant_type: 'client_credentials' })

t.test('POST /api/v3/token', async (t) => {
  const app = await build(t)

  t.test('JSON when Accept asks for it: a 43-character base64url token for 1800 s', async (t) => {
    const res = await ispringTokenRequest(app, grant(), JSON_ACCEPT)
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], JSON_TYPE)
    const body = res.json()
    t.same(Object.keys(body), ['access_token', 'expires_in', 'token_type'])
    t.match(body.access_token, /^[A-Za-z0-9_-]{43}$/)
    t.equal(body.expires_in, 1800)
    t.equal(body.token_type, 'bearer')
  })

  t.test('XML by default', async (t) => {
    const res = await ispringTokenRequest(app, grant())
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], XML_TYPE)
    t.match(res.body, /^<\?xml version="1\.0" encoding="UTF-8"\?><response><access_token>[A-Za-z0-9_-]{43}<\/access_token><expires_in>1800<\/expires_in><token_type>bearer<\/token_type><\/response>$/)
  })

  t.test('every token is new', async (t) => {
    t.not(await ispringToken(app), await ispringToken(app))
  })

  t.test('missing fields and a wrong grant_type: 400 naming the problem', async (t) => {
    for (const [field, message] of [
      ['client_id', 'Bad Request: client_id is required'],
      ['client_secret', 'Bad Request: client_secret is required'],
      ['grant_type', 'Bad Request: grant_type is required']
    ] as const) {
      const fields: Record<string, string> = grant()
      delete fields[field]
      const res = await ispringTokenRequest(app, fields, JSON_ACCEPT)
      t.equal(res.statusCode, 400, field)
      t.same(res.json(), { code: 400, message }, field)
    }
    const wrongGrant = await ispringTokenRequest(app, { ...grant(), grant_type: 'password' }, JSON_ACCEPT)
    t.equal(wrongGrant.statusCode, 400)
    t.same(wrongGrant.json(), { code: 400, message: 'Bad Request: grant_type must be client_credentials' })
    const empty = await ispringTokenRequest(app, { ...grant(), client_secret: '' })
    t.equal(empty.statusCode, 400)
    t.equal(empty.body, '<?xml version="1.0" encoding="UTF-8"?><response><code>400</code><message>Bad Request: client_secret is required</message></response>')
  })

  t.test('a body that is not a form: 400, never 415 or 500', async (t) => {
    for (const [type, payload] of [['application/json', JSON.stringify(grant())], ['text/plain', 'hello'], ['application/xml', '<x/>']] as const) {
      const res = await app.inject({ method: 'POST', url: '/ispring/api/v3/token', headers: { 'content-type': type, accept: 'application/json' }, payload })
      t.equal(res.statusCode, 400, type)
      t.same(res.json(), { code: 400, message: 'Bad Request: the body must be application/x-www-form-urlencoded with client_id, client_secret and grant_type' }, type)
    }
    const none = await app.inject({ method: 'POST', url: '/ispring/api/v3/token', headers: JSON_ACCEPT })
    t.equal(none.statusCode, 400)
  })

  t.test('unknown client or wrong secret: 401', async (t) => {
    for (const fields of [{ ...grant(), client_secret: 'nope' }, { ...grant(), client_id: '00000000-0000-4000-8000-000000000000' }, { ...grant(), client_secret: ISPRING.initech.client.clientSecret }]) {
      const res = await ispringTokenRequest(app, fields)
      t.equal(res.statusCode, 401)
      t.equal(res.headers['content-type'], XML_TYPE)
      t.equal(res.body, UNAUTHORIZED_XML)
    }
  })

  t.test('served under the /api/v2 alias and on the account host too', async (t) => {
    const alias = await app.inject({ method: 'POST', url: '/ispring/api/v2/api/v3/token', headers: { 'content-type': 'application/x-www-form-urlencoded', ...JSON_ACCEPT }, payload: new URLSearchParams(grant()).toString() })
    t.equal(alias.statusCode, 200)
    const hosted = await app.inject({ method: 'POST', url: '/api/v3/token', headers: { host: 'api-learn.ispringlearn.com', 'content-type': 'application/x-www-form-urlencoded', ...JSON_ACCEPT }, payload: new URLSearchParams(grant()).toString() })
    t.equal(hosted.statusCode, 200)
  })
})

t.test('access tokens', async (t) => {
  const app = await build(t)
  const token = await ispringToken(app)

  t.test('Bearer, lower-case bearer and the bare token are all accepted', async (t) => {
    for (const authorization of [`Bearer ${token}`, `bearer ${token}`, token]) {
      const res = await ispringGet(app, '/users?pageSize=1', { authorization, ...JSON_ACCEPT })
      t.equal(res.statusCode, 200, authorization)
      t.equal(res.json().userProfiles.length, 1)
    }
  })

  t.test('no credentials, a wrong token, an empty Bearer: 401 in the vendor shape', async (t) => {
    const bad: Array<Record<string, string>> = [{}, { authorization: 'Bearer nope' }, { authorization: 'Bearer' }, { authorization: `Bearer ${token}x` }, { authorization: `Basic ${token}` }]
    for (const headers of bad) {
      const res = await ispringGet(app, '/users', headers)
      t.equal(res.statusCode, 401)
      t.equal(res.body, UNAUTHORIZED_XML)
    }
    const json = await ispringGet(app, '/users', JSON_ACCEPT)
    t.equal(json.headers['content-type'], JSON_TYPE)
    t.equal(json.body, '{"code":401,"message":"Unauthorized"}')
  })

  t.test('expires after 1800 s on the mock clock', async (t) => {
    await pinClock(app)
    const fresh = await ispringToken(app)
    await advanceClock(app, 1799)
    t.equal((await ispringGet(app, '/users?pageSize=1', { authorization: `Bearer ${fresh}` })).statusCode, 200)
    await advanceClock(app, 1)
    const expired = await ispringGet(app, '/users?pageSize=1', { authorization: `Bearer ${fresh}` })
    t.equal(expired.statusCode, 401)
    t.equal(expired.body, UNAUTHORIZED_XML)
    t.equal((await ispringGet(app, '/users?pageSize=1', { authorization: `Bearer ${await ispringToken(app)}` })).statusCode, 200, 'a new token works')
  })
})

t.test('a token never crosses accounts', async (t) => {
  const app = await build(t)
  const demo = await ispringToken(app)
  const initech = await ispringToken(app, ISPRING.initech.client)

  const own = await ispringGet(app, '/users?pageSize=1000', { authorization: demo, ...JSON_ACCEPT })
  t.equal(own.json().userProfiles.length, 10, 'the demo token lists the demo account')
  t.equal((await ispringGet(app, `/user/${demoUserId('01')}`, { authorization: initech })).statusCode, 404, 'an initech token does not find demo users')

  const namedOther = await ispringGet(app, '/users', { authorization: demo, 'x-auth-account-url': ISPRING.initech.accountUrl })
  t.equal(namedOther.statusCode, 401, 'X-Auth-Account-Url naming another account')
  t.equal((await ispringGet(app, '/users', { authorization: demo, 'x-auth-account-url': 'https://DEMO.ispringlearn.com/' })).statusCode, 200, 'naming its own account is fine')
  const otherHost = await app.inject({ url: '/users', headers: { host: 'initech.ispringlearn.com', authorization: demo } })
  t.equal(otherHost.statusCode, 401, 'the Host of another account')
  const ownHost = await app.inject({ url: '/api/v2/users?pageSize=1', headers: { host: 'demo.ispringlearn.com', authorization: demo } })
  t.equal(ownHost.statusCode, 200, 'the Host of its own account')
  const apiHost = await app.inject({ url: '/users?pageSize=1', headers: { host: 'api-learn.ispring.com', authorization: demo } })
  t.equal(apiHost.statusCode, 200, 'the shared API host')

  const token = await app.inject({ method: 'POST', url: '/api/v3/token', headers: { host: 'initech.ispringlearn.com', 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ client_id: owner.clientId, client_secret: owner.clientSecret, grant_type: 'client_credentials' }).toString() })
  t.equal(token.statusCode, 401, 'a demo client asking on the initech host')
})

t.test('tokens die with their tenant (reset, delete)', async (t) => {
  const app = await build(t)
  const token = await ispringToken(app)
  await adminCall(app, 'POST', '/reset')
  t.equal((await ispringGet(app, '/users', { authorization: token })).statusCode, 401, 'after a reset')
  const again = await ispringToken(app)
  await adminCall(app, 'DELETE', '/tenants/ispring/demo')
  t.equal((await ispringGet(app, '/users', { authorization: again })).statusCode, 401, 'after a delete')
})

t.test('tokens are stateless: any app sharing the SECRET accepts them, nothing else does', async (t) => {
  const issuer = await build(t, { secret: 'shared-secret-1' })
  const peer = await build(t, { secret: 'shared-secret-1' })
  const stranger = await build(t, { secret: 'another-secret' })
  const token = await ispringToken(issuer)
  t.match(token, /^[A-Za-z0-9_-]{43}$/)
  t.equal((await ispringGet(peer, '/users?pageSize=1', { authorization: token })).statusCode, 200, 'another replica with the same SECRET accepts it')
  t.equal((await ispringGet(stranger, '/users?pageSize=1', { authorization: token })).statusCode, 401, 'a mock with another SECRET does not')
  t.not(await ispringToken(issuer), token, 'each token is new')
  const tampered = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11)
  t.equal((await ispringGet(issuer, '/users?pageSize=1', { authorization: tampered })).statusCode, 401, 'an edited token is refused')
  await advanceClock(peer, 1800)
  t.equal((await ispringGet(peer, '/users?pageSize=1', { authorization: token })).statusCode, 401, 'expiry is checked on the clock of the replica asked')
})

t.test('legacy X-Auth headers', async (t) => {
  const app = await build(t)

  t.test('login or email, any case; a trailing slash on the account URL', async (t) => {
    for (const headers of [
      legacyHeaders('owner', OWNER_PASSWORD),
      legacyHeaders('OWNER@demo.test', OWNER_PASSWORD),
      legacyHeaders('owner', OWNER_PASSWORD, 'https://demo.ispringlearn.com/'),
      legacyHeaders('owner', OWNER_PASSWORD, 'HTTPS://Demo.ISpringLearn.com')
    ]) {
      const res = await ispringGet(app, '/users?pageSize=1', headers)
      t.equal(res.statusCode, 200, JSON.stringify(headers))
    }
  })

  t.test('wrong password, unknown user, unknown account, a missing header: 401', async (t) => {
    const cases: Array<Record<string, string>> = [
      legacyHeaders('owner', 'OWNER-PASS'),
      legacyHeaders('nobody', OWNER_PASSWORD),
      legacyHeaders('owner', OWNER_PASSWORD, 'https://nope.ispringlearn.com'),
      legacyHeaders('owner', OWNER_PASSWORD, ISPRING.initech.accountUrl),
      { 'x-auth-email': 'owner', 'x-auth-password': OWNER_PASSWORD },
      { 'x-auth-account-url': ISPRING.demo.accountUrl, 'x-auth-password': OWNER_PASSWORD },
      { 'x-auth-account-url': ISPRING.demo.accountUrl, 'x-auth-email': 'owner' },
      { ...legacyHeaders('owner', OWNER_PASSWORD), 'x-auth-password': '' }
    ]
    for (const headers of cases) {
      const res = await ispringGet(app, '/users', { ...headers, ...JSON_ACCEPT })
      t.equal(res.statusCode, 401, JSON.stringify(headers))
      t.same(res.json(), { code: 401, message: 'Unauthorized' })
    }
  })

  t.test('inactive and employment-ended users cannot authenticate', async (t) => {
    t.equal((await ispringGet(app, '/users', demoLegacy('08'))).statusCode, 401)
    t.equal((await ispringGet(app, '/users', demoLegacy('09'))).statusCode, 401)
    t.equal((await ispringGet(app, '/users', demoLegacy('10'))).statusCode, 403, 'on leave is still active: authenticated, then refused as a learner')
  })

  t.test('an Authorization header wins: a bad token is 401 even with good legacy headers', async (t) => {
    t.equal((await ispringGet(app, '/users', { ...demoLegacy('01'), authorization: 'Bearer nope' })).statusCode, 401)
  })
})

t.test('an API client acting as a user who is no longer active', async (t) => {
  const app = await build(t)
  const token = await ispringToken(app, ISPRING.demo.clients.sales)
  await adminCall(app, 'PATCH', `/tenants/ispring/demo/users/${demoUserId('03')}`, { state: 'inactive' })
  t.equal((await ispringGet(app, '/users', { authorization: token })).statusCode, 401, 'its tokens stop working')
  const res = await ispringTokenRequest(app, grant(ISPRING.demo.clients.sales))
  t.equal(res.statusCode, 401, 'and it gets no new token')
  t.equal(res.body, UNAUTHORIZED_XML)
})
