/**
 * Generated iSpring records (`"generate": {...}` in a fixture): a department tree under the
 * root, groups, and users with a realistic role mix (a few administrators, department
 * administrators and publishers managing subtrees, authors, mostly learners), ~10% inactive, ~5%
 * employment ended, ~3% on leave. Seeded and dated from core's fixed reference date, so the same
 * file gives the same account on any machine, any day; per-user work uses the seeded integer
 * source directly (5,000 users in a few milliseconds).
 */
import { namePools, REFERENCE_DATE, seededRandom, type SeededRandom } from '../../core/random.js'
import type { Steps } from '../../core/steps.js'
import type { Department, Group, IspringUser } from './model.js'
import { ROLE_IDS, type Role } from './permissions.js'
import { WORK_LEAVE_REASONS, type IspringTenantFile } from './schemas.js'

export const DEFAULT_GENERATED_PASSWORD = 'user-pass'
export const DEFAULT_MAX_DEPTH = 4

const AREAS = ['Sales', 'Marketing', 'Engineering', 'Finance', 'Human Resources', 'Legal', 'Customer Support', 'Operations',
  'IT', 'Research', 'Procurement', 'Logistics', 'Quality', 'Facilities', 'Product', 'Training']
const SUB_AREAS = ['North', 'South', 'East', 'West', 'EMEA', 'APAC', 'Americas', 'Enterprise', 'SMB', 'Platform', 'Field',
  'Inside', 'Partners', 'Services', 'Analytics', 'Projects']
const GROUP_NAMES = ['New Hires', 'Managers', 'Interns', 'Mentors', 'Remote Workers', 'Team Leads', 'Safety Officers',
  'First Aiders', 'Compliance Champions', 'Sales Academy', 'Leadership Program', 'Product Experts', 'Onboarding Buddies',
  'Volunteers', 'Language Club', 'Certified Trainers']
const JOB_TITLES = ['Account Executive', 'Sales Manager', 'Software Engineer', 'Senior Software Engineer', 'QA Engineer',
  'Product Manager', 'Designer', 'Accountant', 'Financial Analyst', 'HR Specialist', 'Recruiter', 'Legal Counsel',
  'Support Specialist', 'Operations Manager', 'Data Analyst', 'Marketing Specialist', 'Team Lead', 'Trainer',
  'Office Manager', 'Buyer', 'Logistics Coordinator', 'Quality Inspector']
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'IN', 'CA', 'AU']

type GenerateSpec = NonNullable<IspringTenantFile['generate']>

export interface GenerateInput {
  tenantId: string
  tenantName: string
  spec: GenerateSpec
  customRoleIds: readonly string[]
  /** Hand-written records; generated ones are appended. */
  departments: Department[]
  groups: Group[]
  users: IspringUser[]
}

const DAY_MS = 86_400_000
const days = new Map<number, string>()
/** The day `offsetDays` from the reference date, YYYY-MM-DD (memoized: generation asks for the same few thousand). */
function dayFrom (offsetDays: number): string {
  let day = days.get(offsetDays)
  if (day === undefined) {
    day = new Date(REFERENCE_DATE.getTime() + offsetDays * DAY_MS).toISOString().slice(0, 10)
    days.set(offsetDays, day)
  }
  return day
}
const ascii = (s: string): string => s.toLowerCase().replace(/[^a-z]/g, '')
const codeOf = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9]+/g, '-').replace(/^-|-$/g, '')

function unique (taken: Set<string>, base: string, separator: string): string {
  let candidate = base
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${base}${separator}${n}`
  taken.add(candidate.toLowerCase())
  return candidate
}

function freshUuid (rnd: SeededRandom, taken: Set<string>): string {
  let id = rnd.uuid()
  while (taken.has(id)) id = rnd.uuid()
  taken.add(id)
  return id
}

function generateDepartments (rnd: SeededRandom, input: GenerateInput, ids: Set<string>): void {
  const { departments, spec } = input
  if (departments.length === 0 && ((spec.departments ?? 0) > 0 || spec.users > 0)) {
    departments.push({ id: freshUuid(rnd, ids), name: input.tenantName, code: 'ROOT', parentId: undefined, subordination: { subordinationType: 'no_supervisor' }, coSubordination: { subordinationType: 'no_supervisor' } })
  }
  const byId = new Map(departments.map((d) => [d.id, d]))
  const depth = new Map<string, number>()
  const depthOf = (d: Department): number => {
    let known = depth.get(d.id)
    if (known === undefined) {
      const parent = d.parentId === undefined ? undefined : byId.get(d.parentId)
      known = parent === undefined ? 1 : depthOf(parent) + 1
      depth.set(d.id, known)
    }
    return known
  }
  const maxDepth = spec.maxDepth ?? DEFAULT_MAX_DEPTH
  const names = new Set(departments.map((d) => d.name.toLowerCase()))
  const codes = new Set(departments.flatMap((d) => d.code === undefined ? [] : [d.code.toLowerCase()]))
  const parents = departments.filter((d) => depthOf(d) < maxDepth)
  const areas = AREAS.filter((a) => !names.has(a.toLowerCase()))
  for (let k = 0; k < (spec.departments ?? 0) && parents.length > 0; k++) {
    const parent = rnd.pick(parents)
    const isTop = parent.parentId === undefined
    const base = isTop
      ? (areas.length > 0 ? areas.splice(rnd.int(areas.length - 1), 1)[0] as string : rnd.pick(AREAS))
      : `${parent.name} ${rnd.pick(SUB_AREAS)}`
    const name = unique(names, base, ' ')
    const department: Department = {
      id: freshUuid(rnd, ids),
      name,
      code: unique(codes, codeOf(name), '-'),
      parentId: parent.id,
      subordination: { subordinationType: 'inherit' },
      coSubordination: { subordinationType: 'inherit' }
    }
    departments.push(department)
    byId.set(department.id, department)
    if (depthOf(department) < maxDepth) parents.push(department)
  }
}

function generateGroups (rnd: SeededRandom, input: GenerateInput, ids: Set<string>): void {
  const names = new Set(input.groups.map((g) => g.name.toLowerCase()))
  const pool = GROUP_NAMES.filter((n) => !names.has(n.toLowerCase()))
  for (let k = 0; k < (input.spec.groups ?? 0); k++) {
    const base = pool.length > 0 ? pool.splice(rnd.int(pool.length - 1), 1)[0] as string : `Group ${k + 1}`
    input.groups.push({ id: freshUuid(rnd, ids), name: unique(names, base, ' '), isSmart: rnd.chance(0.25) })
  }
}

/** About 0.06% administrators, 0.2% department administrators, 0.1% publishers, 0.05% custom, 2% authors. */
function pickRole (rnd: SeededRandom): Role {
  const r = rnd.int(9999)
  if (r < 6) return 'administrator'
  if (r < 26) return 'department_administrator'
  if (r < 36) return 'publisher'
  if (r < 41) return 'custom'
  if (r < 241) return 'author'
  return 'learner'
}

/** Generated users between two turns of the event loop when made in slices (core/steps.ts). */
const GENERATE_STEP = 1000

/** Appends the generated departments, groups and users to the hand-written ones, yielding every GENERATE_STEP users. */
export function * generateRecords (input: GenerateInput): Steps<void> {
  const { spec, users } = input
  const rnd = seededRandom(spec.seed)
  const ids = new Set<string>([...input.departments.map((d) => d.id), ...input.groups.map((g) => g.id), ...users.map((u) => u.userId)])
  generateDepartments(rnd, input, ids)
  generateGroups(rnd, input, ids)
  if (spec.users === 0) return

  const { first, last } = namePools(rnd.faker)
  const departmentIds = input.departments.map((d) => d.id)
  const managedPool = input.departments.filter((d) => d.parentId !== undefined).map((d) => d.id)
  const manageable = managedPool.length > 0 ? managedPool : departmentIds
  const groupIds = input.groups.map((g) => g.id)
  const logins = new Set(users.map((u) => u.login.toLowerCase()))
  const emails = new Set(users.map((u) => u.email.toLowerCase()))
  const domain = spec.emailDomain ?? `${input.tenantId}.test`
  const password = spec.password ?? DEFAULT_GENERATED_PASSWORD
  const customRoleIds = input.customRoleIds.length > 0 ? input.customRoleIds : [ROLE_IDS.custom]
  const firstGenerated = users.length

  for (let i = 0; i < spec.users; i++) {
    if (i % GENERATE_STEP === GENERATE_STEP - 1) yield
    const firstName = rnd.pick(first)
    const lastName = rnd.pick(last)
    let login = unique(logins, `${ascii(firstName) || 'user'}.${ascii(lastName) || 'name'}`, '')
    while (emails.has(`${login}@${domain}`.toLowerCase())) login = unique(logins, login, '')
    const email = `${login}@${domain}`
    emails.add(email.toLowerCase())
    const role = pickRole(rnd)
    const managed = role === 'department_administrator' || role === 'publisher' || role === 'custom'
      ? [...new Set([rnd.pick(manageable), ...(rnd.chance(0.3) ? [rnd.pick(manageable)] : [])])]
      : []
    const s = rnd.int(99)
    const state = s < 10 ? 'inactive' : s < 15 ? 'employment_ended' : 'active'
    const g = groupIds.length === 0 ? 0 : rnd.int(9)
    const groups = g < 5 ? [] : g < 8 ? [rnd.pick(groupIds)] : [...new Set([rnd.pick(groupIds), rnd.pick(groupIds)])]
    const addedBack = rnd.int(1500)
    const lastBack = rnd.int(addedBack)
    const lastLoginDate = dayFrom(-lastBack)
    const onLeave = state === 'active' && rnd.chance(0.035)
    const leaveStart = onLeave ? rnd.int(120) - 60 : 0
    const supervised = i > 0 && rnd.chance(0.1)
    /** Bit 0: accepted the security policy, bit 1: the privacy policy (about half each). */
    const consents = rnd.int(3)
    users.push({
      userId: freshUuid(rnd, ids),
      login,
      email,
      password,
      firstName,
      lastName,
      role,
      roleId: role === 'custom' ? rnd.pick(customRoleIds) : ROLE_IDS[role],
      departmentId: rnd.pick(departmentIds),
      state,
      groups,
      manageableDepartmentIds: managed,
      phone: rnd.chance(0.7) ? `+1${2_000_000_000 + rnd.int(7_999_999_999)}` : '',
      jobTitle: rnd.pick(JOB_TITLES),
      country: rnd.pick(COUNTRIES),
      addedDate: dayFrom(-addedBack),
      lastLoginDate,
      workLeave: onLeave
        ? { reason: rnd.pick(WORK_LEAVE_REASONS), startDate: dayFrom(leaveStart), endDate: dayFrom(leaveStart + 1 + rnd.int(60)) }
        : undefined,
      userDefinedFields: [['USER_DEFINED_FIELD1', `E${100_000 + i}`]],
      subordination: supervised
        ? { subordinationType: 'manual', supervisorId: (users[firstGenerated + rnd.int(i - 1)] as IspringUser).userId }
        : { subordinationType: 'inherit' },
      coSubordination: { subordinationType: 'inherit' },
      securityPolicyAcceptanceDate: (consents & 1) === 1 ? lastLoginDate : undefined,
      privacyPolicyConsentAcceptanceDate: (consents & 2) === 2 ? lastLoginDate : undefined,
      scheduledDeactivationDate: undefined,
      scheduledTerminationDate: undefined,
      generated: true
    })
  }
}
