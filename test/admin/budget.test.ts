/**
 * The user budget (MAX_USERS) and big tenants: a tenant or a batch of users beyond the budget is
 * refused in the admin shape, naming the budget and how to raise it, and nothing changes; a
 * 1,000,000-user tenant is generated in slices, so the mock keeps answering while it is made.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { DEMO } from '../../src/demo.js'
import { build, concurCompanyFixture, concurUsers } from '../helper.js'

const SHIPPED_USERS = 2 + 2500 + 100_000 + 10 + 5000

const bigCompany = (id: string, users: number) => concurCompanyFixture(id, users, { generate: { seed: 7, users } })

t.test('a tenant or users beyond MAX_USERS are refused with 422 and nothing changes', async (t) => {
  const app = await build(t, { maxUsers: SHIPPED_USERS + 1000 })
  const refused = await app.inject({ method: 'POST', url: '/__admin/tenants', payload: bigCompany('too-big', 1001) })
  t.equal(refused.statusCode, 422)
  t.same(refused.json(), {
    statusCode: 422,
    code: 'MOCK_USER_BUDGET_EXCEEDED',
    error: 'Unprocessable Entity',
    message: `Adding 1001 users would exceed the mock's user budget (${SHIPPED_USERS} held, at most ${SHIPPED_USERS + 1000} across all tenants). ` +
      'Delete tenants you no longer need, or raise the budget with MAX_USERS (--max-users) and give Node a larger heap (--max-old-space-size).'
  })
  t.equal((await app.inject({ url: '/__admin/tenants/concur/too-big' })).statusCode, 404, 'the tenant was not created')

  const fits = await app.inject({ method: 'POST', url: '/__admin/tenants', payload: bigCompany('fits', 999) })
  t.equal(fits.statusCode, 201)
  const users = Array.from({ length: 2 }, (_, i) => ({ ID: `X-${i}`, LoginID: `x${i}@example.test`, EmployeeID: `X${i}`, PrimaryEmail: `x${i}@example.test`, FirstName: 'X', LastName: 'Y' }))
  const batch = await app.inject({ method: 'POST', url: '/__admin/tenants/concur/fits/users', payload: { users } })
  t.equal(batch.statusCode, 422, 'one user over the budget refuses the whole batch')
  t.equal(batch.json().code, 'MOCK_USER_BUDGET_EXCEEDED')
  t.equal((await app.inject({ url: '/__admin/tenants/concur/fits' })).json().userCount, 999, 'no user of the batch was added')
  const one = await app.inject({ method: 'POST', url: '/__admin/tenants/concur/fits/users', payload: { users: users.slice(0, 1) } })
  t.equal(one.statusCode, 201, 'up to the budget is fine')

  await app.inject({ method: 'DELETE', url: '/__admin/tenants/concur/fits' })
  t.equal((await app.inject({ method: 'POST', url: '/__admin/tenants', payload: bigCompany('after-delete', 1000) })).statusCode, 201, 'a deleted tenant gives its users back')
})

t.test('/health keeps answering while a 1,000,000-user tenant is generated', async (t) => {
  const app = await build(t)
  const state = { done: false }
  const creating = app.inject({ method: 'POST', url: '/__admin/tenants', payload: bigCompany('million', 1_000_000) })
    .finally(() => { state.done = true })
  let answered = 0
  let failed = 0
  while (!state.done) {
    const health = await app.inject({ url: '/health' })
    if (health.statusCode !== 200) failed++
    else if (!state.done) answered++
    await sleep(10)
  }
  t.equal(failed, 0)
  const created = await creating
  t.equal(created.statusCode, 201)
  t.equal(created.json().userCount, 1_000_000)
  t.ok(answered >= 10, `/health answered ${answered} times while the tenant was being generated`)

  // The users were made during creation: the first page is a plain page.
  const token = await app.inject({
    method: 'POST',
    url: '/concur/oauth2/v0/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ client_id: DEMO.concur.clientId, client_secret: DEMO.concur.clientSecret, grant_type: 'password', username: bigCompany('million', 1_000_000).companyId, password: 'rt-million', credtype: 'authtoken' }).toString()
  })
  const page = await concurUsers(app, token.json().access_token, 'offset=999999&limit=5')
  t.equal(page.statusCode, 200)
  t.match(page.json(), { total: 1_000_000, offset: 999_999, limit: 5 })
  t.equal(page.json().Items.length, 1)
})

t.test('a generated iSpring account is made in slices too, and reads like one made on first use', async (t) => {
  const app = await build(t)
  const fixture = (id: string) => ({
    vendor: 'ispring',
    id,
    name: id,
    accountUrl: `https://${id}.ispringlearn.com`,
    departments: [{ id: 'd9000000-0000-4000-8000-000000000001', name: 'Root' }],
    users: [{ userId: 'f9000000-0000-4000-8000-000000000001', login: 'owner', email: 'owner@big.test', password: 'pw', firstName: 'O', lastName: 'W', role: 'owner', departmentId: 'd9000000-0000-4000-8000-000000000001' }],
    generate: { seed: 9, users: 20_000, departments: 12, groups: 4 }
  })
  const created = await app.inject({ method: 'POST', url: '/__admin/tenants', payload: fixture('sliced') })
  t.equal(created.statusCode, 201)
  t.equal(created.json().userCount, 20_001)
  // The same fixture loaded as a file is built on first use, in one go: the pages must agree.
  const other = await build(t, { maxUsers: 3_000_000 })
  other.mock.changes.apply({ kind: 'tenant.created', at: other.mock.clock.now(), fixture: JSON.parse(JSON.stringify(fixture('sliced'))) })
  const page = async (server: typeof app) => (await server.inject({
    url: '/ispring/users/v2?pageSize=500&departments[]=d9000000-0000-4000-8000-000000000001',
    headers: { 'x-auth-account-url': 'https://sliced.ispringlearn.com', 'x-auth-email': 'owner', 'x-auth-password': 'pw', accept: 'application/json' }
  })).body
  const [sliced, direct] = [await page(app), await page(other)]
  t.equal(sliced, direct)
  t.equal(JSON.parse(sliced).userProfiles.length, 500)
})
