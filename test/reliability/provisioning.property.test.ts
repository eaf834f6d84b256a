/**
 * The write oracle: on generated accounts, a random sequence of provisioning calls by random
 * callers answers what a plain-code reading of the rules says (401 for a caller who can no longer
 * sign in, 403 for roles that may not write or targets out of their scope, 404 for a user that is
 * gone, success otherwise), and afterwards the directory equals the oracle's model, user by user.
 */
import fc from 'fast-check'
import t from 'tap'
import { build } from '../helper.js'
import { account, dept, scopeOf, type Account, type User } from './accounts.js'
import { check, expect, scaled } from './support.js'

const WRITERS = new Set(['owner', 'administrator', 'department_administrator', 'custom'])
const STATE_OF: Record<number, string> = { 1: 'active', 3: 'inactive', 5: 'employment_ended' }
const STATUS_OF: Record<string, number> = { active: 1, inactive: 3, employment_ended: 5 }

type Op =
  | { kind: 'status', caller: number, target: number, status: 1 | 3 | 5 }
  | { kind: 'move', caller: number, target: number, department: number }
  | { kind: 'title', caller: number, target: number, title: string }
  | { kind: 'delete', caller: number, target: number }
  | { kind: 'batch', caller: number, targets: number[] }

/** What the rules say a call answers, and the model after it. */
function oracle (a: Account, model: Map<string, User & { jobTitle: string }>, op: Op): number {
  const caller = model.get(a.users[op.caller]?.userId as string)
  if (caller === undefined || caller.state !== 'active') return 401
  if (!WRITERS.has(caller.role)) return 403
  const scope = scopeOf(a, caller)
  const inScope = (d: string): boolean => scope === undefined || scope.has(d)
  // A scoped caller changes only users whose reach stays inside its own: not the owner, administrators or authors
  // (they read everything), in its departments, managing only departments it manages too.
  const mayChange = (u: User): boolean => !(u.role === 'owner' && caller.role !== 'owner') &&
    (scope === undefined || (!['owner', 'administrator', 'author'].includes(u.role) && inScope(u.departmentId) && (u.manageableDepartmentIds ?? []).every(inScope)))
  if (op.kind === 'batch') {
    // Ids in the order sent: the first unknown one (400) or one the caller may not change (403) refuses the batch.
    const targets = [...new Set(op.targets.map((i) => a.users[i]?.userId as string))].map((id) => model.get(id))
    for (const u of targets) {
      if (u === undefined) return 400
      if (!mayChange(u)) return 403
    }
    if (targets.some((u) => u?.role === 'owner')) return 403
    for (const u of targets as User[]) u.state = 'inactive'
    return 200
  }
  const target = model.get(a.users[op.target]?.userId as string)
  if (target === undefined) return 404
  if (!mayChange(target)) return 403
  switch (op.kind) {
    case 'status':
      if (target.role === 'owner' && op.status !== 1) return 403
      target.state = STATE_OF[op.status] as string
      return 200
    case 'move': {
      const d = dept(op.department)
      if (!inScope(d)) return 403
      target.departmentId = d
      return 200
    }
    case 'title':
      target.jobTitle = op.title
      return 200
    case 'delete':
      if (target.role === 'owner') return 403
      model.delete(target.userId)
      return 204
  }
}

t.test('random writes by random callers answer and change what the rules say', async (t) => {
  const app = await build(t, { journalSize: 0 })
  let serial = 0
  const scenario = account.chain((a) => {
    const user = fc.nat({ max: a.users.length - 1 })
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('status' as const), caller: user, target: user, status: fc.constantFrom(1 as const, 3 as const, 5 as const) }),
      fc.record({ kind: fc.constant('move' as const), caller: user, target: user, department: fc.nat({ max: a.departments.length - 1 }) }),
      fc.record({ kind: fc.constant('title' as const), caller: user, target: user, title: fc.constantFrom('Lead', 'Engineer', '') }),
      fc.record({ kind: fc.constant('delete' as const), caller: user, target: user }),
      fc.record({ kind: fc.constant('batch' as const), caller: user, targets: fc.array(user, { minLength: 1, maxLength: 4 }) })
    )
    return fc.record({ a: fc.constant(a), ops: fc.array(op, { minLength: 1, maxLength: 12 }) })
  })

  await check(t, fc.asyncProperty(scenario, async ({ a, ops }) => {
    const n = ++serial
    const accountUrl = `https://write-${n}.ispringlearn.com`
    const created = await app.inject({ method: 'POST', url: '/__admin/tenants', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ vendor: 'ispring', id: `write-${n}`, name: `Write ${n}`, accountUrl, ...a }) })
    expect(created.statusCode === 201, `create: ${created.body}`)
    const model = new Map(a.users.map((u) => [u.userId, { ...u, jobTitle: '' }]))
    for (const op of ops) {
      const who = a.users[op.caller] as User
      const headers = { 'x-auth-account-url': accountUrl, 'x-auth-email': who.login, 'x-auth-password': who.password, accept: 'application/json', 'content-type': 'application/json' }
      const targetId = op.kind === 'batch' ? '' : (a.users[op.target] as User).userId
      const [method, url, body] = op.kind === 'status'
        ? ['POST', `/user/${targetId}/status`, { status: op.status }]
        : op.kind === 'move'
          ? ['POST', `/user/${targetId}`, { departmentId: dept(op.department) }]
          : op.kind === 'title'
            ? ['POST', `/user/${targetId}`, { fields: { job_title: op.title } }]
            : op.kind === 'delete'
              ? ['DELETE', `/user/${targetId}`, undefined]
              : ['POST', '/users/deactivate', { userIds: op.targets.map((i) => (a.users[i] as User).userId) }]
      const before = app.mock.changes.seq
      const res = await app.inject({ method: method as 'POST' | 'DELETE', url: `/ispring${url}`, headers, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) })
      const expected = oracle(a, model, op)
      expect(res.statusCode === expected, `${who.role} ${op.kind} ${JSON.stringify(op)}: got ${res.statusCode} ${res.body}, the rules say ${expected}`)
      if (expected >= 400) expect(app.mock.changes.seq === before, `a refused ${op.kind} made a change`)
    }
    // The directory, read by the admin API's owner-free view: the tenant's users as the vendor lists them to an owner.
    const owner = a.users.find((u) => u.role === 'owner' && model.get(u.userId)?.state === 'active')
    if (owner === undefined) return
    const listed = await app.inject({ url: '/ispring/users/v2', headers: { 'x-auth-account-url': accountUrl, 'x-auth-email': owner.login, 'x-auth-password': owner.password, accept: 'application/json' } })
    const profiles = (listed.json() as { userProfiles: Array<{ userId: string, departmentId: string, status: number, fields: Array<{ name: string, value: string }> }> }).userProfiles
    const got = profiles.map((p) => [p.userId, p.departmentId, p.status, p.fields.find((f) => f.name === 'JOB_TITLE')?.value ?? ''])
    const want = [...model.values()].map((u) => [u.userId, u.departmentId, STATUS_OF[u.state], u.jobTitle])
    expect(JSON.stringify(got) === JSON.stringify(want), `directory after the writes:\n got ${JSON.stringify(got)}\nwant ${JSON.stringify(want)}`)
  }), { seed: 1107, numRuns: scaled(150) })
})
