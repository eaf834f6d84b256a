import t from 'tap'
import { build, CONCUR, form } from './helper.js'

t.test('the server listens on a real port and answers fetch', async (t) => {
  const app = await build(t)
  const address = await app.listen({ port: 0, host: '127.0.0.1' })

  const health = await fetch(`${address}/health`)
  t.equal(health.status, 200)
  t.match(health.headers.get('x-mock-server'), /^users-api-mock\/\d+\.\d+\.\d+$/)
  t.same(await health.json(), { status: 'ok', version: (await import('../package.json', { with: { type: 'json' } })).default.version, uptimeSeconds: 0, tenants: { concur: 3, ispring: 2 } })

  const c = CONCUR.companies['company-name-llc']
  const tokenRes = await fetch(`${address}/concur/oauth2/v0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'password', username: c.companyId, password: c.requestToken, credtype: 'authtoken' })
  })
  t.equal(tokenRes.status, 200)
  const token = await tokenRes.json() as { access_token: string, geolocation: string }
  t.equal(token.geolocation, `${address}/concur`)

  const users = await fetch(`${token.geolocation}/users/?limit=1`, { headers: { authorization: `Bearer ${token.access_token}` } })
  t.equal(users.status, 200)
  const page = await users.json() as { total: number, Items: Array<{ LoginID: string }> }
  t.equal(page.total, 2)
  t.same(page.Items.map((u) => u.LoginID), ['johndoe@gmail.com'])
})
