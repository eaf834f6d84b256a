import Fastify from 'fastify'
import t from 'tap'
import { FixtureError, FixtureProblem } from '../../src/core/tenants.js'
import type { IspringAccount } from '../../src/vendors/ispring/account.js'
import { ispringVendor } from '../../src/vendors/ispring/index.js'
import { ROLE_IDS } from '../../src/vendors/ispring/permissions.js'
import { build, demoLegacy, demoUserId, ISPRING, ispringGet, ispringToken, JSON_ACCEPT, legacyHeaders } from '../helper.js'

const kind = ispringVendor.tenantKind
const D = ISPRING.demo.departments

t.test('the demo account\'s credentials, as the admin API describes them', async (t) => {
  const app = await build(t)
  const tenant = app.mock.store.get('ispring', 'demo')
  t.ok(tenant)
  const summary = app.mock.store.describe(tenant as never)
  t.equal(summary.userCount, 10)
  t.same(summary.credentials.accountUrl, ISPRING.demo.accountUrl)
  t.same(summary.credentials.apiClients, [
    { clientId: ISPRING.demo.clients.owner.clientId, clientSecret: ISPRING.demo.clients.owner.clientSecret, actsAs: demoUserId('01') },
    { clientId: ISPRING.demo.clients.sales.clientId, clientSecret: ISPRING.demo.clients.sales.clientSecret, actsAs: demoUserId('03') },
    { clientId: ISPRING.demo.clients.learner.clientId, clientSecret: ISPRING.demo.clients.learner.clientSecret, actsAs: demoUserId('06') }
  ])
  const users = summary.credentials.users as Array<{ userId: string, login: string, email: string, password: string }>
  t.same(users.map((u) => [u.userId, u.email, u.password]), Object.entries(ISPRING.demo.users).sort(([a], [b]) => a.localeCompare(b)).map(([nn, u]) => [demoUserId(nn), `${u.login}@demo.test`, u.password]))
  t.same(app.mock.store.byKey('ispring', 'https://demo.ispringlearn.com'), tenant, 'keyed by the account URL')
  t.same(app.mock.store.list('ispring').map((x) => x.id).sort(), ['demo', 'initech'])
})

t.test('the initech account', async (t) => {
  const app = await build(t)
  const account = app.mock.store.get<IspringAccount>('ispring', 'initech')?.data as IspringAccount
  t.equal(app.mock.store.describe(app.mock.store.get('ispring', 'initech') as never).userCount, 5000, 'counted without generating')

  const started = performance.now()
  const directory = account.directory
  const ms = performance.now() - started
  t.comment(`initech: 5,000 users generated and indexed in ${ms.toFixed(1)} ms`)
  t.ok(ms < 1000, 'generated on first use, fast')

  const users = directory.users
  t.equal(users.length, 5000)
  const count = (f: (u: typeof users[number]) => boolean) => users.filter(f).length
  t.equal(count((u) => u.role === 'owner'), 1, 'one owner')
  t.equal(users[0]?.email, 'owner@initech.test')
  t.ok(count((u) => u.role === 'administrator') >= 1, 'a few administrators')
  t.ok(count((u) => u.role === 'department_administrator') >= 3, 'department administrators')
  t.ok(count((u) => u.role === 'publisher') >= 1, 'publishers')
  t.ok(count((u) => u.role === 'author') >= 40, 'authors')
  t.ok(count((u) => u.role === 'learner') > 4500, 'mostly learners')
  t.ok(users.filter((u) => ['department_administrator', 'publisher', 'custom'].includes(u.role)).every((u) => u.manageableDepartmentIds.length > 0), 'scoped roles manage departments')
  const share = (n: number) => n / users.length
  t.ok(Math.abs(share(count((u) => u.state === 'inactive')) - 0.10) < 0.02, 'about 10% inactive')
  t.ok(Math.abs(share(count((u) => u.state === 'employment_ended')) - 0.05) < 0.015, 'about 5% employment ended')
  t.ok(Math.abs(share(count((u) => u.workLeave !== undefined)) - 0.03) < 0.01, 'about 3% on leave')
  t.equal(new Set(users.map((u) => u.login.toLowerCase())).size, 5000, 'unique logins')
  t.equal(new Set(users.map((u) => u.email.toLowerCase())).size, 5000, 'unique emails')
  t.equal(new Set(users.map((u) => u.userId)).size, 5000, 'unique ids')

  t.equal(directory.departments.length, 30, '30 departments')
  const parent = new Map(directory.departments.map((d) => [d.id, d.parentId]))
  const depth = (id: string | undefined): number => id === undefined ? 0 : 1 + depth(parent.get(id))
  t.equal(Math.max(...directory.departments.map((d) => depth(d.id))), 4, 'up to 4 levels deep')
  t.equal(new Set(directory.departments.map((d) => d.code)).size, 30, 'unique codes')
  t.equal(directory.groups.length, 12, '12 groups')

  const res = await ispringGet(app, '/users?pageSize=1', legacyHeaders(ISPRING.initech.owner.login, ISPRING.initech.owner.password, ISPRING.initech.accountUrl))
  t.equal(res.statusCode, 200, 'the owner signs in with owner@initech.test / initech-pass')
  t.equal((await ispringToken(app, ISPRING.initech.client)).length, 43, 'the API client works')
  const learner = users.find((u) => u.role === 'learner' && u.state === 'active')
  t.equal((await ispringGet(app, '/users', legacyHeaders(learner?.login ?? '', ISPRING.initech.generatedPassword, ISPRING.initech.accountUrl))).statusCode, 403, 'generated users sign in with the generated password')
})

t.test('same fixtures, same data: byte-identical responses', async (t) => {
  const a = await build(t)
  const b = await build(t)
  const headers = legacyHeaders(ISPRING.initech.owner.login, ISPRING.initech.owner.password, ISPRING.initech.accountUrl)
  for (const path of ['/users?pageSize=50', '/users/v2?pageSize=50', '/departments', '/groups']) {
    const [x, y] = [await ispringGet(a, path, headers), await ispringGet(b, path, headers)]
    t.equal(x.body, y.body, path)
  }
})

/** A small valid fixture to break in one place at a time. */
function fixture (): Record<string, any> {
  return {
    vendor: 'ispring',
    id: 'small',
    name: 'Small',
    accountUrl: 'https://small.ispringlearn.com',
    departments: [
      { id: 'f0000000-0000-4000-8000-000000000001', name: 'Root' },
      { id: 'f0000000-0000-4000-8000-000000000002', name: 'Child', parentId: 'f0000000-0000-4000-8000-000000000001' }
    ],
    groups: [{ id: 'f1000000-0000-4000-8000-000000000001', name: 'G' }],
    customRoles: [{ roleId: 'f2000000-0000-4000-8000-000000000001', title: 'Reviewer' }],
    users: [
      { userId: 'f3000000-0000-4000-8000-000000000001', login: 'a', email: 'a@x.test', password: 'p', firstName: 'A', lastName: 'A', role: 'owner', departmentId: 'f0000000-0000-4000-8000-000000000001' },
      { userId: 'f3000000-0000-4000-8000-000000000002', login: 'b', email: 'b@x.test', password: 'p', firstName: 'B', lastName: 'B', role: 'custom', roleId: 'f2000000-0000-4000-8000-000000000001', manageableDepartmentIds: ['f0000000-0000-4000-8000-000000000002'], departmentId: 'f0000000-0000-4000-8000-000000000002', groups: ['f1000000-0000-4000-8000-000000000001'] }
    ],
    apiClients: [{ clientId: 'c1', clientSecret: 's1', actsAs: 'f3000000-0000-4000-8000-000000000001' }]
  }
}

t.test('fixture validation names the file, the JSON path and the problem', async (t) => {
  const app = await build(t)
  const store = app.mock.store
  const built = store.build(fixture(), 'small.json')
  t.equal(built.id, 'small')
  t.equal((built.data as IspringAccount).directory.users[1]?.roleId, 'f2000000-0000-4000-8000-000000000001')

  const cases: Array<[string, (f: Record<string, any>) => void, string, RegExp]> = [
    ['duplicate userId', (f) => { f.users[1].userId = f.users[0].userId.toUpperCase() }, '$.users[1].userId', /duplicate userId/],
    ['duplicate login', (f) => { f.users[1].login = 'A' }, '$.users[1].login', /duplicate login "A" \(also users\[0\]\)/],
    ['duplicate email', (f) => { f.users[1].email = 'A@X.test' }, '$.users[1].email', /duplicate email/],
    ['dangling department', (f) => { f.users[0].departmentId = 'f0000000-0000-4000-8000-000000000009' }, '$.users[0].departmentId', /no department/],
    ['dangling group', (f) => { f.users[1].groups = ['f1000000-0000-4000-8000-000000000009'] }, '$.users[1].groups[0]', /no group/],
    ['dangling managed department', (f) => { f.users[1].manageableDepartmentIds = ['f0000000-0000-4000-8000-000000000009'] }, '$.users[1].manageableDepartmentIds[0]', /no department/],
    ['dangling actsAs', (f) => { f.apiClients[0].actsAs = 'f3000000-0000-4000-8000-000000000009' }, '$.apiClients[0].actsAs', /no hand-written user/],
    ['duplicate clientId', (f) => { f.apiClients.push({ ...f.apiClients[0] }) }, '$.apiClients[1].clientId', /duplicate clientId/],
    ['dangling parent', (f) => { f.departments[1].parentId = 'f0000000-0000-4000-8000-000000000009' }, '$.departments[1].parentId', /no department/],
    ['two roots', (f) => { delete f.departments[1].parentId }, '$.departments[1].parentId', /already the root/],
    ['a cycle', (f) => { f.departments.push({ id: 'f0000000-0000-4000-8000-000000000003', name: 'X', parentId: 'f0000000-0000-4000-8000-000000000004' }, { id: 'f0000000-0000-4000-8000-000000000004', name: 'Y', parentId: 'f0000000-0000-4000-8000-000000000003' }) }, '$.departments[2].parentId', /cycle/],
    ['duplicate department', (f) => { f.departments[1].id = f.departments[0].id }, '$.departments[1].id', /duplicate department id/],
    ['duplicate group', (f) => { f.groups.push({ ...f.groups[0] }) }, '$.groups[1].id', /duplicate group id/],
    ['unknown role', (f) => { f.users[0].role = 'superuser' }, '$.users[0].role', /./],
    ['unknown custom role', (f) => { f.users[1].roleId = 'f2000000-0000-4000-8000-000000000009' }, '$.users[1].roleId', /unknown role/],
    ['a roleId on a built-in role', (f) => { f.users[0].roleId = ROLE_IDS.owner }, '$.users[0].roleId', /fixed id/],
    ['a custom role reusing a built-in id', (f) => { f.customRoles[0].roleId = ROLE_IDS.learner }, '$.customRoles[0].roleId', /built-in/],
    ['a learner managing departments', (f) => { f.users[0].role = 'learner'; f.users[0].manageableDepartmentIds = ['f0000000-0000-4000-8000-000000000002'] }, '$.users[0].manageableDepartmentIds', /only department_administrator/],
    ['manual subordination without supervisor', (f) => { f.users[1].subordination = { subordinationType: 'manual' } }, '$.users[1].subordination.supervisorId', /required/],
    ['an unknown supervisor', (f) => { f.users[1].subordination = { subordinationType: 'manual', supervisorId: 'f3000000-0000-4000-8000-000000000009' } }, '$.users[1].subordination.supervisorId', /no user/],
    ['leave ending before it starts', (f) => { f.users[1].workLeave = { reason: 'SickLeave', startDate: '2026-02-01', endDate: '2026-01-01' } }, '$.users[1].workLeave.endDate', /before startDate/],
    ['an unknown property', (f) => { f.users[0].nickname = 'x' }, '$.users[0].nickname', /not an allowed property/],
    ['a bad date', (f) => { f.users[0].addedDate = '2026-13-01' }, '$.users[0].addedDate', /./],
    ['a bad account URL', (f) => { f.accountUrl = 'demo.ispringlearn.com' }, '$.accountUrl', /./],
    ['a bad user-defined field name', (f) => { f.users[0].userDefinedFields = { CUSTOM: 'x' } }, '$.users[0].userDefinedFields.CUSTOM', /./]
  ]
  for (const [what, breakIt, path, message] of cases) {
    const f = fixture()
    breakIt(f)
    try {
      store.build(f, 'small.json')
      t.fail(`${what}: accepted`)
    } catch (err) {
      t.type(err, FixtureError, what)
      const issue = (err as FixtureError).issues[0]
      t.equal(issue?.source, 'small.json', what)
      t.equal(issue?.path, path, what)
      t.match(issue?.message, message, what)
    }
  }
  const supervisorOk = fixture()
  supervisorOk.users[1].subordination = { subordinationType: 'manual', supervisorId: supervisorOk.users[0].userId }
  t.ok(store.build(supervisorOk, 'small.json'), 'a supervisor among the users is fine')
})

t.test('admin API hooks: addUsers and patchUser', async (t) => {
  const app = await build(t)
  const account = app.mock.store.get<IspringAccount>('ispring', 'demo')?.data as IspringAccount
  const ctx = { clock: app.mock.clock, source: 'runtime' }
  const owner = { ...demoLegacy('01'), ...JSON_ACCEPT }
  const today = new Date(app.mock.clock.now()).toISOString().slice(0, 10)

  t.test('addUsers appends users, visible at once, dated on the mock clock', async (t) => {
    t.same(await ispringGet(app, `/users?departments[]=${D.salesEmea}`, { ...demoLegacy('03'), ...JSON_ACCEPT }).then((r) => r.json().userProfiles.length), 1)
    const added = kind.addUsers(account, [
      { userId: 'A1000000-0000-4000-8000-000000000011', login: 'new.rep', email: 'new.rep@demo.test', password: 'new-pass', firstName: 'Nia', lastName: 'New', role: 'learner', departmentId: D.salesEmea },
      { userId: 'a1000000-0000-4000-8000-000000000012', login: 'new.admin', email: 'new.admin@demo.test', password: 'x', firstName: 'Ned', lastName: 'New', role: 'department_administrator', manageableDepartmentIds: [D.salesEmea], departmentId: D.salesEmea, subordination: { subordinationType: 'manual', supervisorId: 'a1000000-0000-4000-8000-000000000011' } }
    ], ctx)
    t.same(added, ['a1000000-0000-4000-8000-000000000011', 'a1000000-0000-4000-8000-000000000012'])
    const scoped = await ispringGet(app, `/users?departments[]=${D.salesEmea}`, { ...demoLegacy('03'), ...JSON_ACCEPT })
    t.same(scoped.json().userProfiles.map((u: { userId: string }) => u.userId), [demoUserId('07'), ...added], 'the sales admin sees them')
    const profile = (await ispringGet(app, `/user/${added[0] as string}`, owner)).json()
    t.equal(profile.addedDate, today)
    t.equal(profile.lastLoginDate, today)
    t.equal((await ispringGet(app, '/users', legacyHeaders('new.admin@demo.test', 'x'))).statusCode, 200, 'a new user can sign in')
    t.equal(app.mock.store.describe(app.mock.store.get('ispring', 'demo') as never).userCount, 12)
  })

  t.test('addUsers refuses bad users with paths relative to the list', async (t) => {
    const base = { userId: 'a1000000-0000-4000-8000-000000000013', login: 'x', email: 'x@demo.test', password: 'x', firstName: 'X', lastName: 'X', role: 'learner', departmentId: D.sales }
    const cases: Array<[unknown[], string[], RegExp]> = [
      [[{ ...base, login: 'OWNER' }], ['0', 'login'], /duplicate login "OWNER" \(also existing user/],
      [[base, { ...base, userId: 'a1000000-0000-4000-8000-000000000014' }], ['1', 'login'], /duplicate login/],
      [[{ ...base, departmentId: 'd1000000-0000-4000-8000-000000000099' }], ['0', 'departmentId'], /no department/],
      [[{ ...base, groups: ['e1000000-0000-4000-8000-000000000099'] }], ['0', 'groups', '0'], /no group/],
      [[{ ...base, role: 'nope' }], ['0', 'role'], /./],
      [[{ ...base, extra: 1 }], ['0', 'extra'], /./]
    ]
    for (const [users, path, message] of cases) {
      try {
        kind.addUsers(account, users, ctx)
        t.fail('accepted')
      } catch (err) {
        t.type(err, FixtureProblem)
        t.same((err as FixtureProblem).path.map(String), path)
        t.match((err as Error).message, message)
      }
    }
    t.equal(account.directory.users.length, 12, 'nothing was added')
  })

  t.test('patchUser: end employment, deactivate, move department, rename; caches follow', async (t) => {
    const before = (await ispringGet(app, '/users/v2', owner)).json()
    t.equal(kind.patchUser(account, demoUserId('07'), { state: 'employment_ended' }, ctx), true)
    t.equal((await ispringGet(app, `/user/${demoUserId('07')}`, owner)).json().status, 3)
    t.equal((await ispringGet(app, `/user/${demoUserId('07')}/v2`, owner)).json().status, 5)
    t.equal((await ispringGet(app, '/users', demoLegacy('07'))).statusCode, 401, 'ended users cannot sign in')

    kind.patchUser(account, demoUserId('05'), { state: 'inactive' }, ctx)
    t.equal((await ispringGet(app, '/users', demoLegacy('05'))).statusCode, 401, 'deactivated users cannot sign in')

    const salesIds = async () => (await ispringGet(app, '/users', { ...demoLegacy('03'), ...JSON_ACCEPT })).json().userProfiles.map((u: { userId: string }) => u.userId)
    const publisherIds = async () => (await ispringGet(app, '/users', { ...demoLegacy('04'), ...JSON_ACCEPT })).json().userProfiles.map((u: { userId: string }) => u.userId)
    t.notOk((await salesIds()).includes(demoUserId('09')))
    t.ok((await publisherIds()).includes(demoUserId('09')))
    kind.patchUser(account, demoUserId('09'), { departmentId: D.salesEmea }, ctx)
    t.ok((await salesIds()).includes(demoUserId('09')), 'moved into the sales admin\'s scope')
    t.notOk((await publisherIds()).includes(demoUserId('09')), 'and out of the publisher\'s')
    t.equal((await ispringGet(app, `/user/${demoUserId('09')}`, { ...demoLegacy('03'), ...JSON_ACCEPT })).json().departmentId, D.salesEmea)

    kind.patchUser(account, demoUserId('06'), { lastName: 'Renamed', login: 'liam', groups: [] }, ctx)
    const xml = await ispringGet(app, `/user/${demoUserId('06')}`, demoLegacy('01'))
    t.match(xml.body, '<value>Renamed</value>', 'the cached XML was rebuilt')
    t.notMatch(xml.body, '<groups>')
    t.same((await ispringGet(app, '/users?logins[]=liam', owner)).json().userProfiles.length, 1, 'the login index follows')
    t.same((await ispringGet(app, '/users?logins[]=learner', owner)).json().userProfiles.length, 0)
    t.same((await ispringGet(app, `/group/${ISPRING.demo.groups.interns}`, owner)).json().userIds, [demoUserId('07')], 'the group index follows')

    kind.patchUser(account, demoUserId('03'), { role: 'learner' }, ctx)
    t.equal((await ispringGet(app, '/users', demoLegacy('03'))).statusCode, 403, 'a demoted administrator is refused at once')
    t.notOk('manageableDepartmentIds' in (await ispringGet(app, `/user/${demoUserId('03')}`, owner)).json(), 'and no longer manages departments')

    const after = (await ispringGet(app, '/users/v2', owner)).json()
    t.equal(after.userProfiles.length, before.userProfiles.length)
  })

  t.test('patchUser refuses bad patches and reports unknown users', async (t) => {
    t.equal(kind.patchUser(account, 'a1000000-0000-4000-8000-0000000000ff', { state: 'inactive' }, ctx), false)
    for (const [patch, path] of [
      [{ state: 'gone' }, ['state']],
      [{ userId: demoUserId('02') }, ['userId']],
      [{ departmentId: 'd1000000-0000-4000-8000-000000000099' }, ['departmentId']],
      [{ email: 'owner@demo.test' }, ['email']],
      [{ manageableDepartmentIds: [D.sales] }, ['manageableDepartmentIds']]
    ] as const) {
      try {
        kind.patchUser(account, demoUserId('02'), patch as Record<string, unknown>, ctx)
        t.fail(`accepted ${JSON.stringify(patch)}`)
      } catch (err) {
        t.type(err, FixtureProblem)
        t.same((err as FixtureProblem).path, path, JSON.stringify(patch))
      }
    }
  })
})

t.test('sendFault answers in the vendor shape, negotiated, with Retry-After', async (t) => {
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  app.get('/fault/:status', async (request, reply) => {
    const { status } = request.params as { status: string }
    return ispringVendor.sendFault(request, reply, { status: Number(status), retryAfterSeconds: status === '429' ? 2 : undefined })
  })
  app.get('/bad-header', async (request, reply) => ispringVendor.sendFault(request, reply, { status: 400, message: 'invalid X-Mock-Fault header: "x" is not name=number' }))
  const limited = await app.inject({ url: '/fault/429', headers: JSON_ACCEPT })
  t.equal(limited.statusCode, 429)
  t.equal(limited.headers['retry-after'], '2')
  t.same(limited.json(), { code: 429, message: 'Too Many Requests' })
  const unavailable = await app.inject({ url: '/fault/503' })
  t.equal(unavailable.body, '<?xml version="1.0" encoding="UTF-8"?><response><code>503</code><message>Service Unavailable</message></response>')
  t.equal(unavailable.headers['retry-after'], undefined)
  t.same((await app.inject({ url: '/fault/500', headers: JSON_ACCEPT })).json(), { code: 500, message: 'Internal Server Error' })
  t.same((await app.inject({ url: '/bad-header', headers: JSON_ACCEPT })).json(), { code: 400, message: 'Bad Request: invalid X-Mock-Fault header: "x" is not name=number' })
})
