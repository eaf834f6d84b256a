/**
 * The permission oracle: for generated department trees and role assignments, what a caller
 * sees through every iSpring endpoint equals a brute-force reading of ispring.md section 5:
 * owners, administrators and authors see everyone; department administrators, publishers and
 * custom roles see the users of the departments they manage and all their descendants; learners
 * get 403. A department filter or a look-up outside a scoped caller's departments is 403.
 */
import fc from 'fast-check'
import t from 'tap'
import type { MockServer } from '../../src/app.js'
import { build } from '../helper.js'
import { account, scopeOf, subtree } from './accounts.js'
import { check, expect, expectIspring, scaled } from './support.js'

async function json (app: MockServer, url: string, headers: Record<string, string>, allowed: number[]): Promise<{ status: number, body: Record<string, unknown> }> {
  const res = await app.inject({ method: 'GET', url, headers })
  return { status: res.statusCode, body: expectIspring(res, allowed, url, 'json').body }
}

async function walk (app: MockServer, path: string, headers: Record<string, string>, pageSize: number, key = 'userProfiles', id = 'userId'): Promise<string[] | number> {
  const ids: string[] = []
  let token: string | undefined
  for (let page = 0; page < 100; page++) {
    const url = `${path}${path.includes('?') ? '&' : '?'}pageSize=${pageSize}${token === undefined ? '' : `&pageToken=${token}`}`
    const { status, body } = await json(app, url, headers, [200, 403])
    if (status !== 200) return status
    ids.push(...(body[key] as Array<Record<string, string>>).map((r) => r[id] as string))
    token = body.nextPageToken as string | undefined
    if (token === undefined) return ids
  }
  throw new Error(`${path}: the walk does not end`)
}

const same = (a: readonly string[], b: readonly string[]): boolean => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort())

t.test('what each caller sees equals the brute-force scope: lists, filters and look-ups', async (t) => {
  const app = await build(t, { journalSize: 0 })
  let serial = 0
  const scenario = account.chain((a) => {
    const active = a.users.filter((u) => u.state === 'active')
    return fc.record({
      a: fc.constant(a),
      caller: active.length === 0 ? fc.constant(undefined) : fc.constantFrom(...active),
      pageSize: fc.integer({ min: 1, max: 8 }),
      filter: fc.uniqueArray(fc.constantFrom(...a.departments.map((d) => d.id)), { minLength: 1, maxLength: 2 }),
      group: fc.constantFrom(...a.groups.map((g) => g.id)),
      target: fc.constantFrom(...a.users),
      department: fc.constantFrom(...a.departments.map((d) => d.id)),
      version: fc.constantFrom('/users', '/users/v2')
    })
  })

  await check(t, fc.asyncProperty(scenario, async ({ a, caller, pageSize, filter, group, target, department, version }) => {
    if (caller === undefined) return
    const n = ++serial
    const accountUrl = `https://perm-${n}.ispringlearn.com`
    const created = await app.inject({ method: 'POST', url: '/__admin/tenants', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ vendor: 'ispring', id: `perm-${n}`, name: `Perm ${n}`, accountUrl, ...a }) })
    expect(created.statusCode === 201, `create: ${created.body}`)
    const headers = { 'x-auth-account-url': accountUrl, 'x-auth-email': caller.login, 'x-auth-password': caller.password, accept: 'application/json' }
    const scope = scopeOf(a, caller)
    const inScope = (d: string): boolean => scope === undefined || scope.has(d)
    const visible = a.users.filter((u) => inScope(u.departmentId)).map((u) => u.userId)
    const what = `${caller.role} managing ${JSON.stringify(caller.manageableDepartmentIds ?? [])}`

    const all = await walk(app, `/ispring${version}`, headers, pageSize)
    if (caller.role === 'learner') {
      expect(all === 403, `learner: ${String(all)}`)
      expect((await json(app, `/ispring/user/${target.userId}`, headers, [403])).status === 403, 'learner look-up')
      return
    }
    expect(Array.isArray(all) && same(all, visible), `${what} sees ${String(all)}, expected ${visible.join(',')}`)

    // departments[]: 403 unless every listed department is in scope; then their subtrees.
    const filtered = await walk(app, `/ispring${version}?${filter.map((d) => `departments[]=${d}`).join('&')}`, headers, pageSize)
    if (filter.every(inScope)) {
      const wanted = new Set(filter.flatMap((d) => [...subtree(a, d)]))
      expect(Array.isArray(filtered) && same(filtered, a.users.filter((u) => wanted.has(u.departmentId)).map((u) => u.userId)), `${what} filtered by ${filter.join(',')}: ${String(filtered)}`)
    } else {
      expect(filtered === 403, `${what} filtering outside the scope by ${filter.join(',')}: ${String(filtered)}`)
    }

    // groups[]: members, limited to the scope.
    const byGroup = await walk(app, `/ispring${version}?groups[]=${group}`, headers, pageSize)
    expect(Array.isArray(byGroup) && same(byGroup, a.users.filter((u) => u.groups.includes(group) && inScope(u.departmentId)).map((u) => u.userId)), `${what} by group: ${String(byGroup)}`)

    // Look-ups.
    const single = await json(app, `/ispring/user/${target.userId}/v2`, headers, [200, 403])
    expect(single.status === (inScope(target.departmentId) ? 200 : 403), `${what} looks up a user of ${target.departmentId}: ${single.status}`)
    const oneDept = await json(app, `/ispring/department/${department}`, headers, [200, 403])
    expect(oneDept.status === (inScope(department) ? 200 : 403), `${what} looks up department ${department}: ${oneDept.status}`)
    const departments = await walk(app, '/ispring/departments', headers, pageSize, 'departments', 'departmentId')
    expect(Array.isArray(departments) && same(departments, a.departments.map((d) => d.id).filter(inScope)), `${what} lists departments ${String(departments)}`)
    const members = await json(app, `/ispring/group/${group}`, headers, [200])
    const expectedMembers = a.users.filter((u) => u.groups.includes(group) && inScope(u.departmentId)).map((u) => u.userId)
    // An author receives the count but not the ids (the vendor's "Getting Group Info" page).
    const ids = caller.role === 'author' ? members.body.userIds === undefined : same(members.body.userIds as string[], expectedMembers)
    expect(ids && members.body.usersCount === expectedMembers.length, `${what} group members ${JSON.stringify(members.body)}`)

    const removed = await app.inject({ method: 'DELETE', url: `/__admin/tenants/ispring/perm-${n}` })
    expect(removed.statusCode === 204, 'delete')
  }), { seed: 501, numRuns: scaled(400) })
})
