/**
 * An iSpring Learn account as the mock holds it, and its tenant kind: the records (model.ts) in
 * a Directory with their indexes and the API clients (access tokens are stateless: auth.ts).
 * Generated records of fixture files are made on first use, so start-up stays fast; those of
 * tenants created at run time are made ahead, in slices (`prepare`). The tenant kind loads
 * fixtures and applies the user changes of the change path.
 * https://ispringhelpdocs.com/display/ispringlearn/REST+API
 */
import { Compile } from 'typebox/compile'
import { runAll, type Steps } from '../../core/steps.js'
import { REFERENCE_DATE } from '../../core/random.js'
import { FixtureProblem, schemaMessage, type BuildContext, type TenantKind } from '../../core/tenants.js'
import { UnknownChange } from '../../core/errors.js'
import { checkDepartments, checkFixture, checkUsersFor } from './checks.js'
import { Directory } from './directory.js'
import { DEFAULT_GENERATED_PASSWORD, generateRecords } from './generate.js'
import { departmentFromFixture, departmentToFixture, userFromFixture, userToFixture, type IspringUser } from './model.js'
import { SCOPED_ROLES } from './permissions.js'
import { IspringDepartmentFixtureSchema, IspringGroupFixtureSchema, IspringTenantFileSchema, IspringUserFixtureSchema, IspringUserPatchSchema, type IspringDepartmentFixture, type IspringGroupFixture, type IspringTenantFile, type IspringUserFixture, type Subordination } from './schemas.js'

type Path = Array<string | number>

export const REFERENCE_DAY = REFERENCE_DATE.toISOString().slice(0, 10)

/** `https://Demo.ispringlearn.com/` → `https://demo.ispringlearn.com` */
export function normalizeAccountUrl (url: string): string {
  return url.trim().toLowerCase().replace(/\/+$/, '')
}

export interface ApiClient { clientId: string, clientSecret: string, actsAs: string }

/** Directories made ahead in steps (`prepare`), by fixture object, each taken once by its account. */
const PREPARED = new WeakMap<IspringTenantFile, Directory>()

/** The fixture's records and their indexes, generated ones included, in steps. */
function * directorySteps (f: IspringTenantFile): Steps<Directory> {
  const departments = (f.departments ?? []).map(departmentFromFixture)
  const groups = (f.groups ?? []).map((g) => ({ id: g.id.toLowerCase(), name: g.name, isSmart: g.isSmart === true }))
  const users = (f.users ?? []).map((u) => userFromFixture(u, REFERENCE_DAY))
  if (f.generate === undefined) return new Directory(departments, groups, users)
  const customRoleIds = [...new Set((f.customRoles ?? []).map((r) => r.roleId.toLowerCase()))]
  yield * generateRecords({ tenantId: f.id, tenantName: f.name, spec: f.generate, customRoleIds, departments, groups, users })
  return yield * Directory.build(departments, groups, users)
}

export class IspringAccount {
  readonly tenantId: string
  readonly name: string
  readonly accountUrl: string
  /** Lower-case client id → client. */
  readonly apiClients: Map<string, ApiClient>
  readonly customRoleIds: ReadonlySet<string>
  /** Custom role id → title. */
  readonly customRoles: ReadonlyMap<string, string>
  readonly #fixture: IspringTenantFile
  #directory: Directory | undefined

  constructor (fixture: IspringTenantFile) {
    this.#fixture = fixture
    this.tenantId = fixture.id
    this.name = fixture.name
    this.accountUrl = normalizeAccountUrl(fixture.accountUrl)
    this.apiClients = new Map((fixture.apiClients ?? []).map((c) => [c.clientId.toLowerCase(), { clientId: c.clientId, clientSecret: c.clientSecret, actsAs: c.actsAs.toLowerCase() }]))
    this.customRoleIds = new Set((fixture.customRoles ?? []).map((r) => r.roleId.toLowerCase()))
    this.customRoles = new Map((fixture.customRoles ?? []).map((r) => [r.roleId.toLowerCase(), r.title]))
  }

  get userCount (): number {
    return this.#directory?.count ?? (this.#fixture.users?.length ?? 0) + (this.#fixture.generate?.users ?? 0)
  }

  get generated (): boolean {
    return (this.#fixture.generate?.users ?? 0) > 0
  }

  get generatedPassword (): string {
    return this.#fixture.generate?.password ?? DEFAULT_GENERATED_PASSWORD
  }

  /** The records; generated ones are made on first use. */
  get directory (): Directory {
    if (this.#directory === undefined) {
      const prepared = PREPARED.get(this.#fixture)
      PREPARED.delete(this.#fixture)
      this.#directory = prepared ?? runAll(directorySteps(this.#fixture))
    }
    return this.#directory
  }

  /** Every hand-written user (fixture and admin API), without generating the others. */
  handWrittenUsers (): Array<Pick<IspringUser, 'userId' | 'login' | 'email' | 'password' | 'role' | 'state'>> {
    if (this.#directory === undefined) return (this.#fixture.users ?? []).map((u) => userFromFixture(u, REFERENCE_DAY))
    return [...this.#directory.existing()].filter((u) => !u.generated)
  }
}

const checkUserSchema = Compile(IspringUserFixtureSchema)
const checkPatchSchema = Compile(IspringUserPatchSchema)
const checkDepartmentSchema = Compile(IspringDepartmentFixtureSchema)
const checkGroupSchema = Compile(IspringGroupFixtureSchema)

/** The first schema error as a FixtureProblem (paths relative to `prefix`), or undefined. */
function schemaProblem (errors: Iterable<{ instancePath: string, keyword: string, message: string, params: unknown }>, prefix: Path): FixtureProblem | undefined {
  const first = errors[Symbol.iterator]().next()
  if (first.done === true) return undefined
  return new FixtureProblem([...prefix, ...first.value.instancePath.split('/').slice(1)], schemaMessage(first.value))
}

/** Puts `fixture` (checked against the account first) in the place of the user at `position`. */
function replaceChecked (account: IspringAccount, position: number, fixture: IspringUserFixture, ctx: BuildContext): void {
  checkUsersFor(account, [fixture], [[]], position)
  const directory = account.directory
  const next = userFromFixture(fixture, clockDay(ctx))
  next.generated = (directory.users[position] as IspringUser).generated
  directory.replace(position, next)
}

const clockDay = (ctx: BuildContext): string => new Date(ctx.clock.now()).toISOString().slice(0, 10)

/**
 * The change every write of the iSpring API makes: whole records to create (an id the account
 * does not have) or to put in place of the record with that id, and ids to delete: departments
 * and groups first (the tree checked whole: one root, parents that exist, no cycle; a department
 * is only deleted without users or sub-departments), then users. Everything is checked before
 * anything stays applied, so a request changes all of what it names or nothing. Ids and dates are
 * made by the route, so every replica applies the same records.
 */
// A type, not an interface: it must fit the change path's index signature.
export type DirectoryWritten = {
  kind: 'ispring.directory.written'
  users: IspringUserFixture[]
  deleted: string[]
  departments?: IspringDepartmentFixture[]
  deletedDepartments?: string[]
  groups?: IspringGroupFixture[]
  deletedGroups?: string[]
}

const strings = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string')

/** The list with `written` put in place (same id) or appended, and `deleted` ids left out. */
function merged<T extends { id: string }> (current: readonly T[], written: readonly T[], deleted: readonly string[]): T[] {
  const byId = new Map(written.map((w) => [w.id, w]))
  const gone = new Set(deleted)
  const out = current.filter((c) => !gone.has(c.id)).map((c) => byId.get(c.id) ?? c)
  const known = new Set(current.map((c) => c.id))
  for (const w of written) if (!known.has(w.id)) out.push(w)
  return out
}

/** Applies a `DirectoryWritten` change; returns the user ids written, in order. */
function applyDirectoryWritten (account: IspringAccount, change: { [key: string]: unknown }, ctx: BuildContext): string[] {
  const { users, deleted } = change
  const departments = Array.isArray(change.departments) ? [...change.departments] : change.departments ?? []
  const groups = change.groups ?? []
  const deletedDepartments = change.deletedDepartments ?? []
  const deletedGroups = change.deletedGroups ?? []
  if (!Array.isArray(users) || !strings(deleted) || !Array.isArray(departments) || !Array.isArray(groups) || !strings(deletedDepartments) || !strings(deletedGroups)) {
    throw new FixtureProblem([], 'a directory.written change needs users and deleted (and optionally departments, deletedDepartments, groups, deletedGroups) as arrays')
  }
  users.forEach((u, i) => {
    const problem = schemaProblem(checkUserSchema.Errors(u), ['users', i])
    if (problem !== undefined) throw problem
  })
  departments.forEach((d, i) => {
    const problem = schemaProblem(checkDepartmentSchema.Errors(d), ['departments', i])
    if (problem !== undefined) throw problem
  })
  groups.forEach((g, i) => {
    const problem = schemaProblem(checkGroupSchema.Errors(g), ['groups', i])
    if (problem !== undefined) throw problem
  })
  const directory = account.directory
  const written = [...users as IspringUserFixture[]]
  const gone = deleted.map((id, i) => {
    const position = directory.positionOf(id)
    if (position === undefined) throw new FixtureProblem(['deleted', i], `no user has id "${id}"`)
    return position
  })
  // Nobody is left supervised by a deleted user: those subordinations go back to "inherit".
  const goneIds = new Set(deleted.map((id) => id.toLowerCase()))
  if (goneIds.size > 0) {
    const released = (s: Subordination | undefined): boolean => s?.supervisorId !== undefined && goneIds.has(s.supervisorId.toLowerCase())
    const release = <T extends { subordination?: Subordination, coSubordination?: Subordination }>(r: T): T => ({
      ...r,
      ...(released(r.subordination) ? { subordination: { subordinationType: 'inherit' } } : {}),
      ...(released(r.coSubordination) ? { coSubordination: { subordinationType: 'inherit' } } : {})
    })
    const writtenIds = new Set(written.map((u) => u.userId.toLowerCase()))
    written.forEach((u, i) => { written[i] = release(u) })
    for (const user of directory.existing()) {
      if (goneIds.has(user.userId) || writtenIds.has(user.userId)) continue
      if (released(user.subordination) || released(user.coSubordination)) written.push(release(userToFixture(user)))
    }
    const touched = new Set((departments as IspringDepartmentFixture[]).map((d) => d.id.toLowerCase()))
    departments.forEach((d, i) => { departments[i] = release(d as IspringDepartmentFixture) })
    for (const d of directory.departments) {
      if (!touched.has(d.id) && (released(d.subordination) || released(d.coSubordination))) departments.push(release(departmentToFixture(d)))
    }
  }
  const before = { departments: directory.departments, groups: directory.groups }
  if (departments.length + groups.length + deletedDepartments.length + deletedGroups.length > 0) {
    const tree = merged(directory.departments.map(departmentToFixture), (departments as IspringDepartmentFixture[]).map((d) => ({ ...d, id: d.id.toLowerCase() })), deletedDepartments.map((id) => id.toLowerCase()))
    checkDepartments(tree)
    const nextGroups = merged(directory.groups.map((g) => ({ id: g.id, name: g.name, isSmart: g.isSmart })), (groups as IspringGroupFixture[]).map((g) => ({ ...g, id: g.id.toLowerCase() })), deletedGroups.map((id) => id.toLowerCase()))
    directory.restructure(tree.map(departmentFromFixture), nextGroups.map((g) => ({ id: g.id, name: g.name, isSmart: g.isSmart === true })))
  }
  try {
    const positions = written.map((u) => directory.positionOf(u.userId))
    const replaced = new Set([...positions.filter((p): p is number => p !== undefined), ...gone])
    checkUsersFor(account, written, written.map((_u, i) => ['users', i]), replaced)
    // Nobody left in, or managing, a department that goes; no member left in a group that goes.
    const writtenIds = new Set(written.map((u) => u.userId.toLowerCase()))
    const goneDepartments = new Set(deletedDepartments.map((id) => id.toLowerCase()))
    const goneGroups = new Set(deletedGroups.map((id) => id.toLowerCase()))
    if (goneDepartments.size + goneGroups.size > 0) {
      for (const user of directory.existing()) {
        if (replaced.has(directory.positionOf(user.userId) as number) || writtenIds.has(user.userId)) continue
        if (goneDepartments.has(user.departmentId) || user.manageableDepartmentIds.some((d) => goneDepartments.has(d))) throw new FixtureProblem(['deletedDepartments'], `user ${user.userId} is still in or managing the department`)
        if (user.groups.some((g) => goneGroups.has(g))) throw new FixtureProblem(['deletedGroups'], `user ${user.userId} is still in the group`)
      }
    }
  } catch (err) {
    if (before.departments !== directory.departments) directory.restructure(before.departments, before.groups)
    throw err
  }
  // Checked: from here on nothing throws.
  const day = clockDay(ctx)
  for (const position of gone) directory.remove(position)
  written.forEach((u) => {
    const position = directory.positionOf(u.userId)
    if (position === undefined) {
      directory.add(userFromFixture(u, day))
    } else {
      const next = userFromFixture(u, day)
      next.generated = (directory.users[position] as IspringUser).generated
      directory.replace(position, next)
    }
  })
  return written.map((u) => u.userId.toLowerCase())
}

export const ispringTenantKind: TenantKind<IspringAccount> = {
  vendor: 'ispring',
  schema: IspringTenantFileSchema,
  userSchema: IspringUserFixtureSchema,
  build (fixture: unknown, _ctx: BuildContext): IspringAccount {
    const f = fixture as IspringTenantFile
    checkFixture(f)
    return new IspringAccount(f)
  },
  replaceUser (account, userId, user, ctx) {
    const problem = schemaProblem(checkUserSchema.Errors(user), [])
    if (problem !== undefined) throw problem
    const directory = account.directory
    const position = directory.positionOf(userId)
    if (position === undefined) return false
    const current = directory.users[position] as IspringUser
    const next = user as IspringUserFixture
    if (next.userId.toLowerCase() !== current.userId) throw new FixtureProblem(['userId'], `must be the id of the user replaced ("${current.userId}")`)
    replaceChecked(account, position, next, ctx)
    return true
  },
  removeUser (account, userId, ctx) {
    if (account.directory.positionOf(userId) === undefined) return false
    // As the vendor API's delete: the users it supervised go back to "inherit".
    applyDirectoryWritten(account, { users: [], deleted: [userId] }, ctx)
    return true
  },
  applyChange (account, change, ctx) {
    if (change.kind === 'ispring.directory.written') return applyDirectoryWritten(account, change, ctx)
    throw new UnknownChange(change.kind, 'ispring')
  },
  * prepare (fixture) {
    const f = fixture as IspringTenantFile
    if (f.generate !== undefined && !PREPARED.has(f)) PREPARED.set(f, yield * directorySteps(f))
  },
  keys: (account) => [account.accountUrl],
  describe: (account) => ({
    userCount: account.userCount,
    accountUrl: account.accountUrl,
    credentials: {
      accountUrl: account.accountUrl,
      apiClients: [...account.apiClients.values()].map((c) => ({ clientId: c.clientId, clientSecret: c.clientSecret, actsAs: c.actsAs })),
      users: account.handWrittenUsers().map((u) => ({ userId: u.userId, login: u.login, email: u.email, password: u.password, role: u.role, state: u.state })),
      ...(account.generated ? { generatedUsers: { password: account.generatedPassword, note: 'every generated user has this X-Auth-Password; their logins are in GET /users' } } : {})
    }
  }),
  addUsers (account, users, ctx) {
    const added = users as IspringUserFixture[]
    added.forEach((u, i) => {
      const problem = schemaProblem(checkUserSchema.Errors(u), [i])
      if (problem !== undefined) throw problem
    })
    checkUsersFor(account, added, added.map((_u, i) => [i]))
    const day = clockDay(ctx)
    const directory = account.directory
    return added.map((u) => directory.users[directory.add(userFromFixture(u, day))]?.userId as string)
  },
  patchUser (account, userId, patch, ctx) {
    const problem = schemaProblem(checkPatchSchema.Errors(patch), [])
    if (problem !== undefined) throw problem
    const directory = account.directory
    const position = directory.positionOf(userId)
    if (position === undefined) return false
    const current = directory.users[position] as IspringUser
    const merged: IspringUserFixture = { ...userToFixture(current), ...(patch as Partial<IspringUserFixture>), userId: current.userId }
    if ('role' in patch && patch.role !== 'custom' && !('roleId' in patch)) delete merged.roleId
    if (!SCOPED_ROLES.has(merged.role) && !('manageableDepartmentIds' in patch)) merged.manageableDepartmentIds = []
    replaceChecked(account, position, merged, ctx)
    return true
  }
}
