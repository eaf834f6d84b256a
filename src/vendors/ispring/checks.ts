/**
 * What the fixture schema cannot say about an iSpring account: unique ids, logins and emails,
 * references that resolve (departments, groups, supervisors, managed departments, API clients'
 * users, custom roles), one root and no cycles in the department tree. Problems carry the JSON
 * path of the offending value, relative to the file or to the admin request's list of users.
 */
import { FixtureProblem } from '../../core/tenants.js'
import type { IspringUser } from './model.js'
import type { Directory } from './directory.js'
import { ROLE_IDS, SCOPED_ROLES } from './permissions.js'
import type { IspringDepartmentFixture, IspringTenantFile, IspringUserFixture } from './schemas.js'

type Path = Array<string | number>
type UniqueKey = 'userId' | 'login' | 'email'
const UNIQUE_KEYS: readonly UniqueKey[] = ['userId', 'login', 'email']

/** Everything the user checks need to know about the account. */
interface CheckContext {
  department: (id: string) => boolean
  group: (id: string) => boolean
  customRole: (id: string) => boolean
  /** Who already has this userId, login or email (case-insensitive), for the message; undefined when free. */
  holder: (key: UniqueKey, value: string) => string | undefined
  /** Marks the keys of a user of the batch as taken. */
  claim: (u: IspringUserFixture, who: string) => void
  user: (id: string) => boolean
}

/** Claims made by a batch being checked (a fixture's users, or an admin request's). */
function batchClaims (): Pick<CheckContext, 'holder' | 'claim'> {
  const taken = new Map<string, string>()
  const key = (kind: UniqueKey, value: string): string => `${kind}\u0000${value.toLowerCase()}`
  return {
    holder: (kind, value) => taken.get(key(kind, value)),
    claim: (u, who) => { for (const kind of UNIQUE_KEYS) taken.set(key(kind, u[kind]), who) }
  }
}

/** Checks what the schema cannot for one user at `path`; claims its keys. */
function checkUser (u: IspringUserFixture, path: Path, ctx: CheckContext, who: string): void {
  for (const kind of UNIQUE_KEYS) {
    const other = ctx.holder(kind, u[kind])
    if (other !== undefined) throw new FixtureProblem([...path, kind], `duplicate ${kind} "${u[kind]}" (also ${other})`)
  }
  if (!ctx.department(u.departmentId.toLowerCase())) throw new FixtureProblem([...path, 'departmentId'], `no department has id "${u.departmentId}"`)
  u.groups?.forEach((g, j) => {
    if (!ctx.group(g.toLowerCase())) throw new FixtureProblem([...path, 'groups', j], `no group has id "${g}"`)
  })
  if (u.manageableDepartmentIds !== undefined && u.manageableDepartmentIds.length > 0 && !SCOPED_ROLES.has(u.role)) {
    throw new FixtureProblem([...path, 'manageableDepartmentIds'], `only department_administrator, publisher and custom users manage departments, not ${u.role}`)
  }
  u.manageableDepartmentIds?.forEach((d, j) => {
    if (!ctx.department(d.toLowerCase())) throw new FixtureProblem([...path, 'manageableDepartmentIds', j], `no department has id "${d}"`)
  })
  if (u.roleId !== undefined) {
    if (u.role !== 'custom') throw new FixtureProblem([...path, 'roleId'], `the ${u.role} role has the fixed id ${ROLE_IDS[u.role]}; roleId is only for role "custom"`)
    if (!ctx.customRole(u.roleId.toLowerCase())) throw new FixtureProblem([...path, 'roleId'], `unknown role "${u.roleId}": not one of the file's customRoles`)
  }
  if (u.workLeave?.endDate !== undefined && u.workLeave.endDate < u.workLeave.startDate) {
    throw new FixtureProblem([...path, 'workLeave', 'endDate'], 'is before startDate')
  }
  for (const key of ['subordination', 'coSubordination'] as const) {
    const s = u[key]
    if (s === undefined) continue
    if (s.subordinationType === 'manual' && s.supervisorId === undefined) throw new FixtureProblem([...path, key, 'supervisorId'], 'is required with subordinationType "manual"')
    if (s.subordinationType !== 'manual' && s.supervisorId !== undefined) throw new FixtureProblem([...path, key, 'supervisorId'], 'is only allowed with subordinationType "manual"')
  }
  ctx.claim(u, who)
}

/** Supervisors are checked once every user of the batch is known (a batch may name its own). */
function checkSupervisors (u: IspringUserFixture, path: Path, ctx: CheckContext): void {
  for (const key of ['subordination', 'coSubordination'] as const) {
    const id = u[key]?.supervisorId
    if (id === undefined) continue
    if (id.toLowerCase() === u.userId.toLowerCase()) throw new FixtureProblem([...path, key, 'supervisorId'], 'a user cannot supervise themselves')
    if (!ctx.user(id.toLowerCase())) throw new FixtureProblem([...path, key, 'supervisorId'], `no user has id "${id}"`)
  }
}

export function checkDepartments (departments: readonly IspringDepartmentFixture[]): void {
  const ids = new Map<string, number>()
  departments.forEach((d, i) => {
    const id = d.id.toLowerCase()
    if (ids.has(id)) throw new FixtureProblem(['departments', i, 'id'], `duplicate department id "${d.id}" (also departments[${ids.get(id) as number}])`)
    ids.set(id, i)
  })
  let root: number | undefined
  departments.forEach((d, i) => {
    if (d.parentId === undefined) {
      if (root !== undefined) throw new FixtureProblem(['departments', i, 'parentId'], `is required: departments[${root}] is already the root (an account has one root department)`)
      root = i
    } else if (!ids.has(d.parentId.toLowerCase())) {
      throw new FixtureProblem(['departments', i, 'parentId'], `no department has id "${d.parentId}"`)
    }
  })
  if (departments.length > 0 && root === undefined) throw new FixtureProblem(['departments'], 'has no root department (one department without parentId)')
  departments.forEach((d, i) => {
    const seen = new Set<string>()
    let current: IspringDepartmentFixture | undefined = d
    while (current?.parentId !== undefined) {
      const id = current.id.toLowerCase()
      if (seen.has(id)) throw new FixtureProblem(['departments', i, 'parentId'], 'makes a cycle in the department tree')
      seen.add(id)
      current = departments[ids.get(current.parentId.toLowerCase()) as number]
    }
  })
}

/** Checks what the schema cannot in a fixture file; throws FixtureProblem with the JSON path. */
export function checkFixture (f: IspringTenantFile): void {
  const departments = f.departments ?? []
  checkDepartments(departments)
  const departmentIds = new Set(departments.map((d) => d.id.toLowerCase()))
  const groupIds = new Set<string>()
  f.groups?.forEach((g, i) => {
    if (groupIds.has(g.id.toLowerCase())) throw new FixtureProblem(['groups', i, 'id'], `duplicate group id "${g.id}"`)
    groupIds.add(g.id.toLowerCase())
  })
  const customRoles = new Set<string>()
  const builtIn = new Set(Object.values(ROLE_IDS))
  f.customRoles?.forEach((r, i) => {
    const id = r.roleId.toLowerCase()
    if (customRoles.has(id)) throw new FixtureProblem(['customRoles', i, 'roleId'], `duplicate roleId "${r.roleId}"`)
    if (builtIn.has(id)) throw new FixtureProblem(['customRoles', i, 'roleId'], 'is the id of a built-in role')
    customRoles.add(id)
  })
  const users = f.users ?? []
  const claims = batchClaims()
  const ctx: CheckContext = {
    department: (id) => departmentIds.has(id),
    group: (id) => groupIds.has(id),
    customRole: (id) => customRoles.has(id),
    ...claims,
    user: (id) => claims.holder('userId', id) !== undefined
  }
  users.forEach((u, i) => { checkUser(u, ['users', i], ctx, `users[${i}]`) })
  users.forEach((u, i) => { checkSupervisors(u, ['users', i], ctx) })
  departments.forEach((d, i) => {
    for (const key of ['subordination', 'coSubordination'] as const) {
      const s = d[key]
      if (s === undefined) continue
      if (s.subordinationType === 'manual' && (s.supervisorId === undefined || !ctx.user(s.supervisorId.toLowerCase()))) {
        throw new FixtureProblem(['departments', i, key, 'supervisorId'], s.supervisorId === undefined ? 'is required with subordinationType "manual"' : `no hand-written user has id "${s.supervisorId}"`)
      }
      if (s.subordinationType !== 'manual' && s.supervisorId !== undefined) throw new FixtureProblem(['departments', i, key, 'supervisorId'], 'is only allowed with subordinationType "manual"')
    }
  })
  const clients = new Set<string>()
  f.apiClients?.forEach((c, i) => {
    if (clients.has(c.clientId.toLowerCase())) throw new FixtureProblem(['apiClients', i, 'clientId'], `duplicate clientId "${c.clientId}"`)
    clients.add(c.clientId.toLowerCase())
    if (!ctx.user(c.actsAs.toLowerCase())) throw new FixtureProblem(['apiClients', i, 'actsAs'], `no hand-written user has id "${c.actsAs}"`)
  })
  if ((f.generate?.users ?? 0) > 0 && departments.length === 0 && (f.generate?.departments ?? 0) === 0 && users.length > 0) {
    throw new FixtureProblem(['departments'], 'is needed by the hand-written users')
  }
}

/**
 * Checks users added to (or, with `skip`, changed in) an account's directory, at `paths[i]`:
 * uniqueness is asked of the indexes, so the work is proportional to the batch, not the account.
 */
export function checkUsersFor (account: { directory: Directory, customRoleIds: ReadonlySet<string> }, users: readonly IspringUserFixture[], paths: Path[], skip?: number | ReadonlySet<number>): void {
  const directory = account.directory
  const claims = batchClaims()
  const skipped = (position: number): boolean => typeof skip === 'number' ? position === skip : skip?.has(position) === true
  const existing = (position: number | undefined): string | undefined =>
    position === undefined || skipped(position) ? undefined : `existing user ${(directory.users[position] as IspringUser).userId}`
  const ctx: CheckContext = {
    department: (id) => directory.department(id) !== undefined,
    group: (id) => directory.group(id) !== undefined,
    customRole: (id) => account.customRoleIds.has(id),
    holder: (kind, value) => claims.holder(kind, value) ?? existing(
      kind === 'userId' ? directory.positionOf(value) : kind === 'login' ? directory.positionOfLogin(value) : directory.positionOfEmail(value)
    ),
    claim: claims.claim,
    user: (id) => claims.holder('userId', id) !== undefined || directory.positionOf(id) !== undefined
  }
  users.forEach((u, i) => { checkUser(u, paths[i] as Path, ctx, skip === undefined ? `[${i}]` : 'this user') })
  users.forEach((u, i) => { checkSupervisors(u, paths[i] as Path, ctx) })
}
