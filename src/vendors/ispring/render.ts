/**
 * The API's view of directory records: key-ordered plain objects (the order of iSpring's doc
 * sample and OpenAPI `User` / `UserV2`), from which both the JSON and the XML forms are made,
 * so the two cannot disagree. v1 and v2 differ only in the status of "employment ended" users
 * (3 vs 5) and in the name of the privacy-consent date. Each record's serialized forms are
 * built once and kept as bytes (core FragmentCache): pages are Buffer.concat of these.
 * https://ispringhelpdocs.com/display/ispringlearn/Getting+User+Info
 */
import { FragmentCache } from '../../core/fragments.js'
import type { Department, Group, IspringUser } from './model.js'
import { serialize, type Format } from './format.js'

export type ApiVersion = 1 | 2

/** `status`: 1 active, 3 inactive; employment ended is 3 on v1 endpoints and 5 on v2. */
export function statusCode (state: IspringUser['state'], version: ApiVersion): number {
  if (state === 'active') return 1
  if (state === 'inactive') return 3
  return version === 1 ? 3 : 5
}

export function userProfile (u: IspringUser, version: ApiVersion): Record<string, unknown> {
  const fields = [
    { name: 'LOGIN', value: u.login },
    { name: 'EMAIL', value: u.email },
    { name: 'FIRST_NAME', value: u.firstName },
    { name: 'LAST_NAME', value: u.lastName },
    { name: 'PHONE', value: u.phone },
    { name: 'JOB_TITLE', value: u.jobTitle },
    { name: 'COUNTRY', value: u.country },
    ...u.userDefinedFields.map(([name, value]) => ({ name, value }))
  ]
  const manages = u.manageableDepartmentIds.length > 0
  const profile: Record<string, unknown> = {
    userId: u.userId,
    role: u.role,
    roleId: u.roleId,
    departmentId: u.departmentId,
    status: statusCode(u.state, version),
    fields,
    addedDate: u.addedDate,
    lastLoginDate: u.lastLoginDate,
    manageableDepartmentIds: manages ? u.manageableDepartmentIds : undefined,
    userRoles: [{ roleId: u.roleId, roleType: u.role, manageableDepartmentIds: manages ? u.manageableDepartmentIds : undefined }],
    groups: u.groups.length > 0 ? u.groups : undefined,
    subordination: u.subordination,
    coSubordination: u.coSubordination,
    workLeaveStatus: u.workLeave === undefined
      ? undefined
      : { workLeaveReason: u.workLeave.reason, startDate: u.workLeave.startDate, endDate: u.workLeave.endDate },
    securityPolicyAcceptanceDate: u.securityPolicyAcceptanceDate
  }
  profile[version === 1 ? 'personalDataConsentAcceptanceDate' : 'privacyPolicyConsentAcceptanceDate'] = u.privacyPolicyConsentAcceptanceDate
  return profile
}

export function departmentObject (d: Department): Record<string, unknown> {
  return {
    departmentId: d.id,
    name: d.name,
    parentDepartmentId: d.parentId,
    code: d.code,
    subordination: d.subordination,
    coSubordination: d.coSubordination
  }
}

export function groupObject (g: Group): Record<string, unknown> {
  return { groupId: g.id, name: g.name, isSmart: g.isSmart }
}

/** A group with its members; `withIds` false gives the count only (what an author receives). */
export function detailedGroupObject (g: Group, userIds: readonly string[], withIds = true): Record<string, unknown> {
  // The "Getting Group Info" sample's order: the members first, then the group's own fields.
  return withIds ? { usersCount: userIds.length, userIds, ...groupObject(g) } : { usersCount: userIds.length, ...groupObject(g) }
}

const FORMATS: readonly Format[] = ['json', 'xml']

/** Variants: v1 JSON, v1 XML, v2 JSON, v2 XML. */
const userFragments = new FragmentCache<IspringUser>(4, (u, variant) =>
  Buffer.from(serialize(FORMATS[variant % 2] as Format, 'userProfile', userProfile(u, variant < 2 ? 1 : 2))))
const departmentFragments = new FragmentCache<Department>(2, (d, variant) =>
  Buffer.from(serialize(FORMATS[variant] as Format, 'department', departmentObject(d))))
const groupFragments = new FragmentCache<Group>(2, (g, variant) =>
  Buffer.from(serialize(FORMATS[variant] as Format, 'group', groupObject(g))))

export function userFragment (u: IspringUser, version: ApiVersion, format: Format): Buffer {
  return userFragments.get(u, (version - 1) * 2 + FORMATS.indexOf(format))
}

export function departmentFragment (d: Department, format: Format): Buffer {
  return departmentFragments.get(d, FORMATS.indexOf(format))
}

export function groupFragment (g: Group, format: Format): Buffer {
  return groupFragments.get(g, FORMATS.indexOf(format))
}
