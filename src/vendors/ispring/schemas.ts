/**
 * TypeBox schemas of the iSpring module: the tenant fixture file (validated at load and by the
 * admin API) and the documented request and response shapes (they feed the OpenAPI document; the
 * bodies themselves are assembled from cached fragments, in XML or JSON).
 * https://ispringhelpdocs.com/display/ispringlearn/REST+API
 */
import { Type, type Static } from 'typebox'
import { ROLES } from './permissions.js'

export const UUID_PATTERN = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$'
export const DATE_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'

const Uuid = (description?: string) => Type.String({ pattern: UUID_PATTERN, ...(description === undefined ? {} : { description }) })
const Day = (description?: string) => Type.String({ pattern: DATE_PATTERN, ...(description === undefined ? {} : { description }) })
const Literals = <T extends string[]>(values: readonly [...T], description?: string) =>
  Type.Enum<T>(values, description === undefined ? {} : { description })

export const USER_STATES = ['active', 'inactive', 'employment_ended'] as const
export type UserState = typeof USER_STATES[number]

export const WORK_LEAVE_REASONS = ['OutOfTheOffice', 'OnVacation', 'PersonalLeave', 'BusinessTrip', 'SickLeave', 'ParentalLeave', 'EducationalLeave'] as const
export const SUBORDINATION_TYPES = ['manual', 'inherit', 'no_supervisor'] as const

export const SubordinationSchema = Type.Object({
  subordinationType: Literals(SUBORDINATION_TYPES),
  supervisorId: Type.Optional(Uuid('The supervising user, with subordinationType "manual" only'))
}, { additionalProperties: false })
export type Subordination = Static<typeof SubordinationSchema>

// ---- fixture file -------------------------------------------------------------------------

export const IspringDepartmentFixtureSchema = Type.Object({
  id: Uuid(),
  name: Type.String({ minLength: 1 }),
  code: Type.Optional(Type.String()),
  parentId: Type.Optional(Uuid('Absent on the one root department')),
  subordination: Type.Optional(SubordinationSchema),
  coSubordination: Type.Optional(SubordinationSchema)
}, { additionalProperties: false })
export type IspringDepartmentFixture = Static<typeof IspringDepartmentFixtureSchema>

export const IspringGroupFixtureSchema = Type.Object({
  id: Uuid(),
  name: Type.String({ minLength: 1 }),
  isSmart: Type.Optional(Type.Boolean())
}, { additionalProperties: false })
export type IspringGroupFixture = Static<typeof IspringGroupFixtureSchema>

const userFixtureProperties = {
  userId: Uuid(),
  login: Type.String({ minLength: 1, description: 'LOGIN field; X-Auth-Email accepts it or the email' }),
  email: Type.String({ minLength: 1 }),
  password: Type.String({ minLength: 1, description: 'X-Auth-Password (plain text: this is a sandbox)' }),
  firstName: Type.String(),
  lastName: Type.String(),
  role: Literals(ROLES),
  roleId: Type.Optional(Uuid('Only for role "custom": one of the file\'s customRoles (built-in roles have fixed ids)')),
  departmentId: Uuid(),
  state: Type.Optional(Literals(USER_STATES, 'Default "active"')),
  groups: Type.Optional(Type.Array(Uuid())),
  manageableDepartmentIds: Type.Optional(Type.Array(Uuid(), { description: 'For department_administrator, publisher and custom roles' })),
  phone: Type.Optional(Type.String()),
  jobTitle: Type.Optional(Type.String()),
  country: Type.Optional(Type.String()),
  addedDate: Type.Optional(Day('YYYY-MM-DD; default: the reference date 2026-01-01 in files, the mock clock\'s day for users added at run time')),
  lastLoginDate: Type.Optional(Day('YYYY-MM-DD; default: addedDate')),
  workLeave: Type.Optional(Type.Object({
    reason: Literals(WORK_LEAVE_REASONS),
    startDate: Day(),
    endDate: Type.Optional(Day())
  }, { additionalProperties: false })),
  userDefinedFields: Type.Optional(Type.Record(Type.String({ pattern: '^USER_DEFINED_FIELD[1-9][0-9]{0,2}$' }), Type.String(), { additionalProperties: false })),
  subordination: Type.Optional(SubordinationSchema),
  coSubordination: Type.Optional(SubordinationSchema),
  securityPolicyAcceptanceDate: Type.Optional(Day()),
  privacyPolicyConsentAcceptanceDate: Type.Optional(Day('Shown as personalDataConsentAcceptanceDate on v1 endpoints')),
  scheduledDeactivationDate: Type.Optional(Day('The user becomes inactive on this day (UTC) of the mock clock')),
  scheduledTerminationDate: Type.Optional(Day('The user\'s employment ends on this day (UTC) of the mock clock'))
}

/** One hand-written user, in a fixture file or an admin API request. */
export const IspringUserFixtureSchema = Type.Object(userFixtureProperties, { additionalProperties: false })
export type IspringUserFixture = Static<typeof IspringUserFixtureSchema>

/** Admin PATCH body: any user field but userId. */
export const IspringUserPatchSchema = Type.Partial(Type.Omit(IspringUserFixtureSchema, ['userId']), { additionalProperties: false })
export type IspringUserPatch = Static<typeof IspringUserPatchSchema>

export const IspringTenantFileSchema = Type.Object({
  $schema: Type.Optional(Type.String()),
  vendor: Type.Literal('ispring'),
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'Tenant id (lower-case letters, digits, dashes)' }),
  name: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  accountUrl: Type.String({ pattern: '^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$', description: 'X-Auth-Account-Url, e.g. https://demo.ispringlearn.com' }),
  departments: Type.Optional(Type.Array(IspringDepartmentFixtureSchema)),
  groups: Type.Optional(Type.Array(IspringGroupFixtureSchema)),
  customRoles: Type.Optional(Type.Array(Type.Object({
    roleId: Uuid(),
    title: Type.String({ minLength: 1 })
  }, { additionalProperties: false }))),
  users: Type.Optional(Type.Array(IspringUserFixtureSchema)),
  apiClients: Type.Optional(Type.Array(Type.Object({
    clientId: Type.String({ minLength: 1 }),
    clientSecret: Type.String({ minLength: 1 }),
    actsAs: Uuid('userId of a hand-written user: the token carries that user\'s role and scope')
  }, { additionalProperties: false }))),
  generate: Type.Optional(Type.Object({
    seed: Type.Integer(),
    users: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    departments: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'Generated departments under the hand-written root (default 0)' })),
    maxDepth: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: 'Levels of the department tree, the root being level 1 (default 4)' })),
    groups: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'Generated groups (default 0)' })),
    password: Type.Optional(Type.String({ minLength: 1, description: 'X-Auth-Password of every generated user (default "user-pass")' })),
    emailDomain: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.-]+$', description: 'Default: "<tenant id>.test"' }))
  }, { additionalProperties: false }))
}, { additionalProperties: false })
export type IspringTenantFile = Static<typeof IspringTenantFileSchema>

// ---- API shapes ---------------------------------------------------------------------------

export const ErrorResponseSchema = Type.Object({
  code: Type.Integer({ description: 'The HTTP status' }),
  message: Type.String({ description: '"Bad Request: <what is wrong>", "Unauthorized", "Permission Denied", "Not Found", ...' })
}, { description: 'In XML: <response><code/><message/></response>' })

export const TokenResponseSchema = Type.Object({
  access_token: Type.String({ description: '43 characters of base64url' }),
  expires_in: Type.Integer({ description: 'Always 1800 (seconds, on the mock clock)' }),
  token_type: Type.Literal('bearer')
})

export const TokenRequestSchema = Type.Object({
  client_id: Type.String(),
  client_secret: Type.String(),
  grant_type: Type.Literal('client_credentials')
})

const IdList = Type.Array(Uuid(), { description: 'In XML: a list of <id>' })

const ProfileFieldSchema = Type.Object({
  name: Type.String({ description: 'LOGIN, EMAIL, FIRST_NAME, LAST_NAME, PHONE, JOB_TITLE, COUNTRY, USER_DEFINED_FIELDn' }),
  value: Type.String()
})

const userProperties = {
  userId: Uuid(),
  role: Literals(ROLES),
  roleId: Uuid(),
  departmentId: Uuid(),
  status: Type.Integer({ description: '1 active, 3 inactive (and employment ended on v1), 5 employment ended (v2)' }),
  fields: Type.Array(ProfileFieldSchema),
  addedDate: Day(),
  lastLoginDate: Day(),
  manageableDepartmentIds: Type.Optional(IdList),
  userRoles: Type.Array(Type.Object({
    roleId: Uuid(),
    roleType: Literals(ROLES),
    manageableDepartmentIds: Type.Optional(IdList)
  })),
  groups: Type.Optional(IdList),
  subordination: SubordinationSchema,
  coSubordination: SubordinationSchema,
  workLeaveStatus: Type.Optional(Type.Object({
    workLeaveReason: Literals(WORK_LEAVE_REASONS),
    startDate: Day(),
    endDate: Type.Optional(Day())
  })),
  securityPolicyAcceptanceDate: Type.Optional(Day())
}

export const UserProfileSchema = Type.Object({
  ...userProperties,
  personalDataConsentAcceptanceDate: Type.Optional(Day())
}, { description: 'In XML: <userProfile>, elements in this order' })

export const UserProfileV2Schema = Type.Object({
  ...userProperties,
  privacyPolicyConsentAcceptanceDate: Type.Optional(Day())
}, { description: 'In XML: <userProfile>, elements in this order' })

export const UsersPageSchema = Type.Object({
  userProfiles: Type.Array(UserProfileSchema),
  nextPageToken: Type.Optional(Type.String({ description: 'Absent on the last page' }))
}, { description: 'In XML: <response><userProfiles><userProfile/>...</userProfiles><nextPageToken/></response>' })

export const UsersPageV2Schema = Type.Object({
  userProfiles: Type.Array(UserProfileV2Schema),
  nextPageToken: Type.Optional(Type.String({ description: 'Absent on the last page' }))
}, { description: 'In XML: <response><userProfiles><userProfile/>...</userProfiles><nextPageToken/></response>' })

export const DepartmentSchema = Type.Object({
  departmentId: Uuid(),
  name: Type.String(),
  parentDepartmentId: Type.Optional(Uuid()),
  code: Type.Optional(Type.String()),
  subordination: SubordinationSchema,
  coSubordination: SubordinationSchema
}, { description: 'In XML: <department>' })

export const DepartmentsPageSchema = Type.Object({
  departments: Type.Array(DepartmentSchema),
  nextPageToken: Type.Optional(Type.String())
})

export const GroupSchema = Type.Object({
  groupId: Uuid(),
  name: Type.String(),
  isSmart: Type.Boolean()
}, { description: 'In XML: <group>' })

export const GroupsPageSchema = Type.Object({
  groups: Type.Array(GroupSchema),
  nextPageToken: Type.Optional(Type.String())
})

export const DetailedGroupSchema = Type.Object({
  groupId: Uuid(),
  name: Type.String(),
  isSmart: Type.Boolean(),
  usersCount: Type.Integer({ description: 'Members the caller may see' }),
  userIds: Type.Optional(IdList)
}, { description: 'In XML: <response><group>...</group></response>' })

/** A page's query: repeat array parameters with their brackets (`departments[]=a&departments[]=b`). */
export const PagingQuerySchema = {
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1000 })),
  pageToken: Type.Optional(Type.String({ description: 'nextPageToken of the previous page' }))
}

export const UsersQuerySchema = Type.Object({
  'departments[]': Type.Optional(Type.Array(Uuid(), { description: 'Users of these departments and their sub-departments' })),
  'groups[]': Type.Optional(Type.Array(Uuid())),
  'logins[]': Type.Optional(Type.Array(Type.String(), { description: 'Exact, case-insensitive' })),
  'emails[]': Type.Optional(Type.Array(Type.String(), { description: 'Exact, case-insensitive' })),
  'workLeaveStatus[workLeaveReason]': Type.Optional(Literals(WORK_LEAVE_REASONS, 'Users on this kind of leave')),
  'workLeaveStatus[startDate]': Type.Optional(Day('Users whose leave has not ended before this day')),
  'workLeaveStatus[endDate]': Type.Optional(Day('Users whose leave starts on or before this day')),
  ...PagingQuerySchema
}, { additionalProperties: false })

export const UsersV2QuerySchema = Type.Object({
  ...UsersQuerySchema.properties,
  'userIds[]': Type.Optional(Type.Array(Uuid()))
}, { additionalProperties: false })

export const PageQuerySchema = Type.Object(PagingQuerySchema, { additionalProperties: false })

/** A response documented in both formats (XML is the default; JSON with Accept: application/json). */
export function negotiated<T extends object> (schema: T, description: string) {
  return { description, content: { 'application/xml': { schema }, 'application/json': { schema } } }
}

export const ERRORS = {
  400: negotiated(ErrorResponseSchema, 'Bad Request: <what is wrong> (unknown parameter, malformed UUID, pageSize out of 1..1000, invalid pageToken)'),
  401: negotiated(ErrorResponseSchema, 'Unauthorized: no, wrong or expired credentials'),
  403: negotiated(ErrorResponseSchema, 'Permission Denied: learners, or a scoped role asking outside its departments'),
  404: negotiated(ErrorResponseSchema, 'Not Found')
} as const
