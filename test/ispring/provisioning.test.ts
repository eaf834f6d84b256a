/**
 * iSpring provisioning: create, update, move, delete, status, password, work leave and
 * POST /user/list, in JSON, XML and PHP-style form bodies, with the role rules and atomicity.
 */
import t from 'tap'
import type { MockServer } from '../../src/index.js'
import { adminCall, build, demoLegacy, demoUserId, ISPRING, ispringGet, ispringToken, JSON_ACCEPT, legacyHeaders, parseXml, xmlToJson, ispringError, ispringSend } from '../helper.js'

const D = ISPRING.demo.departments
const G = ISPRING.demo.groups
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

type Headers = Record<string, string>

const send = ispringSend
const error = ispringError

async function profile (app: MockServer, headers: Headers, userId: string, version: '' | '/v2' = '') {
  const res = await ispringGet(app, `/user/${userId}${version}`, { ...headers, ...JSON_ACCEPT })
  return { status: res.statusCode, body: res.statusCode === 200 ? res.json() : undefined }
}

const field = (p: { fields: Array<{ name: string, value: string }> }, name: string): string | undefined => p.fields.find((f) => f.name === name)?.value

async function owner (app: MockServer): Promise<Headers> {
  return { authorization: `Bearer ${await ispringToken(app)}`, ...JSON_ACCEPT }
}

t.test('create a user in JSON, read it back in both formats and both versions, sign in as them', async (t) => {
  const app = await build(t)
  const headers = await owner(app)
  const created = await send(app, 'POST', '/user', headers, {
    departmentId: D.salesEmea,
    fields: { login: 'ada', email: 'ada@demo.test', first_name: 'Ada', last_name: 'Lovelace', job_title: 'Analyst', phone: '+44 20 7946 0000', country: 'GB', user_defined_field1: 'Blue' },
    password: 'ada-pass',
    role: 'learner',
    groupIds: [G.interns],
    sendLoginEmail: true
  })
  t.equal(created.statusCode, 201, created.body)
  t.equal(created.headers['content-type'], 'application/json; charset=utf-8')
  const id = created.json() as string
  t.match(id, UUID, 'the new id, as a JSON string')
  const read = await profile(app, headers, id)
  t.equal(read.status, 200)
  t.match(read.body, { userId: id, role: 'learner', departmentId: D.salesEmea, status: 1, groups: [G.interns] })
  t.same(read.body.fields, [
    { name: 'LOGIN', value: 'ada' }, { name: 'EMAIL', value: 'ada@demo.test' }, { name: 'FIRST_NAME', value: 'Ada' }, { name: 'LAST_NAME', value: 'Lovelace' },
    { name: 'PHONE', value: '+44 20 7946 0000' }, { name: 'JOB_TITLE', value: 'Analyst' }, { name: 'COUNTRY', value: 'GB' }, { name: 'USER_DEFINED_FIELD1', value: 'Blue' }
  ])
  const xml = await ispringGet(app, `/user/${id}`, { authorization: headers.authorization as string })
  t.same(xmlToJson((await parseXml(xml.body)).children[0] as never), read.body, 'the XML form says the same')
  const listed = await ispringGet(app, '/users/v2?logins[]=ada', headers)
  t.same(listed.json().userProfiles.map((u: { userId: string }) => u.userId), [id], 'GET /users/v2 finds the new user')
  const inSales = await ispringGet(app, `/users?departments[]=${D.sales}`, headers)
  t.ok(inSales.json().userProfiles.some((u: { userId: string }) => u.userId === id), 'and so does the department filter, with sub-departments')
  t.equal((await ispringGet(app, '/users?pageSize=1', legacyHeaders('ada', 'ada-pass'))).statusCode, 403, 'the new learner signs in (and, a learner, may not list)')
  t.equal((await ispringGet(app, '/users?pageSize=1', legacyHeaders('ada', 'wrong'))).statusCode, 401)
  const journal = await app.inject({ url: '/__admin/requests?method=POST&path=/user' })
  const entry = journal.json().requests.find((r: { path: string }) => r.path === '/user')
  t.equal(entry?.body?.password, '[redacted]', 'the journal keeps the body with the password redacted')
  t.equal(entry?.body?.sendLoginEmail, true, 'and records the login e-mail that was asked for (none is sent)')
  await send(app, 'POST', '/users/work-leave-status', headers, { workLeaveStatuses: [{ userId: id, workLeaveReason: 'SickLeave', password: 'nested-secret' }] })
  const nested = (await app.inject({ url: '/__admin/requests?path=/users/work-leave-status' })).json().requests[0]
  t.equal(nested?.body?.workLeaveStatuses?.[0]?.password, '[redacted]', 'a password nested in the body is redacted too')
})

t.test('create in XML and in a PHP-style form', async (t) => {
  const app = await build(t)
  const token = `Bearer ${await ispringToken(app)}`
  const xmlBody = `<?xml version="1.0" encoding="UTF-8"?>
<request>
  <departmentId>${D.engineering}</departmentId>
  <fields><login>007</login><email>bond&amp;co@demo.test</email><first_name>James</first_name></fields>
  <groupIds><id>${G.interns}</id><id>${G.managers}</id></groupIds>
  <role>department_administrator</role>
  <manageableDepartmentIds><id>${D.platform}</id></manageableDepartmentIds>
</request>`
  const created = await send(app, 'POST', '/user', { authorization: token }, xmlBody, 'application/xml')
  t.equal(created.statusCode, 201, created.body)
  t.equal(created.headers['content-type'], 'application/xml; charset=utf-8')
  const doc = await parseXml(created.body)
  t.equal(doc.name, 'response')
  const id = doc.text
  t.match(id, UUID, '<response>id</response>')
  const read = (await profile(app, { authorization: token }, id)).body
  t.equal(field(read, 'LOGIN'), '007', 'values stay text')
  t.equal(field(read, 'EMAIL'), 'bond&co@demo.test', 'entities of XML itself are read')
  t.same(read.groups, [G.interns, G.managers])
  t.same(read.manageableDepartmentIds, [D.platform])
  t.equal(read.role, 'department_administrator')

  const formBody = `departmentId=${D.sales}&fields%5Blogin%5D=grace&fields[email]=grace@demo.test&groupIds[0]=${G.managers}&groupIds[1]=${G.interns}&role=learner`
  const fromForm = await send(app, 'POST', '/user', { authorization: token, ...JSON_ACCEPT }, formBody, 'application/x-www-form-urlencoded')
  t.equal(fromForm.statusCode, 201, fromForm.body)
  const graced = (await profile(app, { authorization: token }, fromForm.json())).body
  t.same(graced.groups, [G.managers, G.interns], 'indexed form arrays, in the order sent')
  t.equal(field(graced, 'LOGIN'), 'grace')
})

t.test('update: only what is sent changes; move; groups; role; password', async (t) => {
  const app = await build(t)
  const headers = await owner(app)
  const rep = demoUserId('07')
  const before = (await profile(app, headers, rep)).body
  const updated = await send(app, 'POST', `/user/${rep}`, headers, { fields: { job_title: 'Lead' }, departmentId: D.engineering, groupIds: [G.managers] })
  t.equal(updated.statusCode, 200, updated.body)
  t.equal(updated.body, '', 'no body')
  const after = (await profile(app, headers, rep)).body
  t.equal(field(after, 'JOB_TITLE'), 'Lead')
  t.equal(field(after, 'EMAIL'), field(before, 'EMAIL'), 'fields not sent are kept')
  t.equal(after.departmentId, D.engineering, 'moved')
  t.same(after.groups, [G.managers])
  t.same((await ispringGet(app, `/users?departments[]=${D.sales}`, headers)).json().userProfiles.map((u: { userId: string }) => u.userId).includes(rep), false, 'out of the old department\'s listing')
  t.equal((await send(app, 'POST', `/user/${rep}`, headers, { role: 'publisher', manageableDepartmentIds: [D.sales] })).statusCode, 200)
  t.match((await profile(app, headers, rep)).body, { role: 'publisher', manageableDepartmentIds: [D.sales] })
  const login = ISPRING.demo.users['07'].login
  t.equal((await send(app, 'POST', `/user/${rep}/password`, headers, { password: 'new-pass' })).statusCode, 200)
  t.equal((await ispringGet(app, '/users?pageSize=1', legacyHeaders(login, ISPRING.demo.users['07'].password))).statusCode, 401, 'the old password no longer works')
  t.equal((await ispringGet(app, '/users?pageSize=1', legacyHeaders(login, 'new-pass'))).statusCode, 200, 'the new one does (a publisher may list)')
})

t.test('status: one user or a batch; v1 and v2 show employment ended as 3 and 5; deactivated users cannot sign in', async (t) => {
  const app = await build(t)
  const headers = await owner(app)
  const rep = demoUserId('07')
  t.equal((await send(app, 'POST', `/user/${rep}/status`, headers, { status: 5 })).statusCode, 200)
  t.equal((await profile(app, headers, rep)).body.status, 3, 'v1: 3')
  t.equal((await profile(app, headers, rep, '/v2')).body.status, 5, 'v2: 5')
  t.same((await send(app, 'POST', `/user/${rep}/status`, headers, { status: 2 })).json(), error(400, 'Bad Request: status must be 1, 3 or 5, got "2"'))
  const admin = demoUserId('02')
  const adminLogin = legacyHeaders(ISPRING.demo.users['02'].login, ISPRING.demo.users['02'].password)
  t.equal((await ispringGet(app, '/users?pageSize=1', adminLogin)).statusCode, 200)
  t.equal((await send(app, 'POST', '/users/deactivate', headers, { userIds: [admin, rep] })).statusCode, 200)
  t.equal((await ispringGet(app, '/users?pageSize=1', adminLogin)).statusCode, 401, 'a deactivated user cannot sign in')
  t.equal((await profile(app, headers, admin)).body.status, 3)
  t.equal((await send(app, 'POST', '/users/activate', headers, { userIds: [admin] })).statusCode, 200)
  t.equal((await ispringGet(app, '/users?pageSize=1', adminLogin)).statusCode, 200, 'and can again once activated')
  t.equal((await send(app, 'POST', '/users/terminate', headers, `<request><userIds><id>${rep}</id></userIds></request>`, 'application/xml')).statusCode, 200)
  t.equal((await profile(app, headers, rep, '/v2')).body.status, 5)
  const salesClient = await ispringToken(app, ISPRING.demo.clients.sales)
  t.equal((await send(app, 'POST', '/users/deactivate', { authorization: salesClient }, { userIds: [admin] })).statusCode, 403, 'a department administrator cannot deactivate an administrator')
  const ownerId = demoUserId('01')
  t.equal((await send(app, 'POST', '/users/deactivate', headers, { userIds: [ownerId] })).statusCode, 403, 'nobody deactivates the owner')
})

t.test('delete: 204, then 404 everywhere and gone from every list; its API client dies with it', async (t) => {
  const app = await build(t)
  const headers = await owner(app)
  const salesToken = await ispringToken(app, ISPRING.demo.clients.sales)
  const salesAdmin = demoUserId('03')
  const before = (await ispringGet(app, '/users/v2', headers)).json().userProfiles.length
  const removed = await send(app, 'DELETE', `/user/${salesAdmin}`, headers)
  t.equal(removed.statusCode, 204)
  t.equal(removed.body, '')
  t.equal((await profile(app, headers, salesAdmin)).status, 404)
  t.equal((await ispringGet(app, '/users/v2', headers)).json().userProfiles.length, before - 1)
  t.same((await ispringGet(app, `/users/v2?userIds[]=${salesAdmin}`, headers)).json().userProfiles, [])
  t.equal((await ispringGet(app, '/users', { authorization: salesToken })).statusCode, 401, 'the token of a client acting as the deleted user is dead')
  t.equal((await send(app, 'DELETE', `/user/${salesAdmin}`, headers)).statusCode, 404)
  t.equal((await send(app, 'DELETE', `/user/${demoUserId('01')}`, headers)).statusCode, 403, 'the owner cannot be deleted')
  t.same((await send(app, 'DELETE', '/user/nope', headers)).json(), error(400, 'Bad Request: userId must be a UUID, got "nope"'))
})

t.test('refusals name the field and change nothing', async (t) => {
  const app = await build(t)
  const headers = await owner(app)
  const before = (await ispringGet(app, '/users/v2', headers)).body
  const seq = app.mock.changes.seq
  const cases: Array<[string, unknown, string]> = [
    ['no fields', { departmentId: D.sales }, 'Bad Request: fields is required'],
    ['no department', { fields: { login: 'x', email: 'x@demo.test' } }, 'Bad Request: departmentId is required'],
    ['no login', { departmentId: D.sales, fields: { email: 'x@demo.test' } }, 'Bad Request: fields.login is required'],
    ['no email', { departmentId: D.sales, fields: { login: 'x' } }, 'Bad Request: fields.email is required'],
    ['taken login', { departmentId: D.sales, fields: { login: 'OWNER', email: 'x@demo.test' } }, 'Bad Request: fields.login "OWNER" is already taken by another user'],
    ['taken email', { departmentId: D.sales, fields: { login: 'x', email: 'Admin@demo.test' } }, 'Bad Request: fields.email "Admin@demo.test" is already taken by another user'],
    ['unknown department', { departmentId: '00000000-0000-4000-8000-000000000000', fields: { login: 'x', email: 'x@demo.test' } }, 'Bad Request: departmentId: no department has id "00000000-0000-4000-8000-000000000000"'],
    ['unknown group', { departmentId: D.sales, groupIds: ['00000000-0000-4000-8000-000000000000'], fields: { login: 'x', email: 'x@demo.test' } }, 'Bad Request: groupIds: no group has id "00000000-0000-4000-8000-000000000000"'],
    ['bad role', { departmentId: D.sales, role: 'owner', fields: { login: 'x', email: 'x@demo.test' } }, 'Bad Request: role must be one of administrator, department_administrator, publisher, author, learner, custom, got "owner"'],
    ['unknown field', { departmentId: D.sales, fields: { login: 'x', email: 'x@demo.test', shoe_size: '9' } }, 'Bad Request: unknown profile field "shoe_size"'],
    ['learner managing', { departmentId: D.sales, manageableDepartmentIds: [D.sales], fields: { login: 'x', email: 'x@demo.test' } }, 'Bad Request: manageableDepartmentIds are only for department_administrator, publisher and custom roles, not learner'],
    ['not an object', [1, 2], 'Bad Request: the body must be an object']
  ]
  for (const [name, body, message] of cases) {
    const res = await send(app, 'POST', '/user', headers, body)
    t.equal(res.statusCode, 400, name)
    if (message !== '') t.same(res.json(), error(400, message), name)
  }
  const malformed = await send(app, 'POST', '/user', headers, '{"fields":', 'application/json')
  t.same(malformed.json(), error(400, 'Bad Request: the body is not valid JSON'))
  const entity = await send(app, 'POST', '/user', headers, '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]><request><fields><login>&x;</login></fields></request>', 'application/xml')
  t.same(entity.json(), error(400, 'Bad Request: document type and entity declarations are not accepted'))
  const plain = await send(app, 'POST', '/user', headers, 'hello', 'text/plain')
  t.equal(plain.statusCode, 400)
  const batch = await send(app, 'POST', '/users/deactivate', headers, { userIds: [demoUserId('06'), '00000000-0000-4000-8000-000000000000'] })
  t.same(batch.json(), error(400, 'Bad Request: userIds: no user has id "00000000-0000-4000-8000-000000000000"'))
  t.equal(app.mock.changes.seq, seq, 'no refused write made a change')
  t.equal((await ispringGet(app, '/users/v2', headers)).body, before, 'the directory is as it was')
})

t.test('who may write: owner and administrators everywhere, department administrators in their departments, others never', async (t) => {
  const app = await build(t)
  const sales = { authorization: await ispringToken(app, ISPRING.demo.clients.sales), ...JSON_ACCEPT }
  const newUser = (departmentId: string, login: string) => ({ departmentId, fields: { login, email: `${login}@demo.test` } })
  t.equal((await send(app, 'POST', '/user', sales, newUser(D.salesEmea, 'in-scope'))).statusCode, 201, 'inside a sub-department of the managed one')
  t.same((await send(app, 'POST', '/user', sales, newUser(D.engineering, 'out-of-scope'))).json(), error(403, 'Permission Denied'))
  t.equal((await send(app, 'POST', `/user/${demoUserId('07')}`, sales, { fields: { job_title: 'x' } })).statusCode, 200, 'a user in scope')
  t.equal((await send(app, 'POST', `/user/${demoUserId('07')}`, sales, { departmentId: D.engineering })).statusCode, 403, 'moving a user out of scope')
  t.equal((await send(app, 'POST', `/user/${demoUserId('06')}`, sales, { departmentId: D.sales })).statusCode, 403, 'moving a user in from outside')
  t.equal((await send(app, 'POST', '/user', sales, { ...newUser(D.sales, 'boss'), role: 'administrator' })).statusCode, 403, 'making an administrator')
  const batch = await send(app, 'POST', '/users/deactivate', sales, { userIds: [demoUserId('07'), demoUserId('06')] })
  t.equal(batch.statusCode, 403, 'one out-of-scope id refuses the batch')
  t.equal((await profile(app, sales, demoUserId('07'))).body.status, 1, '... and the in-scope one is unchanged')
  for (const row of ['04', '05', '06'] as const) {
    const res = await send(app, 'POST', `/user/${demoUserId('10')}/status`, demoLegacy(row), { status: 3 })
    t.equal(res.statusCode, 403, `${ISPRING.demo.users[row].login} may not write`)
  }
  t.equal((await send(app, 'POST', `/user/${demoUserId('10')}/status`, demoLegacy('02'), { status: 3 })).statusCode, 200, 'an administrator may')
  t.equal((await send(app, 'POST', '/user', {}, newUser(D.sales, 'anon'))).statusCode, 401)
})

t.test('work-leave statuses: set for many, shown in profiles, removed', async (t) => {
  const app = await build(t)
  const headers = await owner(app)
  const [a, b] = [demoUserId('06'), demoUserId('07')]
  const set = await send(app, 'POST', '/users/work-leave-status', headers, { workLeaveStatuses: [{ userId: a, workLeaveReason: 'SickLeave', startDate: '2026-02-01', endDate: '2026-02-10' }, { userId: b, workLeaveReason: 'OnVacation', startDate: '2026-03-01' }] })
  t.equal(set.statusCode, 200, set.body)
  t.same((await profile(app, headers, a)).body.workLeaveStatus, { workLeaveReason: 'SickLeave', startDate: '2026-02-01', endDate: '2026-02-10' })
  t.same((await profile(app, headers, b)).body.workLeaveStatus, { workLeaveReason: 'OnVacation', startDate: '2026-03-01' })
  const xml = `<request><workLeaveStatuses><userId>${a}</userId><workLeaveReason>BusinessTrip</workLeaveReason><startDate>2026-04-01</startDate></workLeaveStatuses></request>`
  t.equal((await send(app, 'POST', '/users/work-leave-status', headers, xml, 'application/xml')).statusCode, 200)
  t.equal((await profile(app, headers, a)).body.workLeaveStatus.workLeaveReason, 'BusinessTrip')
  t.same((await send(app, 'POST', '/users/work-leave-status', headers, { workLeaveStatuses: [{ userId: a, workLeaveReason: 'Napping' }] })).json().code, 400)
  t.same((await send(app, 'POST', '/users/work-leave-status', headers, { workLeaveStatuses: [{ userId: a, workLeaveReason: 'SickLeave', startDate: '2026-02-10', endDate: '2026-02-01' }] })).json(), error(400, 'Bad Request: workLeaveStatuses[0].endDate is before startDate'))
  t.equal((await send(app, 'POST', '/users/work-leave-status/delete', headers, { userIds: [a, b] })).statusCode, 200)
  t.equal((await profile(app, headers, a)).body.workLeaveStatus, undefined)
})

t.test('POST /user/list: page numbers, filters, scope, both formats', async (t) => {
  const app = await build(t)
  const headers = await owner(app)
  const all = (await ispringGet(app, '/users', headers)).json().userProfiles.map((u: { userId: string }) => u.userId)
  const first = await send(app, 'POST', '/user/list', headers, { page: 1, pageSize: 4 })
  t.equal(first.statusCode, 200)
  t.same(Object.keys(first.json()), ['pageNumber', 'totalUsersNumber', 'userProfiles'])
  t.match(first.json(), { pageNumber: 1, totalUsersNumber: all.length })
  const pages: string[] = []
  for (let page = 1; page <= Math.ceil(all.length / 4); page++) {
    pages.push(...(await send(app, 'POST', '/user/list', headers, { page, pageSize: 4 })).json().userProfiles.map((u: { userId: string }) => u.userId))
  }
  t.same(pages, all, 'the pages walk every user once, in the order of GET /users')
  t.same((await send(app, 'POST', '/user/list', headers, { page: 99, pageSize: 4 })).json().userProfiles, [], 'past the end: an empty page')
  const filtered = await send(app, 'POST', '/user/list', headers, { departments: [D.sales], logins: ['EMEA.REP', 'owner'] })
  t.same(filtered.json().userProfiles.map((u: { userId: string }) => u.userId), [demoUserId('07')])
  const xml = await send(app, 'POST', '/user/list', { authorization: headers.authorization as string }, `<request><departments><id>${D.sales}</id></departments><pageSize>2</pageSize></request>`, 'application/xml')
  const doc = await parseXml(xml.body)
  t.same(doc.children.map((c) => c.name), ['pageNumber', 'totalUsersNumber', 'userProfiles'])
  t.equal(doc.children[1]?.text, '3')
  t.equal(doc.children[2]?.children.length, 2)
  const sales = { authorization: await ispringToken(app, ISPRING.demo.clients.sales), ...JSON_ACCEPT }
  t.equal((await send(app, 'POST', '/user/list', sales, {})).json().totalUsersNumber, 3, 'a department administrator sees their scope')
  t.equal((await send(app, 'POST', '/user/list', sales, { departments: [D.engineering] })).statusCode, 403)
  t.same((await send(app, 'POST', '/user/list', headers, { pageSize: 0 })).json(), error(400, 'Bad Request: pageSize must be an integer from 1 to 1000, got "0"'))
})

t.test('the admin API and the vendor API write the same records', async (t) => {
  const app = await build(t)
  const headers = await owner(app)
  await adminCall(app, 'DELETE', `/tenants/ispring/demo/users/${demoUserId('10')}`)
  t.equal((await profile(app, headers, demoUserId('10'))).status, 404, 'an admin delete shows in the vendor API')
  t.equal((await send(app, 'POST', `/user/${demoUserId('10')}/status`, headers, { status: 3 })).statusCode, 404)
})

t.test('a page-token walk stays exact while users are created and deleted', async (t) => {
  const app = await build(t)
  const headers = await owner(app)
  const before = (await ispringGet(app, '/users/v2', headers)).json().userProfiles.map((u: { userId: string }) => u.userId) as string[]
  const seen: string[] = []
  let token: string | undefined
  let step = 0
  do {
    const page = (await ispringGet(app, `/users/v2?pageSize=2${token === undefined ? '' : `&pageToken=${token}`}`, headers)).json()
    seen.push(...page.userProfiles.map((u: { userId: string }) => u.userId))
    token = page.nextPageToken
    if (step === 1) {
      // One already seen and one still ahead go; a new user comes.
      t.equal((await send(app, 'DELETE', `/user/${before[1] as string}`, headers)).statusCode, 204)
      t.equal((await send(app, 'DELETE', `/user/${before[7] as string}`, headers)).statusCode, 204)
      t.equal((await send(app, 'POST', '/user', headers, { departmentId: D.sales, fields: { login: 'mid.walk', email: 'mid.walk@demo.test' } })).statusCode, 201)
    }
    step++
  } while (token !== undefined)
  const throughout = before.filter((id) => id !== before[1] && id !== before[7])
  for (const id of throughout) t.equal(seen.filter((s) => s === id).length, 1, `${id} exactly once`)
  t.notOk(seen.includes(before[7] as string), 'a user deleted ahead of the walk never appears')
  t.equal(new Set(seen).size, seen.length, 'no repeats')
})

t.test('scheduled deactivation and termination happen when the mock clock reaches the day; a cancelled one never does', async (t) => {
  const app = await build(t)
  const headers = await owner(app)
  const [a, b, c] = [demoUserId('06'), demoUserId('07'), demoUserId('10')]
  const day = (offsetDays: number): string => new Date(app.mock.clock.now() + offsetDays * 86_400_000).toISOString().slice(0, 10)
  t.equal((await send(app, 'POST', `/user/${a}/scheduled_deactivation`, headers, { date: day(2) })).statusCode, 200)
  t.equal((await send(app, 'POST', `/user/${b}/scheduled_termination`, headers, `<request><date>${day(5)}</date></request>`, 'application/xml')).statusCode, 200)
  t.equal((await send(app, 'POST', `/user/${c}/scheduled_deactivation`, headers, { date: day(1) })).statusCode, 200)
  t.equal((await send(app, 'DELETE', `/user/${c}/scheduled_deactivation`, headers)).statusCode, 200, 'cancelled')
  t.same((await send(app, 'POST', `/user/${a}/scheduled_termination`, headers, { date: 'soon' })).json(), error(400, 'Bad Request: date must be a date (YYYY-MM-DD), got "soon"'))
  const status = async (id: string) => (await profile(app, headers, id, '/v2')).body.status
  t.same([await status(a), await status(b), await status(c)], [1, 1, 1], 'nothing yet')
  await adminCall(app, 'POST', '/clock', { advanceSeconds: 3 * 86_400 })
  const later = await owner(app)
  t.same([(await profile(app, later, a, '/v2')).body.status, (await profile(app, later, b, '/v2')).body.status, (await profile(app, later, c, '/v2')).body.status], [3, 1, 1], 'day 3: a deactivated')
  t.equal((await ispringGet(app, '/users?pageSize=1', demoLegacy('06'))).statusCode, 401, 'and can no longer sign in')
  await adminCall(app, 'POST', '/clock', { advanceSeconds: 3 * 86_400 })
  const latest = await owner(app)
  t.same([(await profile(app, latest, b, '/v2')).body.status, (await profile(app, latest, c, '/v2')).body.status], [5, 1], 'day 6: b terminated, c never')
})

t.test('a department administrator cannot widen anyone\'s reach beyond its own departments', async (t) => {
  const app = await build(t)
  const ownerHeaders = await owner(app)
  const sales = { authorization: await ispringToken(app, ISPRING.demo.clients.sales), ...JSON_ACCEPT }
  const spy = { departmentId: D.sales, fields: { login: 'spy', email: 'spy@demo.test' }, password: 'spy-pass' }
  t.equal((await send(app, 'POST', '/user', sales, { ...spy, role: 'author' })).statusCode, 403, 'an author reads everyone: not a role a scoped caller gives')
  t.equal((await send(app, 'POST', `/user/${demoUserId('03')}`, sales, { role: 'author' })).statusCode, 403, 'not even to itself')
  t.equal((await send(app, 'POST', '/user', sales, { ...spy, role: 'department_administrator', manageableDepartmentIds: [D.root] })).statusCode, 403, 'managing departments outside its own')
  const wide = await send(app, 'POST', '/user', ownerHeaders, { departmentId: D.salesEmea, fields: { login: 'wide', email: 'wide@demo.test' }, role: 'publisher', manageableDepartmentIds: [D.root] })
  t.equal(wide.statusCode, 201)
  const id = wide.json() as string
  t.equal((await send(app, 'POST', `/user/${id}`, sales, { role: 'department_administrator' })).statusCode, 403, 'a user managing more than the caller is out of its reach')
  t.equal((await send(app, 'POST', `/user/${id}/password`, sales, { password: 'mine-now' })).statusCode, 403, 'and so is their password')
  t.equal((await send(app, 'POST', `/user/${demoUserId('05')}/password`, ownerHeaders, { password: 'p' })).statusCode, 200, 'the owner may')
})

t.test('deleting a supervisor sends the users they supervised back to "inherit"; those users stay writable', async (t) => {
  const app = await build(t)
  const headers = await owner(app)
  t.same((await profile(app, headers, demoUserId('07'))).body.subordination, { subordinationType: 'manual', supervisorId: demoUserId('03') })
  t.equal((await send(app, 'DELETE', `/user/${demoUserId('03')}`, headers)).statusCode, 204)
  t.same((await profile(app, headers, demoUserId('07'))).body.subordination, { subordinationType: 'inherit' })
  t.equal((await send(app, 'POST', '/users/terminate', headers, { userIds: [demoUserId('07'), demoUserId('09')] })).statusCode, 200)
  t.equal((await send(app, 'POST', '/group', headers, { name: 'After', userIds: [] })).statusCode, 201, 'an empty member list is no list')
  t.equal((await send(app, 'DELETE', `/user/${demoUserId('01')}/scheduled_deactivation`, headers)).statusCode, 403, 'the owner\'s schedules are nobody\'s to change')
})

t.test('smart groups: members follow their rules, whichever call tries to change them', async (t) => {
  const app = await build(t)
  const smart = 'e9000000-0000-4000-8000-000000000001'
  await adminCall(app, 'POST', '/tenants', {
    vendor: 'ispring',
    id: 'smarts',
    name: 'Smarts',
    accountUrl: 'https://smarts.ispringlearn.com',
    departments: [{ id: 'd9000000-0000-4000-8000-000000000001', name: 'Root' }],
    groups: [{ id: smart, name: 'Rule-based', isSmart: true }],
    users: [
      { userId: 'a9000000-0000-4000-8000-000000000001', login: 'boss', email: 'boss@smarts.test', password: 'boss-pass', firstName: 'B', lastName: 'B', role: 'owner', departmentId: 'd9000000-0000-4000-8000-000000000001', groups: [smart] },
      { userId: 'a9000000-0000-4000-8000-000000000002', login: 'worker', email: 'worker@smarts.test', password: 'w', firstName: 'W', lastName: 'W', role: 'learner', departmentId: 'd9000000-0000-4000-8000-000000000001' }
    ]
  })
  const headers = { ...legacyHeaders('boss', 'boss-pass', 'https://smarts.ispringlearn.com'), ...JSON_ACCEPT }
  const message = error(400, `Bad Request: groupIds: "${smart}" is a smart group, whose members follow its rules`)
  t.same((await send(app, 'POST', '/user/a9000000-0000-4000-8000-000000000002', headers, { groupIds: [smart] })).json(), message, 'joining through an update')
  t.same((await send(app, 'POST', '/user', headers, { departmentId: 'd9000000-0000-4000-8000-000000000001', groupIds: [smart], fields: { login: 'n', email: 'n@smarts.test' } })).json(), message, 'joining on create')
  t.same((await send(app, 'POST', '/user/a9000000-0000-4000-8000-000000000001', headers, { groupIds: [] })).json(), message, 'leaving through an update')
  t.same((await send(app, 'POST', '/user/a9000000-0000-4000-8000-000000000001/groups/remove', headers, { groupIds: [smart] })).json(), message, 'leaving through groups/remove')
  t.equal((await send(app, 'POST', '/user/a9000000-0000-4000-8000-000000000001', headers, { fields: { job_title: 'Boss' } })).statusCode, 200, 'other updates of a member are fine')
})
