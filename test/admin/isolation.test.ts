/**
 * Per-test isolation: two suites run in parallel against one listening mock, each in a tenant it
 * created through the admin API (a Concur company and an iSpring account). Neither sees the
 * other's users, and no token or page token of one works for the other.
 */
import t from 'tap'
import { build, CONCUR, form } from '../helper.js'

const DEPT = (n: number) => `d9${String(n).padStart(6, '0')}-0000-4000-8000-000000000001`

function tenants (suite: number) {
  return {
    concur: {
      vendor: 'concur',
      id: `suite-${suite}`,
      name: `Suite ${suite}`,
      companyId: `${String(suite).repeat(8)}-0000-4000-8000-000000000000`,
      company: { name: `Suite ${suite}`, address: '', city: '', state: '', zip: '', country: 'US' },
      clients: [{ clientId: CONCUR.clientId, clientSecret: CONCUR.clientSecret }],
      requestTokens: [{ token: `at-suite-${suite}`, clientId: CONCUR.clientId, neverExpires: true }],
      generate: { seed: suite, users: 30 }
    },
    ispring: {
      vendor: 'ispring',
      id: `suite-${suite}`,
      name: `Suite ${suite}`,
      accountUrl: `https://suite-${suite}.ispringlearn.com`,
      departments: [{ id: DEPT(suite), name: 'Root', code: 'ROOT' }],
      groups: [],
      users: [{ userId: `a9${String(suite).padStart(6, '0')}-0000-4000-8000-000000000001`, login: 'owner', email: `owner@suite${suite}.test`, password: 'pw', firstName: 'Owner', lastName: String(suite), role: 'owner', departmentId: DEPT(suite) }],
      apiClients: [{ clientId: `c9${String(suite).padStart(6, '0')}-0000-4000-8000-000000000001`, clientSecret: `secret-${suite}`, actsAs: `a9${String(suite).padStart(6, '0')}-0000-4000-8000-000000000001` }],
      generate: { seed: suite, users: 25 }
    }
  }
}

t.test('two suites in parallel, each in its own tenants', async (t) => {
  const app = await build(t)
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const post = async (path: string, body: unknown) => await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

  async function suite (n: number) {
    const mine = tenants(n)
    for (const tenant of [mine.concur, mine.ispring]) {
      const res = await post('/__admin/tenants', tenant)
      if (res.status !== 201) throw new Error(`create ${tenant.vendor}: ${res.status} ${await res.text()}`)
    }
    const concurToken = (await (await fetch(`${base}/concur/oauth2/v0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'password', username: mine.concur.companyId, password: `at-suite-${n}`, credtype: 'authtoken' })
    })).json() as { access_token: string }).access_token
    const concurUsers = await (await fetch(`${base}/concur/users/?limit=1000`, { headers: { authorization: `Bearer ${concurToken}` } })).json() as { total: number, Items: Array<{ ID: string }> }
    const ispringToken = (await (await fetch(`${base}/ispring/api/v3/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form({ client_id: mine.ispring.apiClients[0]?.clientId as string, client_secret: `secret-${n}`, grant_type: 'client_credentials' })
    })).json() as { access_token: string }).access_token
    const firstPage = await (await fetch(`${base}/ispring/users/v2?pageSize=10`, { headers: { authorization: `Bearer ${ispringToken}`, accept: 'application/json' } })).json() as { userProfiles: Array<{ userId: string }>, nextPageToken: string }
    return { n, concurToken, concurIds: concurUsers.Items.map((u) => u.ID), concurTotal: concurUsers.total, ispringToken, firstPage }
  }

  const [a, b] = await Promise.all([suite(1), suite(2)])
  t.equal(a.concurTotal, 30)
  t.equal(b.concurTotal, 30)
  t.same(a.concurIds.filter((id) => b.concurIds.includes(id)), [], 'no Concur user is shared')
  t.equal(a.firstPage.userProfiles.length, 10)
  t.same(a.firstPage.userProfiles.map((u) => u.userId).filter((id) => b.firstPage.userProfiles.some((v) => v.userId === id)), [], 'no iSpring user is shared')

  // Each suite's page token only works with its own credentials.
  const next = (token: string, pageToken: string) => fetch(`${base}/ispring/users/v2?pageSize=10&pageToken=${encodeURIComponent(pageToken)}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } })
  t.equal((await next(a.ispringToken, a.firstPage.nextPageToken)).status, 200, 'own page token')
  const foreign = await next(b.ispringToken, a.firstPage.nextPageToken)
  t.equal(foreign.status, 400, 'the other suite\'s page token')
  t.same(await foreign.json(), { code: 400, message: 'Bad Request: invalid pageToken' })

  // Tokens are bound to their tenant: a's tokens only ever show a's users.
  const viaA = await (await fetch(`${base}/concur/users/?limit=1000`, { headers: { authorization: `Bearer ${a.concurToken}` } })).json() as { Items: Array<{ ID: string }> }
  t.same(viaA.Items.map((u) => u.ID), a.concurIds)

  // Deleting one suite's tenants leaves the other working.
  t.equal((await fetch(`${base}/__admin/tenants/concur/suite-1`, { method: 'DELETE' })).status, 204)
  t.equal((await fetch(`${base}/__admin/tenants/ispring/suite-1`, { method: 'DELETE' })).status, 204)
  t.equal((await fetch(`${base}/concur/users/`, { headers: { authorization: `Bearer ${a.concurToken}` } })).status, 401)
  t.equal((await fetch(`${base}/ispring/users/v2`, { headers: { authorization: `Bearer ${a.ispringToken}`, accept: 'application/json' } })).status, 401)
  t.equal((await fetch(`${base}/concur/users/`, { headers: { authorization: `Bearer ${b.concurToken}` } })).status, 200)
  t.equal((await next(b.ispringToken, b.firstPage.nextPageToken)).status, 200)
})
