/**
 * The read calls with a body or without paging: POST /users/v2, POST /users/find_existing,
 * GET /user and /user/v2 (unpaged), GET /user/profile/fields, GET /role.
 */
import t from 'tap'
import { build, demoLegacy, demoUserId, ISPRING, ispringGet, ispringToken, JSON_ACCEPT, parseXml } from '../helper.js'

const D = ISPRING.demo.departments

t.test('POST /users/v2 pages like GET /users/v2, filters in the body, and the page tokens work across both', async (t) => {
  const app = await build(t)
  const owner = { authorization: await ispringToken(app), ...JSON_ACCEPT }
  const post = async (body: unknown, type = 'application/json') => await app.inject({ method: 'POST', url: '/ispring/users/v2', headers: { ...owner, 'content-type': type }, payload: typeof body === 'string' ? body : JSON.stringify(body) })
  const viaGet = (await ispringGet(app, `/users/v2?departments[]=${D.sales}&pageSize=2`, owner)).json()
  const viaPost = (await post({ departments: [D.sales], pageSize: 2 })).json()
  t.same(viaPost, viaGet, 'the same page and the same token')
  const second = (await post({ departments: [D.sales], pageSize: 2, pageToken: viaGet.nextPageToken })).json()
  t.same(second, (await ispringGet(app, `/users/v2?departments[]=${D.sales}&pageSize=2&pageToken=${viaGet.nextPageToken as string}`, owner)).json())
  const xml = await post(`<request><userIds><id>${demoUserId('02')}</id></userIds></request>`, 'application/xml')
  t.same(xml.json().userProfiles.map((u: { userId: string }) => u.userId), [demoUserId('02')])
  t.same((await post({ pageSize: 0 })).json(), { code: 400, message: 'Bad Request: pageSize must be an integer from 1 to 1000, got "0"' })
  t.same((await post({ pageToken: 'forged' })).json(), { code: 400, message: 'Bad Request: invalid pageToken' })
})

t.test('POST /users/find_existing answers the ids that exist and the caller may see', async (t) => {
  const app = await build(t)
  const owner = { authorization: await ispringToken(app), ...JSON_ACCEPT }
  const missing = '00000000-0000-4000-8000-000000000000'
  const find = async (headers: Record<string, string>) => await app.inject({ method: 'POST', url: '/ispring/users/find_existing', headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify({ userIds: [demoUserId('07'), missing, demoUserId('06')] }) })
  t.same((await find(owner)).json(), [demoUserId('07'), demoUserId('06')])
  const sales = { authorization: await ispringToken(app, ISPRING.demo.clients.sales), ...JSON_ACCEPT }
  t.same((await find(sales)).json(), [demoUserId('07')], 'a department administrator: only their scope')
  const xml = await parseXml((await find({ authorization: owner.authorization })).body)
  t.same(xml.children.map((c) => [c.name, c.text]), [['id', demoUserId('07')], ['id', demoUserId('06')]])
})

t.test('GET /user and /user/v2: every matching user in one answer', async (t) => {
  const app = await build(t)
  const owner = { authorization: await ispringToken(app), ...JSON_ACCEPT }
  const paged = (await ispringGet(app, '/users', owner)).json().userProfiles
  const all = await ispringGet(app, '/user', owner)
  t.same(all.json(), paged, 'the same profiles as the paged v1 list, as a bare array')
  t.same((await ispringGet(app, '/user/v2', owner)).json(), (await ispringGet(app, '/users/v2', owner)).json().userProfiles)
  t.same((await ispringGet(app, `/user?departments[]=${D.salesEmea}`, owner)).json().map((u: { userId: string }) => u.userId), [demoUserId('07')])
  const xml = await parseXml((await ispringGet(app, `/user/v2?userIds[]=${demoUserId('08')}`, { authorization: owner.authorization })).body)
  t.same(xml.children.map((c) => c.name), ['userProfile'])
  t.equal((await ispringGet(app, '/user?pageSize=3', owner)).statusCode, 400, 'no paging parameters')
  t.equal((await ispringGet(app, '/user', demoLegacy('06'))).statusCode, 403)
})

t.test('GET /role and GET /user/profile/fields', async (t) => {
  const app = await build(t)
  const owner = { authorization: await ispringToken(app), ...JSON_ACCEPT }
  const roles = (await ispringGet(app, '/role', owner)).json()
  t.same(roles.slice(0, 2), [
    { roleId: 'eaefe76e-2ae1-11e9-b90a-0242ac13000a', type: 'owner', title: 'Account Owner', description: 'Full access to the account' },
    { roleId: 'eaf01662-2ae1-11e9-aa24-0242ac13000a', type: 'administrator', title: 'Administrator', description: 'Manages the whole account' }
  ])
  t.same(roles.map((r: { type: string }) => r.type).slice(0, 6), ['owner', 'administrator', 'department_administrator', 'publisher', 'author', 'learner'])
  const fields = (await ispringGet(app, '/user/profile/fields', owner)).json()
  t.same(fields.map((f: { name: string }) => f.name), ['LOGIN', 'EMAIL', 'FIRST_NAME', 'LAST_NAME', 'PHONE', 'JOB_TITLE', 'COUNTRY', 'USER_DEFINED_FIELD1'])
  t.match(fields[0], { userFieldInfoId: 'login', label: 'Login', type: 'text', isUnique: 1, isRequired: 1, orderPriority: 1 })
})
