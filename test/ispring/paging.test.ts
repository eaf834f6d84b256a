import t from 'tap'
import type { IspringAccount } from '../../src/vendors/ispring/account.js'
import type { IspringUser } from '../../src/vendors/ispring/model.js'
import type { MockServer as App } from '../../src/app.js'
import { adminCall, build, demoLegacy, ISPRING, ispringGet, ispringToken, JSON_ACCEPT, legacyHeaders } from '../helper.js'

function initech (app: App): IspringAccount {
  return app.mock.store.get<IspringAccount>('ispring', 'initech')?.data as IspringAccount
}

/** Department ids of a subtree, computed from the parent links alone (independent of the module's index). */
function subtree (account: IspringAccount, id: string): Set<string> {
  const departments = account.directory.departments
  const out = new Set([id])
  let grew = true
  while (grew) {
    grew = false
    for (const d of departments) {
      if (d.parentId !== undefined && out.has(d.parentId) && !out.has(d.id)) { out.add(d.id); grew = true }
    }
  }
  return out
}

/** Walks every page; fails on a missing token or a page over size. */
async function walk (app: App, path: string, headers: Record<string, string>, pageSize: number, between?: (page: number) => Promise<void>): Promise<string[]> {
  const seen: string[] = []
  let token: string | undefined
  for (let page = 0; page < 10_000; page++) {
    const sep = path.includes('?') ? '&' : '?'
    const url = `${path}${sep}pageSize=${pageSize}${token === undefined ? '' : `&pageToken=${token}`}`
    const res = await ispringGet(app, url, { ...headers, ...JSON_ACCEPT })
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
    const body = res.json() as { userProfiles: Array<{ userId: string }>, nextPageToken?: string }
    if (body.userProfiles.length > pageSize) throw new Error('page over size')
    seen.push(...body.userProfiles.map((u) => u.userId))
    if (body.nextPageToken === undefined) return seen
    if (body.userProfiles.length !== pageSize) throw new Error('a short page before the last')
    token = body.nextPageToken
    await between?.(page)
  }
  throw new Error('too many pages')
}

t.test('walking every page of initech returns each matching user exactly once, in creation order', async (t) => {
  const app = await build(t)
  const account = initech(app)
  const users = account.directory.users
  t.equal(users.length, 5000)
  const token = await ispringToken(app, ISPRING.initech.client)
  const auth = { authorization: `Bearer ${token}` }
  const departments = account.directory.departments
  const deep = departments.find((d) => d.parentId !== undefined && departments.some((c) => c.parentId === d.id)) as { id: string }
  const leaf = departments.find((d) => !departments.some((c) => c.parentId === d.id)) as { id: string }
  const group = account.directory.groups[3] as { id: string }
  const deepTree = subtree(account, deep.id)
  const leafTree = subtree(account, leaf.id)

  const cases: Array<[string, (u: IspringUser) => boolean, number[]]> = [
    ['', () => true, [1000, 333, 97]],
    [`departments[]=${deep.id}`, (u) => deepTree.has(u.departmentId), [1000, 50, 7]],
    [`departments[]=${deep.id}&departments%5B%5D=${leaf.id}`, (u) => deepTree.has(u.departmentId) || leafTree.has(u.departmentId), [64, 9]],
    [`groups[]=${group.id}`, (u) => u.groups.includes(group.id), [100, 13]],
    [`groups[]=${group.id}&departments[]=${deep.id}`, (u) => u.groups.includes(group.id) && deepTree.has(u.departmentId), [5, 1]]
  ]
  for (const [query, match, sizes] of cases) {
    const expected = users.filter(match).map((u) => u.userId)
    t.ok(expected.length > 0, `${query}: ${expected.length} users`)
    for (const endpoint of ['/users', '/users/v2']) {
      for (const size of sizes) {
        const got = await walk(app, query === '' ? endpoint : `${endpoint}?${query}`, auth, size)
        t.same(got, expected, `${endpoint}?${query} by ${size}`)
      }
    }
  }
})

t.test('a scoped caller walks only its departments', async (t) => {
  const app = await build(t)
  const account = initech(app)
  const users = account.directory.users
  const admin = users.find((u) => u.role === 'department_administrator' && u.state === 'active' && u.manageableDepartmentIds.length > 0) as IspringUser
  const scope = new Set(admin.manageableDepartmentIds.flatMap((d) => [...subtree(account, d)]))
  const expected = users.filter((u) => scope.has(u.departmentId)).map((u) => u.userId)
  const headers = legacyHeaders(admin.login, ISPRING.initech.generatedPassword, ISPRING.initech.accountUrl)
  t.same(await walk(app, '/users/v2', headers, 17), expected, `${admin.login} sees ${expected.length} users`)
  const outside = account.directory.departments.find((d) => !scope.has(d.id)) as { id: string }
  t.equal((await ispringGet(app, `/users?departments[]=${outside.id}`, headers)).statusCode, 403)
})

t.test('a user added between pages is not a duplicate, and is seen once at the end', async (t) => {
  const app = await build(t)
  const tenant = app.mock.store.get<IspringAccount>('ispring', 'initech')
  const account = tenant?.data as IspringAccount
  const before = account.directory.users.map((u) => u.userId)
  const root = account.directory.departments[0]?.id as string
  const added: string[] = []
  const got = await walk(app, '/users', legacyHeaders(ISPRING.initech.owner.login, ISPRING.initech.owner.password, ISPRING.initech.accountUrl), 700, async (page) => {
    const id = `c3000000-0000-4000-8000-00000000${String(900 + page).padStart(4, '0')}`
    const user = { userId: id, login: `late${page}`, email: `late${page}@initech.test`, password: 'p', firstName: 'Late', lastName: `Comer ${page}`, role: 'learner', departmentId: root }
    added.push(...(await adminCall(app, 'POST', '/tenants/ispring/initech/users', { users: [user] }) as { added: string[] }).added)
    if (page === 1) {
      // a user already seen moves department: still seen once
      await adminCall(app, 'PATCH', `/tenants/ispring/initech/users/${before[3] as string}`, { departmentId: account.directory.departments[5]?.id })
    }
  })
  t.equal(new Set(got).size, got.length, 'no duplicates')
  t.same(got, [...before, ...added], 'every user once, the new ones last')
})

t.test('page tokens are bound to account, endpoint, filters, page size and caller', async (t) => {
  const app = await build(t)
  const owner = demoLegacy('01')
  const first = await ispringGet(app, '/users?pageSize=3', { ...owner, ...JSON_ACCEPT })
  const token = first.json().nextPageToken as string
  t.match(token, /^[A-Za-z0-9_-]+$/, 'opaque base64url')
  t.equal((await ispringGet(app, `/users?pageSize=3&pageToken=${token}`, owner)).statusCode, 200, 'the same query accepts it')
  t.equal((await ispringGet(app, `/api/v2/users?pageToken=${token}&pageSize=3`, owner)).statusCode, 200, 'the alias is the same endpoint')

  const initechToken = (await ispringGet(app, '/users?pageSize=3', { ...legacyHeaders(ISPRING.initech.owner.login, ISPRING.initech.owner.password, ISPRING.initech.accountUrl), ...JSON_ACCEPT })).json().nextPageToken as string
  const v2Token = (await ispringGet(app, '/users/v2?pageSize=3', { ...owner, ...JSON_ACCEPT })).json().nextPageToken as string
  const filtered = (await ispringGet(app, `/users?pageSize=1&groups[]=${ISPRING.demo.groups.managers}`, { ...owner, ...JSON_ACCEPT })).json().nextPageToken as string
  const departments = (await ispringGet(app, '/departments?pageSize=3', { ...owner, ...JSON_ACCEPT })).json().nextPageToken as string
  const tampered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')
  const salesToken = (await ispringGet(app, '/users?pageSize=1', { ...demoLegacy('03'), ...JSON_ACCEPT })).json().nextPageToken as string

  const bad: Array<[string, string, Record<string, string>]> = [
    ['tampered', `/users?pageSize=3&pageToken=${tampered}`, owner],
    ['garbage', '/users?pageSize=3&pageToken=not-a-token', owner],
    ['not base64url', '/users?pageSize=3&pageToken=ab%2Fcd%2B%3D%3D', owner],
    ['a number', '/users?pageSize=3&pageToken=3', owner],
    ['the vendor\'s own sample', '/users?pageSize=1&pageToken=MmFiZmJhNDItZmE1MS0xMWU5LTk1ZjAtMGE1ODBhZjQwYTgz', owner],
    ['another account', `/users?pageSize=3&pageToken=${initechToken}`, owner],
    ['another endpoint (v2 token on v1)', `/users?pageSize=3&pageToken=${v2Token}`, owner],
    ['another endpoint (v1 token on v2)', `/users/v2?pageSize=3&pageToken=${token}`, owner],
    ['another endpoint (/departments)', `/users?pageSize=3&pageToken=${departments}`, owner],
    ['a users token on /departments', `/departments?pageSize=3&pageToken=${token}`, owner],
    ['other filters', `/users?pageSize=1&pageToken=${filtered}`, owner],
    ['other filters (added)', `/users?pageSize=3&logins[]=owner&pageToken=${token}`, owner],
    ['another page size', `/users?pageSize=4&pageToken=${token}`, owner],
    ['the default page size', `/users?pageToken=${token}`, owner],
    ['another caller scope', `/users?pageSize=1&pageToken=${salesToken}`, owner]
  ]
  for (const [what, path, headers] of bad) {
    const json = await ispringGet(app, path, { ...headers, ...JSON_ACCEPT })
    t.equal(json.statusCode, 400, what)
    t.same(json.json(), { code: 400, message: 'Bad Request: invalid pageToken' }, what)
    const xml = await ispringGet(app, path, headers)
    t.equal(xml.body, '<?xml version="1.0" encoding="UTF-8"?><response><code>400</code><message>Bad Request: invalid pageToken</message></response>', what)
  }
  t.equal((await ispringGet(app, '/users?pageSize=3&pageToken=', owner)).statusCode, 200, 'an empty pageToken is the first page')
})

t.test('replicas that share the secret accept each other\'s page tokens; other secrets do not', async (t) => {
  const a = await build(t, { secret: 'shared-secret-1' })
  const b = await build(t, { secret: 'shared-secret-1' })
  const c = await build(t, { secret: 'another-secret' })
  const owner = demoLegacy('01')
  const token = (await ispringGet(a, '/users?pageSize=4', { ...owner, ...JSON_ACCEPT })).json().nextPageToken as string
  const fromA = await ispringGet(a, `/users?pageSize=4&pageToken=${token}`, { ...owner, ...JSON_ACCEPT })
  const fromB = await ispringGet(b, `/users?pageSize=4&pageToken=${token}`, { ...owner, ...JSON_ACCEPT })
  t.equal(fromB.statusCode, 200)
  t.equal(fromB.body, fromA.body)
  t.equal((await ispringGet(c, `/users?pageSize=4&pageToken=${token}`, owner)).statusCode, 400)
})

t.test('departments and groups page with the same mechanism', async (t) => {
  const app = await build(t)
  const token = await ispringToken(app, ISPRING.initech.client)
  const account = initech(app)
  const seen: string[] = []
  let next: string | undefined
  do {
    const res = await ispringGet(app, `/departments?pageSize=7${next === undefined ? '' : `&pageToken=${next}`}`, { authorization: token, ...JSON_ACCEPT })
    const body = res.json() as { departments: Array<{ departmentId: string }>, nextPageToken?: string }
    seen.push(...body.departments.map((d) => d.departmentId))
    next = body.nextPageToken
  } while (next !== undefined)
  t.same(seen, account.directory.departments.map((d) => d.id))
  const groups = await ispringGet(app, '/groups?pageSize=5', { authorization: token, ...JSON_ACCEPT })
  const page = groups.json() as { groups: unknown[], nextPageToken?: string }
  t.equal(page.groups.length, 5)
  const rest = await ispringGet(app, `/groups?pageSize=5&pageToken=${page.nextPageToken as string}`, { authorization: token, ...JSON_ACCEPT })
  t.equal(rest.json().groups.length, 5)
  const last = await ispringGet(app, `/groups?pageSize=5&pageToken=${rest.json().nextPageToken as string}`, { authorization: token, ...JSON_ACCEPT })
  t.same(Object.keys(last.json()), ['groups'], 'no token on the last page')
  t.equal(last.json().groups.length, 2)
})
