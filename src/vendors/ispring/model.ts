/**
 * The records of an iSpring Learn account as the mock holds them (departments, groups, users:
 * normalized, lower-case ids, every default applied) and their conversion from and to the
 * fixture form of the tenant file and the admin API.
 * https://ispringhelpdocs.com/display/ispringlearn/REST+API
 */
import { ROLE_IDS, type Role } from './permissions.js'
import type { IspringDepartmentFixture, IspringUserFixture, Subordination, UserState } from './schemas.js'

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
  /** Days (YYYY-MM-DD) on which the mock clock deactivates the user or ends their employment. */
  scheduledDeactivationDate: string | undefined
  scheduledTerminationDate: string | undefined
  /** Made by `generate` (not listed one by one in the tenant's credentials). */
  generated: boolean
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

/** The fixture form of a department (for writes: changed, then re-checked with the whole tree). */
export function departmentToFixture (d: Department): IspringDepartmentFixture {
  return {
    id: d.id,
    name: d.name,
    ...(d.code === undefined ? {} : { code: d.code }),
    ...(d.parentId === undefined ? {} : { parentId: d.parentId }),
    subordination: d.subordination,
    coSubordination: d.coSubordination
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
    scheduledDeactivationDate: u.scheduledDeactivationDate,
    scheduledTerminationDate: u.scheduledTerminationDate,
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
  // The default custom role id is no role of the file's: it is what an absent roleId becomes.
  if (u.role === 'custom' && u.roleId !== ROLE_IDS.custom) fixture.roleId = u.roleId
  if (u.workLeave !== undefined) fixture.workLeave = { reason: u.workLeave.reason as never, startDate: u.workLeave.startDate, ...(u.workLeave.endDate === undefined ? {} : { endDate: u.workLeave.endDate }) }
  if (u.securityPolicyAcceptanceDate !== undefined) fixture.securityPolicyAcceptanceDate = u.securityPolicyAcceptanceDate
  if (u.privacyPolicyConsentAcceptanceDate !== undefined) fixture.privacyPolicyConsentAcceptanceDate = u.privacyPolicyConsentAcceptanceDate
  if (u.scheduledDeactivationDate !== undefined) fixture.scheduledDeactivationDate = u.scheduledDeactivationDate
  if (u.scheduledTerminationDate !== undefined) fixture.scheduledTerminationDate = u.scheduledTerminationDate
  return fixture
}
