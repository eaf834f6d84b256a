import t from 'tap'
import {
  adminCall, build, demoLegacy, demoUserId, ISPRING, ispringGet, ispringToken, JSON_ACCEPT, parseXml, xmlToJson, type DemoRow, type XmlElement
} from '../helper.js'

const D = ISPRING.demo.departments
const G = ISPRING.demo.groups
const ALL: DemoRow[] = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10']
const ids = (rows: DemoRow[]): string[] => rows.map((r) => demoUserId(r))

interface Profile { userId: string, status: number, fields: Array<{ name: string, value: string }>, [key: string]: unknown }

/** The spec's element order of a userProfile (v1 and v2 names of the consent date both listed). */
const PROFILE_ORDER = ['userId', 'role', 'roleId', 'departmentId', 'status', 'fields', 'addedDate', 'lastLoginDate',
  'manageableDepartmentIds', 'userRoles', 'groups', 'subordination', 'coSubordination', 'workLeaveStatus',
  'securityPolicyAcceptanceDate', 'personalDataConsentAcceptanceDate', 'privacyPolicyConsentAcceptanceDate']

function inSpecOrder (names: string[]): boolean {
  const positions = names.map((n) => PROFILE_ORDER.indexOf(n))
  return positions.every((p, i) => p !== -1 && (i === 0 || p > (positions[i - 1] as number)))
}

async function listIds (app: Awaited<ReturnType<typeof build>>, path: string, headers: Record<string, string>): Promise<string[]> {
  const res = await ispringGet(app, path, { ...headers, ...JSON_ACCEPT })
  if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${res.body}`)
  return (res.json().userProfiles as Profile[]).map((u) => u.userId)
}

t.test('who sees whom on the demo account (demo-tenants.md, "by construction")', async (t) => {
  const app = await build(t)
  const ownerToken = await ispringToken(app, ISPRING.demo.clients.owner)
  const salesToken = await ispringToken(app, ISPRING.demo.clients.sales)
  const learnerToken = await ispringToken(app, ISPRING.demo.clients.learner)
  const expected: Array<[string, Record<string, string>, DemoRow[]]> = [
    ['owner (token)', { authorization: `Bearer ${ownerToken}` }, ALL],
    ['owner (legacy)', demoLegacy('01'), ALL],
    ['administrator (legacy)', demoLegacy('02'), ALL],
    ['author (legacy)', demoLegacy('05'), ALL],
    ['sales department administrator (token)', { authorization: salesToken }, ['03', '07', '08']],
    ['sales department administrator (legacy)', demoLegacy('03'), ['03', '07', '08']],
    ['engineering publisher (legacy)', demoLegacy('04'), ['04', '05', '06', '09', '10']]
  ]
  for (const [who, headers, rows] of expected) {
    for (const path of ['/users', '/users/v2', '/api/v2/users', '/api/v2/users/v2']) {
      t.same(await listIds(app, path, headers), ids(rows), `${who} on ${path}`)
    }
  }

  for (const [who, headers] of [['learner (token)', { authorization: learnerToken }], ['learner (legacy)', demoLegacy('06')], ['EMEA rep (legacy)', demoLegacy('07')], ['on leave (legacy)', demoLegacy('10')]] as const) {
    for (const path of ['/users', '/users/v2', `/user/${demoUserId('06')}`, '/departments', '/groups', `/group/${G.interns}`, `/department/${D.root}`]) {
      const res = await ispringGet(app, path, headers)
      t.equal(res.statusCode, 403, `${who} on ${path}`)
      t.equal(res.body, '<?xml version="1.0" encoding="UTF-8"?><response><code>403</code><message>Permission Denied</message></response>')
    }
    const json = await ispringGet(app, '/users', { ...headers, ...JSON_ACCEPT })
    t.same(json.json(), { code: 403, message: 'Permission Denied' })
  }
})

t.test('department filters and scope', async (t) => {
  const app = await build(t)
  const sales = demoLegacy('03')
  const publisher = demoLegacy('04')
  const owner = demoLegacy('01')

  t.same(await listIds(app, `/users?departments[]=${D.sales}`, owner), ids(['03', '07', '08']), 'a department includes its sub-departments')
  t.same(await listIds(app, `/users?departments[]=${D.root}`, owner), ids(ALL), 'the root is everyone')
  t.same(await listIds(app, `/users?departments[]=${D.salesEmea}&departments[]=${D.platform}`, owner), ids(['06', '07', '10']), 'several departments: OR')
  t.same(await listIds(app, `/users?departments%5B%5D=${D.salesEmea}`, owner), ids(['07']), 'percent-encoded brackets')
  t.same(await listIds(app, `/users?departments%5b%5d=${D.salesEmea.toUpperCase()}`, owner), ids(['07']), 'lower-case escapes, upper-case UUID')
  t.same(await listIds(app, '/users?departments[]=00000000-0000-4000-8000-000000000000', owner), [], 'an unknown department: nobody')

  t.same(await listIds(app, `/users?departments[]=${D.salesEmea}`, sales), ids(['07']), 'a sub-department of the scope')
  t.same(await listIds(app, `/users?departments[]=${D.platform}`, publisher), ids(['06', '10']))
  t.same(await listIds(app, `/users?groups[]=${G.managers}`, sales), ids(['03']), 'other filters stay within the scope')
  t.same(await listIds(app, `/users/v2?userIds[]=${demoUserId('01')}&userIds[]=${demoUserId('07')}`, sales), ids(['07']), 'userIds outside the scope are left out')

  for (const [headers, department] of [[sales, D.engineering], [sales, D.root], [publisher, D.sales], [publisher, D.salesEmea], [sales, '00000000-0000-4000-8000-000000000000']] as const) {
    const res = await ispringGet(app, `/users?departments[]=${D.salesEmea}&departments[]=${department}`, { ...headers, ...JSON_ACCEPT })
    t.equal(res.statusCode, 403, `departments[] outside the scope: ${department}`)
    t.same(res.json(), { code: 403, message: 'Permission Denied' })
  }
})

t.test('other filters: groups, logins, emails, userIds; kinds AND, values OR', async (t) => {
  const app = await build(t)
  const owner = demoLegacy('01')
  t.same(await listIds(app, `/users?groups[]=${G.managers}`, owner), ids(['01', '02', '03']))
  t.same(await listIds(app, `/users?groups[]=${G.managers}&groups[]=${G.interns}`, owner), ids(['01', '02', '03', '06', '07']))
  t.same(await listIds(app, '/users?logins[]=OWNER&logins[]=emea.rep&logins[]=nobody', owner), ids(['01', '07']), 'logins: exact, case-insensitive')
  t.same(await listIds(app, '/users?logins[]=own', owner), [], 'no partial match')
  t.same(await listIds(app, '/users?emails[]=Former@Demo.Test', owner), ids(['08']))
  t.same(await listIds(app, `/users?groups[]=${G.interns}&departments[]=${D.sales}`, owner), ids(['07']), 'kinds combine with AND')
  t.same(await listIds(app, `/users?groups[]=${G.interns}&logins[]=owner`, owner), [], 'AND with nothing in common')
  t.same(await listIds(app, `/users/v2?userIds[]=${demoUserId('09')}&userIds[]=${demoUserId('02')}`, owner), ids(['02', '09']), 'creation order, whatever the order asked')
  const v1 = await ispringGet(app, `/users?userIds[]=${demoUserId('09')}`, { ...owner, ...JSON_ACCEPT })
  t.equal(v1.statusCode, 400, 'userIds[] is a v2 parameter')
  t.same(v1.json(), { code: 400, message: 'Bad Request: unknown parameter userIds[]' })
})

t.test('status: employment ended is 3 on v1 and 5 on v2; inactive 3 on both', async (t) => {
  const app = await build(t)
  const headers = { ...demoLegacy('01'), ...JSON_ACCEPT }
  const status = async (path: string, id: string): Promise<number> => {
    const res = await ispringGet(app, path, headers)
    const body = res.json()
    return ('userProfiles' in body ? (body.userProfiles as Profile[]).find((u) => u.userId === id) : body)?.status
  }
  t.equal(await status('/users', demoUserId('08')), 3)
  t.equal(await status('/users/v2', demoUserId('08')), 5)
  t.equal(await status(`/user/${demoUserId('08')}`, demoUserId('08')), 3)
  t.equal(await status(`/user/${demoUserId('08')}/v2`, demoUserId('08')), 5)
  for (const path of ['/users', '/users/v2', `/user/${demoUserId('09')}`, `/user/${demoUserId('09')}/v2`]) {
    t.equal(await status(path, demoUserId('09')), 3, `inactive on ${path}`)
  }
  for (const path of ['/users', '/users/v2']) t.equal(await status(path, demoUserId('01')), 1, `active on ${path}`)

  const xml1 = await ispringGet(app, `/user/${demoUserId('08')}`, demoLegacy('01'))
  const xml2 = await ispringGet(app, `/user/${demoUserId('08')}/v2`, demoLegacy('01'))
  t.match(xml1.body, '<status>3</status>')
  t.match(xml2.body, '<status>5</status>')
})

t.test('XML and JSON forms of the same pages hold the same users and values', async (t) => {
  const app = await build(t)
  const auth = demoLegacy('01')
  for (const endpoint of ['/users', '/users/v2']) {
    let query = 'pageSize=3'
    for (let pages = 0; pages < 10; pages++) {
      const xml = await ispringGet(app, `${endpoint}?${query}`, auth)
      const json = await ispringGet(app, `${endpoint}?${query}`, { ...auth, accept: 'application/json' })
      t.equal(xml.headers['content-type'], 'application/xml; charset=utf-8')
      t.equal(json.headers['content-type'], 'application/json; charset=utf-8')
      t.ok(xml.body.startsWith('<?xml version="1.0" encoding="UTF-8"?><response><userProfiles><userProfile>'), 'declaration, then the envelope')
      const root = await parseXml(xml.body)
      t.equal(root.name, 'response')
      const body = json.json()
      t.same(xmlToJson(root), body, `${endpoint}?${query}`)
      t.same(JSON.parse(json.body), body)
      if (body.nextPageToken === undefined) {
        t.notMatch(xml.body, 'nextPageToken', 'no token on the last page, in either form')
        break
      }
      t.same(Object.keys(body), ['userProfiles', 'nextPageToken'])
      query = `pageSize=3&pageToken=${body.nextPageToken as string}`
    }
  }
})

t.test('userProfile elements come in the order of the spec', async (t) => {
  const app = await build(t)
  for (const endpoint of ['/users', '/users/v2']) {
    const root = await parseXml((await ispringGet(app, endpoint, demoLegacy('01'))).body)
    const profiles = (root.children[0] as XmlElement).children
    t.equal(profiles.length, 10)
    const json = (await ispringGet(app, endpoint, { ...demoLegacy('01'), ...JSON_ACCEPT })).json().userProfiles as Profile[]
    profiles.forEach((profile, i) => {
      const names = profile.children.map((c) => c.name)
      t.ok(inSpecOrder(names), `${endpoint} #${i}: ${names.join(',')}`)
      t.same(Object.keys(json[i] as Profile), names, 'JSON keys in the same order')
      const fields = (profile.children.find((c) => c.name === 'fields') as XmlElement).children.map((f) => f.children.map((c) => c.name).join('+') + ':' + (f.children[0] as XmlElement).text)
      t.same(fields.slice(0, 7), ['name+value:LOGIN', 'name+value:EMAIL', 'name+value:FIRST_NAME', 'name+value:LAST_NAME', 'name+value:PHONE', 'name+value:JOB_TITLE', 'name+value:COUNTRY'])
      t.ok(fields.slice(7).every((f) => /^name\+value:USER_DEFINED_FIELD\d+$/.test(f)))
    })
  }
  const v1 = (await ispringGet(app, `/user/${demoUserId('01')}`, { ...demoLegacy('01'), ...JSON_ACCEPT })).json()
  const v2 = (await ispringGet(app, `/user/${demoUserId('01')}/v2`, { ...demoLegacy('01'), ...JSON_ACCEPT })).json()
  t.equal(v1.personalDataConsentAcceptanceDate, '2025-03-01', 'v1 names the consent date personalDataConsentAcceptanceDate')
  t.notOk('privacyPolicyConsentAcceptanceDate' in v1)
  t.equal(v2.privacyPolicyConsentAcceptanceDate, '2025-03-01', 'v2 names it privacyPolicyConsentAcceptanceDate')
  t.notOk('personalDataConsentAcceptanceDate' in v2)
})

t.test('the demo users, exactly', async (t) => {
  const app = await build(t)
  const users = (await ispringGet(app, '/users/v2', { ...demoLegacy('01'), ...JSON_ACCEPT })).json().userProfiles as Profile[]
  const field = (u: Profile, name: string) => u.fields.find((f) => f.name === name)?.value
  const table: Array<[DemoRow, string, string, string, number, string[]]> = [
    ['01', 'owner', 'owner', D.root, 1, [G.managers]],
    ['02', 'admin', 'administrator', D.root, 1, [G.managers]],
    ['03', 'sales.admin', 'department_administrator', D.sales, 1, [G.managers]],
    ['04', 'publisher', 'publisher', D.engineering, 1, []],
    ['05', 'author', 'author', D.engineering, 1, []],
    ['06', 'learner', 'learner', D.platform, 1, [G.interns]],
    ['07', 'emea.rep', 'learner', D.salesEmea, 1, [G.interns]],
    ['08', 'former', 'learner', D.sales, 5, []],
    ['09', 'inactive', 'learner', D.engineering, 3, []],
    ['10', 'on.leave', 'learner', D.platform, 1, []]
  ]
  t.equal(users.length, table.length)
  table.forEach(([nn, login, role, department, status, groups], i) => {
    const u = users[i] as Profile
    t.equal(u.userId, demoUserId(nn))
    t.equal(field(u, 'LOGIN'), login)
    t.equal(field(u, 'EMAIL'), `${login}@demo.test`)
    t.equal(u.role, role)
    t.equal(u.departmentId, department)
    t.equal(u.status, status)
    t.same(u.groups ?? [], groups)
    t.ok(field(u, 'FIRST_NAME') !== '' && field(u, 'LAST_NAME') !== '', 'readable names')
  })
  t.equal(users[0]?.roleId, 'eaefe76e-2ae1-11e9-b90a-0242ac13000a', 'the owner role id')
  t.equal(users[1]?.roleId, 'eaf01662-2ae1-11e9-aa24-0242ac13000a', 'the administrator role id')
  t.same(users[2]?.manageableDepartmentIds, [D.sales])
  t.same(users[2]?.userRoles, [{ roleId: users[2]?.roleId, roleType: 'department_administrator', manageableDepartmentIds: [D.sales] }])
  t.same(users[3]?.manageableDepartmentIds, [D.engineering])
  t.notOk('manageableDepartmentIds' in (users[0] as Profile), 'only for users who manage departments')
  t.same(users[9]?.workLeaveStatus, { workLeaveReason: 'OnVacation', startDate: '2026-11-01', endDate: '2026-12-15' })
  t.notOk(users.slice(0, 9).some((u) => 'workLeaveStatus' in u), 'only user 10 is on leave')
})

t.test('special characters are escaped in XML and read back intact', async (t) => {
  const app = await build(t)
  const odd = 'O\'Brien & <Sons> "Ltd" ]]>'
  await adminCall(app, 'POST', '/tenants/ispring/demo/users', {
    users: [{
      userId: 'a1000000-0000-4000-8000-000000000099',
      login: 'odd',
      email: 'odd@demo.test',
      password: 'odd-pass',
      firstName: 'Ünïcødé 名前',
      lastName: odd,
      role: 'learner',
      departmentId: D.sales,
      jobTitle: 'tab\there, control \u0001 char'
    }]
  })
  const xml = await ispringGet(app, '/users?logins[]=odd', demoLegacy('01'))
  t.match(xml.body, '<value>O\'Brien &amp; &lt;Sons&gt; "Ltd" ]]&gt;</value>')
  t.notMatch(xml.body, '\u0001', 'characters XML cannot carry are replaced')
  const json = await ispringGet(app, '/users?logins[]=odd', { ...demoLegacy('01'), ...JSON_ACCEPT })
  const fromXml = xmlToJson(await parseXml(xml.body)) as { userProfiles: Profile[] }
  const fromJson = json.json() as { userProfiles: Profile[] }
  t.equal(fromXml.userProfiles[0]?.fields.find((f) => f.name === 'LAST_NAME')?.value, odd)
  t.equal(fromXml.userProfiles[0]?.fields.find((f) => f.name === 'FIRST_NAME')?.value, 'Ünïcødé 名前')
  t.equal(fromJson.userProfiles[0]?.fields.find((f) => f.name === 'LAST_NAME')?.value, odd)
  t.same(fromXml.userProfiles[0]?.fields.slice(0, 5), fromJson.userProfiles[0]?.fields.slice(0, 5))
  t.equal(fromXml.userProfiles[0]?.fields[5]?.value, 'tab\there, control \uFFFD char', 'XML 1.0 cannot carry U+0001: U+FFFD instead')
  t.equal(fromJson.userProfiles[0]?.fields[5]?.value, 'tab\there, control \u0001 char', 'JSON can')
})

t.test('empty results', async (t) => {
  const app = await build(t)
  const xml = await ispringGet(app, '/users?logins[]=nobody', demoLegacy('01'))
  t.equal(xml.statusCode, 200)
  t.equal(xml.body, '<?xml version="1.0" encoding="UTF-8"?><response><userProfiles/></response>')
  const json = await ispringGet(app, '/users/v2?logins[]=nobody', { ...demoLegacy('01'), ...JSON_ACCEPT })
  t.equal(json.body, '{"userProfiles":[]}')
})

t.test('what clients send on body-less GETs just works', async (t) => {
  const app = await build(t)
  const token = await ispringToken(app)
  const res = await ispringGet(app, `/users?departments%5B%5D=${D.sales}&pageSize=2`, {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    'x-target-locale': 'en-US',
    accept: 'application/json, text/plain, */*'
  })
  t.equal(res.statusCode, 200)
  t.same(res.json().userProfiles.map((u: Profile) => u.userId), ids(['03', '07']))
  const withBody = await app.inject({ method: 'GET', url: '/ispring/users?pageSize=1', headers: { authorization: token, 'content-type': 'application/json' }, payload: '{not json' })
  t.equal(withBody.statusCode, 200, 'even a GET with a stray body')
  const refused = await ispringGet(app, '/users', { authorization: token, accept: 'application/json;q=0, application/xml' })
  t.equal(refused.headers['content-type'], 'application/xml; charset=utf-8', 'JSON refused with q=0: XML')
  const host = await app.inject({ url: `/api/v2/users?departments%5B%5D=${D.salesEmea}`, headers: { host: 'demo.ispringlearn.com:443', authorization: token, ...JSON_ACCEPT } })
  t.same(host.json().userProfiles.map((u: Profile) => u.userId), ids(['07']), 'the account domain with the /api/v2 prefix')
  for (const h of ['x.ispringlearn.com', 'x.ispring.com', 'x.ispringlearn.eu', 'x.ispring.eu']) {
    t.equal((await app.inject({ url: '/users?pageSize=1', headers: { host: h, authorization: token } })).statusCode, 200, h)
  }
})
