import t from 'tap'
import { build, demoLegacy, demoUserId, ISPRING, ispringGet, ispringToken, JSON_ACCEPT } from '../helper.js'

const owner = { ...demoLegacy('01'), ...JSON_ACCEPT }
const bad = (message: string) => ({ code: 400, message: `Bad Request: ${message}` })

t.test('strict parameters: 400 in the vendor shape', async (t) => {
  const app = await build(t)
  const cases: Array<[string, string]> = [
    ['/users?foo=1', 'unknown parameter foo'],
    ['/users?pageSize=10&Foo%5B%5D=1', 'unknown parameter Foo[]'],
    [`/users?departments=${ISPRING.demo.departments.sales}`, 'unknown parameter departments'],
    [`/users?department[]=${ISPRING.demo.departments.sales}`, 'unknown parameter department[]'],
    ['/users?PageSize=10', 'unknown parameter PageSize'],
    ['/users?pagesize=10', 'unknown parameter pagesize'],
    ['/users?pageSize[]=10', 'unknown parameter pageSize[]'],
    [`/users?userIds[]=${demoUserId('01')}`, 'unknown parameter userIds[]'],
    ['/users?pageSize=0', 'pageSize must be an integer from 1 to 1000, got "0"'],
    ['/users?pageSize=1001', 'pageSize must be an integer from 1 to 1000, got "1001"'],
    ['/users?pageSize=abc', 'pageSize must be an integer from 1 to 1000, got "abc"'],
    ['/users?pageSize=-1', 'pageSize must be an integer from 1 to 1000, got "-1"'],
    ['/users?pageSize=1.5', 'pageSize must be an integer from 1 to 1000, got "1.5"'],
    ['/users?pageSize=', 'pageSize must be an integer from 1 to 1000, got ""'],
    ['/users?pageSize=99999999999999999999', 'pageSize must be an integer from 1 to 1000, got "99999999999999999999"'],
    ['/users?pageSize=%201', 'pageSize must be an integer from 1 to 1000, got " 1"'],
    ['/users?pageSize=10&pageSize=20', 'pageSize given more than once'],
    ['/users?pageToken=a&pageToken=b', 'pageToken given more than once'],
    ['/users?departments[]=not-a-uuid', 'departments[] must hold UUIDs, got "not-a-uuid"'],
    ['/users?departments[]=', 'departments[] must hold UUIDs, got ""'],
    [`/users?departments[]=${ISPRING.demo.departments.sales}&departments[]=d1000000-0000-4000-8000-00000000000`, 'departments[] must hold UUIDs, got "d1000000-0000-4000-8000-00000000000"'],
    ['/users?groups[]={e1000000-0000-4000-8000-000000000001}', 'groups[] must hold UUIDs, got "{e1000000-0000-4000-8000-000000000001}"'],
    ['/users/v2?userIds[]=123', 'userIds[] must hold UUIDs, got "123"'],
    ['/users?a=%E0%A4%A', 'malformed query string'],
    ['/users?pageSize=%ZZ', 'malformed query string'],
    [`/user/${demoUserId('01')}?pageSize=1`, 'unknown parameter pageSize'],
    ['/user/not-a-uuid', 'userId must be a UUID, got "not-a-uuid"'],
    ['/user/not-a-uuid/v2', 'userId must be a UUID, got "not-a-uuid"'],
    ['/user/a1000000-0000-4000-8000-00000000001', 'userId must be a UUID, got "a1000000-0000-4000-8000-00000000001"'],
    ['/department/ROOT', 'departmentId must be a UUID, got "ROOT"'],
    ['/group/1', 'groupId must be a UUID, got "1"'],
    ['/departments?foo=bar', 'unknown parameter foo'],
    ['/groups?pageSize=2000', 'pageSize must be an integer from 1 to 1000, got "2000"'],
    [`/users?${'x'.repeat(300)}=1`, `unknown parameter ${'x'.repeat(80)}...`]
  ]
  for (const [path, message] of cases) {
    const res = await ispringGet(app, path, owner)
    t.equal(res.statusCode, 400, path)
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    t.same(res.json(), bad(message), path)
  }
  const xml = await ispringGet(app, '/users?pageSize=0', demoLegacy('01'))
  t.equal(xml.body, '<?xml version="1.0" encoding="UTF-8"?><response><code>400</code><message>Bad Request: pageSize must be an integer from 1 to 1000, got "0"</message></response>')
})

t.test('accepted edge values', async (t) => {
  const app = await build(t)
  for (const path of ['/users?pageSize=1', '/users?pageSize=1000', '/users?pageSize=0010', '/users?&&pageSize=5&', '/users?logins[]=', '/users?emails%5B%5D=owner%40demo.test', '/users/v2?userIds%5B%5D=A1000000-0000-4000-8000-000000000001']) {
    t.equal((await ispringGet(app, path, owner)).statusCode, 200, path)
  }
  t.equal((await ispringGet(app, '/users?pageSize=0010', owner)).json().userProfiles.length, 10)
})

t.test('authentication comes before parameter checks', async (t) => {
  const app = await build(t)
  t.equal((await ispringGet(app, '/users?pageSize=0', JSON_ACCEPT)).statusCode, 401)
  t.equal((await ispringGet(app, '/users?pageSize=0', demoLegacy('06'))).statusCode, 403)
})

t.test('unknown routes and methods: 404 in the vendor shape', async (t) => {
  const app = await build(t)
  for (const [method, url] of [['GET', '/ispring/nothing'], ['POST', '/ispring/users'], ['DELETE', '/ispring/users'], ['PUT', `/ispring/user/${demoUserId('01')}`], ['GET', '/ispring/users/'], ['GET', '/ispring/api/v3/token'], ['GET', '/ispring/api/v2/nothing']] as const) {
    const res = await app.inject({ method, url, headers: JSON_ACCEPT })
    t.equal(res.statusCode, 404, `${method} ${url}`)
    t.same(res.json(), { code: 404, message: 'Not Found' })
  }
  const xml = await app.inject({ url: '/nothing', headers: { host: 'demo.ispringlearn.com' } })
  t.equal(xml.statusCode, 404)
  t.equal(xml.body, '<?xml version="1.0" encoding="UTF-8"?><response><code>404</code><message>Not Found</message></response>')
  const unknownUser = await ispringGet(app, '/user/a1000000-0000-4000-8000-0000000000ff', owner)
  t.same(unknownUser.json(), { code: 404, message: 'Not Found' })
})

t.test('no input reaches a 500: odd queries, headers and bodies', async (t) => {
  const app = await build(t)
  const queries = ['%', '%%', '=', '==', '&', '[]=', 'pageSize', 'pageToken', 'departments[]', 'logins[]=%00', 'emails[]=%F0%9F%98%80',
    'pageToken=%2e%2e', `pageToken=${'A'.repeat(5000)}`, 'pageSize=1e3', 'pageSize=0x10', 'departments[][]=1', '__proto__=1', 'constructor[]=1',
    'logins[]=a&logins[]=b&'.repeat(200)]
  const paths = ['/users', '/users/v2', '/departments', '/groups', `/user/${demoUserId('01')}`, `/group/${ISPRING.demo.groups.interns}`]
  for (const path of paths) {
    for (const q of queries) {
      for (const headers of [owner, demoLegacy('03')]) {
        const res = await ispringGet(app, `${path}?${q}`, headers)
        t.ok(res.statusCode < 500, `${path}?${q.slice(0, 40)} → ${res.statusCode}`)
        t.notMatch(res.body, /at .*\.(ts|js):\d+/, 'no stack trace')
      }
    }
  }
  const oddHeaders: Array<Record<string, string>> = [
    { authorization: '' }, { authorization: ' ' }, { authorization: 'Bearer \u00ff' }, { 'x-auth-account-url': 'not a url', 'x-auth-email': 'x', 'x-auth-password': 'y' },
    { accept: 'application/json;q=abc' }, { accept: ';;,,' }, { 'x-auth-account-url': '%', 'x-auth-email': '%', 'x-auth-password': '%' }
  ]
  for (const headers of oddHeaders) {
    const res = await ispringGet(app, '/users', headers)
    t.ok(res.statusCode < 500, JSON.stringify(headers))
  }
  const big = await app.inject({ method: 'POST', url: '/ispring/api/v3/token', headers: { 'content-type': 'application/x-www-form-urlencoded', ...JSON_ACCEPT }, payload: `client_id=${'x'.repeat(70 * 1024)}` })
  t.equal(big.statusCode, 413)
  t.same(big.json(), { code: 413, message: 'Payload Too Large' })
})

t.test('PHP-style indexed arrays work wherever name[] does, brackets literal or percent-encoded', async (t) => {
  const app = await build(t)
  const owner = { authorization: await ispringToken(app), ...JSON_ACCEPT }
  const D = ISPRING.demo.departments
  const ids = async (path: string) => (await ispringGet(app, path, owner)).json().userProfiles.map((u: { userId: string }) => u.userId)
  const plain = await ids(`/users?departments[]=${D.salesEmea}&departments[]=${D.platform}`)
  t.ok(plain.length > 0)
  t.same(await ids(`/users?departments[0]=${D.salesEmea}&departments[1]=${D.platform}`), plain)
  t.same(await ids(`/users?departments%5B0%5D=${D.salesEmea}&departments%5B1%5D=${D.platform}`), plain)
  t.same(await ids(`/users/v2?userIds[0]=${demoUserId('02')}&logins[3]=admin`), [demoUserId('02')])
  const bad = await ispringGet(app, `/users?departments[x]=${D.sales}`, owner)
  t.same(bad.json(), { code: 400, message: 'Bad Request: unknown parameter departments[x]' })
})

t.test('workLeaveStatus in PHP keyed form filters users on leave by reason and overlapping dates', async (t) => {
  const app = await build(t)
  const owner = { authorization: await ispringToken(app), ...JSON_ACCEPT }
  const ids = async (query: string) => (await ispringGet(app, `/users/v2?${query}`, owner)).json().userProfiles.map((u: { userId: string }) => u.userId)
  // The demo's row 10 is on vacation from 2026-11-01 to 2026-12-15.
  t.same(await ids('workLeaveStatus[workLeaveReason]=OnVacation'), [demoUserId('10')])
  t.same(await ids('workLeaveStatus[workLeaveReason]=SickLeave'), [])
  t.same(await ids('workLeaveStatus[startDate]=2026-12-01&workLeaveStatus[endDate]=2026-12-31'), [demoUserId('10')], 'overlapping dates')
  t.same(await ids('workLeaveStatus[startDate]=2026-12-16'), [], 'ended before the start')
  t.same(await ids('workLeaveStatus%5BendDate%5D=2026-10-31'), [], 'starts after the end (percent-encoded brackets)')
  t.same(await ids(`workLeaveStatus[workLeaveReason]=OnVacation&departments[]=${ISPRING.demo.departments.sales}`), [], 'combined with other filters (AND)')
  const first = (await ispringGet(app, '/users/v2?workLeaveStatus[workLeaveReason]=OnVacation&pageSize=1', owner)).json()
  t.equal(first.nextPageToken, undefined)
  t.same((await ispringGet(app, '/users?workLeaveStatus[workLeaveReason]=Napping', owner)).json(), { code: 400, message: 'Bad Request: workLeaveStatus[workLeaveReason] must be one of OutOfTheOffice, OnVacation, PersonalLeave, BusinessTrip, SickLeave, ParentalLeave, EducationalLeave, got "Napping"' })
  t.same((await ispringGet(app, '/users?workLeaveStatus[color]=red', owner)).json(), { code: 400, message: 'Bad Request: unknown parameter workLeaveStatus[color]' })
})
