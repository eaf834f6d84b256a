/**
 * msw handlers: with `setupServer(...vendorHandlers(app))`, plain fetch and axios calls to the
 * vendors' real host names are answered by the in-process mock (no socket, no network) with the
 * same bodies the mock gives over HTTP, and state, faults and the clock behave the same.
 */
import axios from 'axios'
import { setupServer } from 'msw/node'
import t from 'tap'
import { DEMO } from '../src/demo.js'
import { vendorHandlers } from '../src/msw/index.js'
import { build, concurUsers, form, passwordGrant } from './helper.js'

const CONCUR_HOST = 'https://us.api.concursolutions.com'
const ISPRING_HOST = 'https://demo.ispringlearn.com'
const owner = DEMO.ispring.demo.users.owner

t.test('fetch and axios reach the mock under the vendors\' host names', async (t) => {
  const app = await build(t)
  const server = setupServer(...vendorHandlers(app, { baseUrls: ['http://mock.test'] }))
  server.listen({ onUnhandledRequest: 'error' })
  t.teardown(() => { server.close() })

  const token = await fetch(`${CONCUR_HOST}/oauth2/v0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form(passwordGrant())
  })
  t.equal(token.status, 200)
  const tokens = await token.json() as { access_token: string, geolocation: string }
  t.equal(tokens.geolocation, CONCUR_HOST, 'geolocation is the host the client called, over https')

  const viaMsw = await fetch(`${CONCUR_HOST}/users/?limit=2`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.equal(viaMsw.status, 200)
  t.equal(viaMsw.headers.get('content-type'), 'application/json; charset=utf-8')
  t.equal(await viaMsw.text(), (await concurUsers(app, tokens.access_token, 'limit=2')).body, 'the same page as over HTTP')

  const headers = { 'x-auth-account-url': DEMO.ispring.demo.accountUrl, 'x-auth-email': owner.email, 'x-auth-password': owner.password }
  const viaAxios = await axios.get(`${ISPRING_HOST}/api/v2/users`, { headers, responseType: 'text', transformResponse: (x: string) => x })
  t.equal(viaAxios.status, 200)
  // axios asks for "application/json, text/plain, */*", so iSpring answers JSON, as the real one does.
  t.equal(viaAxios.headers['content-type'], 'application/json; charset=utf-8')
  const overHttp = await app.inject({ url: '/ispring/users', headers: { ...headers, accept: 'application/json, text/plain, */*' } })
  t.equal(viaAxios.data, overHttp.body, 'the same JSON as over HTTP')
  const xml = await fetch(`${ISPRING_HOST}/api/v2/users/v2?pageSize=2`, { headers })
  t.equal(xml.headers.get('content-type'), 'application/xml; charset=utf-8', 'fetch sends no Accept: XML, the default')
  t.equal(await xml.text(), (await app.inject({ url: '/ispring/users/v2?pageSize=2', headers })).body)

  const base = await fetch('http://mock.test/__admin/tenants/ispring/demo')
  t.equal(base.status, 200, 'a named base URL reaches the whole mock, admin API included')

  await t.rejects(fetch('https://example.com/'), 'other hosts are not answered by these handlers')
})

t.test('faults and the clock behave as over HTTP', async (t) => {
  const app = await build(t)
  const server = setupServer(...vendorHandlers(app))
  server.listen({ onUnhandledRequest: 'bypass' })
  t.teardown(() => { server.close() })
  await app.inject({ method: 'POST', url: '/__admin/faults', payload: { match: { vendor: 'concur', path: '/oauth2/v0/token' }, action: { status: 503 }, times: 1 } })
  const post = async () => await fetch(`${CONCUR_HOST}/oauth2/v0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(passwordGrant()) })
  const faulted = await post()
  t.equal(faulted.status, 503)
  t.same(await faulted.json(), { error: 'server_error', error_description: 'Service Unavailable', code: 503 })
  const ok = await post()
  t.equal(ok.status, 200, 'times: 1')
  const { access_token: token } = await ok.json() as { access_token: string }
  await app.inject({ method: 'POST', url: '/__admin/clock', payload: { advanceSeconds: 3600 } })
  t.equal((await fetch(`${CONCUR_HOST}/users/`, { headers: { authorization: `Bearer ${token}` } })).status, 401, 'the token expired on the mock clock')
})
