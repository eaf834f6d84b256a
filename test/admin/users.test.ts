/**
 * Admin user changes beyond add and patch: replace a user with a whole fixture user, and remove
 * one. Both are changes of the one change path, so a refused one changes nothing.
 */
import t from 'tap'
import { build, concurToken, concurUsers, demoLegacy, ISPRING, ispringGet, JSON_ACCEPT, legacyHeaders } from '../helper.js'

const JOHN = '99BFFFC3-C0BE-44FF-A441-AE1FFFFFF75B8'
const replacement = { ID: JOHN, LoginID: 'john.new@example.test', EmployeeID: 'E-NEW', PrimaryEmail: 'john.new@example.test', FirstName: 'Johnny', LastName: 'New' }

t.test('PUT replaces a Concur user; absent fields take their defaults', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'PUT', url: `/__admin/tenants/concur/company-name-llc/users/${JOHN}`, payload: replacement })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { replaced: JOHN })
  const { access_token: token } = await concurToken(app)
  const page = (await concurUsers(app, token)).json()
  t.same(page.Items[0], {
    Active: true,
    CountryCode: null,
    CellPhoneNumber: null,
    PrimaryEmail: 'john.new@example.test',
    EmployeeID: 'E-NEW',
    ID: JOHN,
    Emails: ['john.new@example.test'],
    OrganizationUnit: null,
    MiddleName: '',
    LastName: 'New',
    FirstName: 'Johnny',
    LoginID: 'john.new@example.test'
  })
})

t.test('a replacement with another id, a taken login or a bad field is refused and changes nothing', async (t) => {
  const app = await build(t)
  const url = `/__admin/tenants/concur/company-name-llc/users/${JOHN}`
  const otherId = await app.inject({ method: 'PUT', url, payload: { ...replacement, ID: 'SOMEONE-ELSE' } })
  t.equal(otherId.statusCode, 400)
  t.same(otherId.json().issues, [{ path: '$.ID', message: `must be the id of the user replaced ("${JOHN}")` }])
  const taken = await app.inject({ method: 'PUT', url, payload: { ...replacement, LoginID: 'janedoe@gmail.com' } })
  t.equal(taken.statusCode, 400)
  t.equal(taken.json().code, 'MOCK_INVALID_FIXTURE')
  const bad = await app.inject({ method: 'PUT', url, payload: { ...replacement, Active: 'yes' } })
  t.equal(bad.statusCode, 400)
  t.same(bad.json().issues, [{ path: '$.Active', message: 'must be boolean' }])
  const missing = await app.inject({ method: 'PUT', url: '/__admin/tenants/concur/company-name-llc/users/NOBODY', payload: { ...replacement, ID: 'NOBODY' } })
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().code, 'MOCK_USER_NOT_FOUND')
  const { access_token: token } = await concurToken(app)
  t.equal((await concurUsers(app, token)).json().Items[0].LoginID, 'johndoe@gmail.com', 'the user is as it was')
})

t.test('DELETE removes a Concur user from every listing', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'DELETE', url: `/__admin/tenants/concur/company-name-llc/users/${JOHN}` })
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  const { access_token: token } = await concurToken(app)
  const page = (await concurUsers(app, token)).json()
  t.equal(page.total, 1)
  t.same(page.Items.map((u: { LoginID: string }) => u.LoginID), ['janedoe@gmail.com'])
  t.equal((await concurUsers(app, token, `id=${JOHN}`)).json().total, 0)
  t.equal((await app.inject({ url: '/__admin/tenants/concur/company-name-llc' })).json().userCount, 1)
  const again = await app.inject({ method: 'DELETE', url: `/__admin/tenants/concur/company-name-llc/users/${JOHN}` })
  t.equal(again.statusCode, 404)
})

t.test('DELETE removes an iSpring user from every read', async (t) => {
  const app = await build(t)
  const url = '/__admin/tenants/ispring/demo/users/a1000000-0000-4000-8000-000000000006'
  const res = await app.inject({ method: 'DELETE', url })
  t.equal(res.statusCode, 204)
  t.equal((await app.inject({ url: '/__admin/tenants/ispring/demo' })).json().userCount, 9)
  t.equal((await app.inject({ method: 'DELETE', url })).statusCode, 404)
})

t.test('PUT replaces an iSpring user, visible in both API versions; another id is refused', async (t) => {
  const app = await build(t)
  const id = 'a1000000-0000-4000-8000-000000000006'
  const user = { userId: id, login: 'learner2', email: 'learner2@demo.test', password: 'new-pass', firstName: 'Lena', lastName: 'Learner', role: 'learner', departmentId: ISPRING.demo.departments.engineering, state: 'employment_ended' }
  const res = await app.inject({ method: 'PUT', url: `/__admin/tenants/ispring/demo/users/${id}`, payload: user })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { replaced: id })
  const v1 = (await ispringGet(app, `/user/${id}`, { ...demoLegacy('01'), ...JSON_ACCEPT })).json()
  const v2 = (await ispringGet(app, `/user/${id}/v2`, { ...demoLegacy('01'), ...JSON_ACCEPT })).json()
  t.match(v1, { userId: id, departmentId: ISPRING.demo.departments.engineering, status: 3 })
  t.match(v2, { userId: id, status: 5 })
  t.equal((await ispringGet(app, '/users', legacyHeaders('learner2', 'new-pass'))).statusCode, 401, 'an employment-ended user cannot log in')

  const other = await app.inject({ method: 'PUT', url: `/__admin/tenants/ispring/demo/users/${id}`, payload: { ...user, userId: 'a1000000-0000-4000-8000-000000000007' } })
  t.equal(other.statusCode, 400)
  t.same(other.json().issues, [{ path: '$.userId', message: `must be the id of the user replaced ("${id}")` }])
})
