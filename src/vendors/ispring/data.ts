/**
 * An iSpring Learn account as the mock holds it, and its tenant kind: the records (a department
 * tree, groups, users) in a Directory with their indexes, the API clients and the access tokens
 * issued to them. Generated records are made on first use, so start-up stays fast. The tenant
 * kind loads fixtures and serves the admin API's user changes.
 * https://ispringhelpdocs.com/display/ispringlearn/REST+API
 */
import { Compile } from 'typebox/compile'
import { REFERENCE_DATE } from '../../core/random.js'
import { FixtureProblem, schemaMessage, type BuildContext, type TenantKind } from '../../core/tenants.js'
import { checkFixture, checkUsersFor } from './checks.js'
import { Directory } from './directory.js'
import { DEFAULT_GENERATED_PASSWORD, generateRecords } from './generate.js'
import { ROLE_IDS, SCOPED_ROLES, type Role } from './permissions.js'
import {
  IspringTenantFileSchema, IspringUserFixtureSchema, IspringUserPatchSchema,
  type IspringDepartmentFixture, type IspringTenantFile, type IspringUserFixture, type Subordination, type UserState
} from './schemas.js'

type Path = Array<string | number>

export interface Department {
  id: string
  name: string
  code: string | undefined
  parentId: string | undefined
  subordination: Subordination
  coSubordination: Subordination
}

export interface Group { id: string, name: string, isSmart: boolean }

export interface IspringUser {
  userId: string
  login: string
  email: string
  password: string
  firstName: string
  lastName: string
  role: Role
  roleId: string
  departmentId: string
  state: UserState
  groups: string[]
  manageableDepartmentIds: string[]
  phone: string
  jobTitle: string
  country: string
  addedDate: string
  lastLoginDate: string
  workLeave: { reason: string, startDate: string, endDate: string | undefined } | undefined
  /** [USER_DEFINED_FIELDn, value] in n order. */
  userDefinedFields: Array<[string, string]>
  subordination: Subordination
  coSubordination: Subordination
  securityPolicyAcceptanceDate: string | undefined
  privacyPolicyConsentAcceptanceDate: string | undefined
  /** Made by `generate` (not listed one by one in the tenant's credentials). */
  generated: boolean
}

export interface AccessToken { userId: string, expiresAt: number }

export const REFERENCE_DAY = REFERENCE_DATE.toISOString().slice(0, 10)

/** `https://Demo.ispringlearn.com/` → `https://demo.ispringlearn.com` */
export function normalizeAccountUrl (url: string): string {
  return url.trim().toLowerCase().replace(/\/+$/, '')
}

const udfNumber = (name: string): number => Number(name.slice('USER_DEFINED_FIELD'.length))
const lower = (ids: readonly string[] | undefined): string[] => [...new Set((ids ?? []).map((id) => id.toLowerCase()))]
const lowerSubordination = (s: Subordination | undefined, fallback: Subordination['subordinationType']): Subordination =>
  s === undefined
    ? { subordinationType: fallback }
    : s.supervisorId === undefined ? { subordinationType: s.subordinationType } : { subordinationType: s.subordinationType, supervisorId: s.supervisorId.toLowerCase() }

export function departmentFromFixture (d: IspringDepartmentFixture): Department {
  return {
    id: d.id.toLowerCase(),
    name: d.name,
    code: d.code,
    parentId: d.parentId?.toLowerCase(),
    subordination: lowerSubordination(d.subordination, d.parentId === undefined ? 'no_supervisor' : 'inherit'),
    coSubordination: lowerSubordination(d.coSubordination, d.parentId === undefined ? 'no_supervisor' : 'inherit')
  }
}

/** A hand-written user with every default applied. */
export function userFromFixture (u: IspringUserFixture, defaultDay: string): IspringUser {
  const addedDate = u.addedDate ?? defaultDay
  return {
    userId: u.userId.toLowerCase(),
    login: u.login,
    email: u.email,
    password: u.password,
    firstName: u.firstName,
    lastName: u.lastName,
    role: u.role,
    roleId: u.role === 'custom' ? (u.roleId ?? ROLE_IDS.custom).toLowerCase() : ROLE_IDS[u.role],
    departmentId: u.departmentId.toLowerCase(),
    state: u.state ?? 'active',
    groups: lower(u.groups),
    manageableDepartmentIds: lower(u.manageableDepartmentIds),
    phone: u.phone ?? '',
    jobTitle: u.jobTitle ?? '',
    country: u.country ?? '',
    addedDate,
    lastLoginDate: u.lastLoginDate ?? addedDate,
    workLeave: u.workLeave === undefined ? undefined : { reason: u.workLeave.reason, startDate: u.workLeave.startDate, endDate: u.workLeave.endDate },
    userDefinedFields: Object.entries(u.userDefinedFields ?? {}).sort((a, b) => udfNumber(a[0]) - udfNumber(b[0])),
    subordination: lowerSubordination(u.subordination, 'inherit'),
    coSubordination: lowerSubordination(u.coSubordination, 'inherit'),
    securityPolicyAcceptanceDate: u.securityPolicyAcceptanceDate,
    privacyPolicyConsentAcceptanceDate: u.privacyPolicyConsentAcceptanceDate,
    generated: false
  }
}

/** The fixture form of a user (for PATCH: the patch is applied to this, then re-checked). */
export function userToFixture (u: IspringUser): IspringUserFixture {
  const fixture: IspringUserFixture = {
    userId: u.userId,
    login: u.login,
    email: u.email,
    password: u.password,
    firstName: u.firstName,
    lastName: u.lastName,
    role: u.role,
    departmentId: u.departmentId,
    state: u.state,
    groups: u.groups,
    manageableDepartmentIds: u.manageableDepartmentIds,
    phone: u.phone,
    jobTitle: u.jobTitle,
    country: u.country,
    addedDate: u.addedDate,
    lastLoginDate: u.lastLoginDate,
    userDefinedFields: Object.fromEntries(u.userDefinedFields),
    subordination: u.subordination,
    coSubordination: u.coSubordination
  }
  if (u.role === 'custom') fixture.roleId = u.roleId
  if (u.workLeave !== undefined) fixture.workLeave = { reason: u.workLeave.reason as never, startDate: u.workLeave.startDate, ...(u.workLeave.endDate === undefined ? {} : { endDate: u.workLeave.endDate }) }
  if (u.securityPolicyAcceptanceDate !== undefined) fixture.securityPolicyAcceptanceDate = u.securityPolicyAcceptanceDate
  if (u.privacyPolicyConsentAcceptanceDate !== undefined) fixture.privacyPolicyConsentAcceptanceDate = u.privacyPolicyConsentAcceptanceDate
  return fixture
}

export interface ApiClient { clientId: string, clientSecret: string, actsAs: string }

export class IspringAccount {
  readonly tenantId: string
  readonly name: string
  readonly accountUrl: string
  /** Lower-case client id → client. */
  readonly apiClients: Map<string, ApiClient>
  /** Issued access tokens, in issue order. */
  readonly tokens = new Map<string, AccessToken>()
  readonly customRoleIds: ReadonlySet<string>
  readonly #fixture: IspringTenantFile
  #directory: Directory | undefined

  constructor (fixture: IspringTenantFile) {
    this.#fixture = fixture
    this.tenantId = fixture.id
    this.name = fixture.name
    this.accountUrl = normalizeAccountUrl(fixture.accountUrl)
    this.apiClients = new Map((fixture.apiClients ?? []).map((c) => [c.clientId.toLowerCase(), { clientId: c.clientId, clientSecret: c.clientSecret, actsAs: c.actsAs.toLowerCase() }]))
    this.customRoleIds = new Set((fixture.customRoles ?? []).map((r) => r.roleId.toLowerCase()))
  }

  get userCount (): number {
    return this.#directory?.users.length ?? (this.#fixture.users?.length ?? 0) + (this.#fixture.generate?.users ?? 0)
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
      const f = this.#fixture
      const departments = (f.departments ?? []).map(departmentFromFixture)
      const groups = (f.groups ?? []).map((g) => ({ id: g.id.toLowerCase(), name: g.name, isSmart: g.isSmart === true }))
      const users = (f.users ?? []).map((u) => userFromFixture(u, REFERENCE_DAY))
      if (f.generate !== undefined) {
        generateRecords({ tenantId: f.id, tenantName: f.name, spec: f.generate, customRoleIds: [...this.customRoleIds], departments, groups, users })
      }
      this.#directory = new Directory(departments, groups, users)
    }
    return this.#directory
  }

  /** Every hand-written user (fixture and admin API), without generating the others. */
  handWrittenUsers (): Array<Pick<IspringUser, 'userId' | 'login' | 'email' | 'password' | 'role' | 'state'>> {
    if (this.#directory === undefined) return (this.#fixture.users ?? []).map((u) => userFromFixture(u, REFERENCE_DAY))
    return this.#directory.users.filter((u) => !u.generated)
  }

  /**
   * Records a new token and drops expired ones (issue order is expiry order). There is no cap on
   * live tokens: a token is never refused before its 1800 s are up, however many were issued
   * since; memory is bounded by the tokens issued within one lifetime.
   */
  addToken (token: string, entry: AccessToken, now: number): void {
    for (const [t, e] of this.tokens) {
      if (e.expiresAt > now) break
      this.tokens.delete(t)
    }
    this.tokens.set(token, entry)
  }
}

const checkUserSchema = Compile(IspringUserFixtureSchema)
const checkPatchSchema = Compile(IspringUserPatchSchema)

/** The first schema error as a FixtureProblem (paths relative to `prefix`), or undefined. */
function schemaProblem (errors: Iterable<{ instancePath: string, keyword: string, message: string, params: unknown }>, prefix: Path): FixtureProblem | undefined {
  const first = errors[Symbol.iterator]().next()
  if (first.done === true) return undefined
  return new FixtureProblem([...prefix, ...first.value.instancePath.split('/').slice(1)], schemaMessage(first.value))
}

const clockDay = (ctx: BuildContext): string => new Date(ctx.clock.now()).toISOString().slice(0, 10)

export const ispringTenantKind: TenantKind<IspringAccount> = {
  vendor: 'ispring',
  schema: IspringTenantFileSchema,
  userSchema: IspringUserFixtureSchema,
  build (fixture: unknown, _ctx: BuildContext): IspringAccount {
    const f = fixture as IspringTenantFile
    checkFixture(f)
    return new IspringAccount(f)
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
    checkUsersFor(account, [merged], [[]], position)
    const next = userFromFixture(merged, clockDay(ctx))
    next.generated = current.generated
    directory.replace(position, next)
    return true
  }
}
