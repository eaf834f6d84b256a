/**
 * The provisioning calls a user-sync job makes: create, update (move, role, groups, fields),
 * delete, status (activate, deactivate, terminate; one user or a batch), password, work-leave
 * statuses, and `POST /user/list` (page-number paging). Bodies in JSON, XML or PHP-style forms
 * (body.ts). Every write is checked whole first (fields, references, uniqueness, the caller's
 * permissions), then made as one `ispring.directory.written` change, so a refused request changes
 * nothing and a batch changes all of its users or none.
 * https://ispringhelpdocs.com/display/ispringlearn/Adding+a+User
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { FixtureProblem } from '../../core/tenants.js'
import type { DirectoryWritten } from './account.js'
import { callerOf, type Caller } from './auth.js'
import { bodyOf, BodyProblem, flag, isDay, object, objects, registerWriteBodies, text, uuid, uuids, type Body } from './body.js'
import { checkUsersFor } from './checks.js'
import { quote, sendBadRequest, sendError } from './errors.js'
import { formatOf, responseBody, sendFormatted } from './format.js'
import { userToFixture, type IspringUser } from './model.js'
import { departmentInScope, ROLE_IDS, ROLES, SCOPED_ROLES, type Role } from './permissions.js'
import { isUuid, MAX_PAGE_SIZE } from './query.js'
import { userFragment } from './render.js'
import { ERRORS, WORK_LEAVE_REASONS, type IspringUserFixture, type UserState } from './schemas.js'
import { bodyFilters, FILTER_KINDS, filtersKey, matchUsers } from './users.js'
import { xmlList } from './xml.js'

/** Roles that may write: the owner and administrators everywhere, department administrators and custom roles in their scope. */
const WRITERS: ReadonlySet<Role> = new Set(['owner', 'administrator', 'department_administrator', 'custom'])
/** Roles a write may give (the owner is made with the account, never by the API). */
const ASSIGNABLE = ROLES.filter((r) => r !== 'owner')
/** `status` of the status call and the v2 listings: 1 active, 3 inactive, 5 employment ended. */
const STATES: Record<string, UserState> = { 1: 'active', 3: 'inactive', 5: 'employment_ended' }

/** Profile fields as written (lower-case, as the vendor's samples send them) → the record's field. */
const PROFILE_FIELDS = {
  login: 'login',
  email: 'email',
  first_name: 'firstName',
  last_name: 'lastName',
  phone: 'phone',
  job_title: 'jobTitle',
  country: 'country'
} as const
const USER_DEFINED = /^user_defined_field([1-9][0-9]{0,2})$/

/** A refusal found while checking a write: the status and, for 400, what is wrong. */
export class Refused extends Error {
  constructor (readonly status: 400 | 403 | 404, what = '') { super(what) }
}
export const badRequest = (what: string): Refused => new Refused(400, what)
export const forbidden = (): Refused => new Refused(403)

export const pathUuid = (request: FastifyRequest, name: string): string => {
  const value = (request.params as Record<string, string | undefined>)[name] ?? ''
  if (!isUuid(value)) throw badRequest(`${name} must be a UUID, got ${quote(value)}`)
  return value.toLowerCase()
}

const today = (request: FastifyRequest): string => new Date(request.server.mock.clock.now()).toISOString().slice(0, 10)

/** The caller may write at all (403 otherwise). */
export function writer (request: FastifyRequest): Caller {
  const caller = callerOf(request)
  if (!WRITERS.has(caller.user.role)) throw forbidden()
  return caller
}

/** The user at `userId` the caller may change: 404 unknown, 403 out of scope or above the caller. */
function target (caller: Caller, userId: string): IspringUser {
  const position = caller.directory.positionOf(userId)
  if (position === undefined) throw new Refused(404)
  const user = caller.directory.users[position] as IspringUser
  mayChange(caller, user)
  return user
}

/** Roles that read the whole directory: a scoped caller neither gives them nor changes their holders. */
const UNSCOPED_READERS: ReadonlySet<Role> = new Set(['owner', 'administrator', 'author'])

/**
 * Only the owner changes the owner. A scoped caller changes only users whose reach stays inside
 * its own: in its departments, not reading the whole directory (owner, administrators, authors),
 * and managing only departments it manages too; otherwise a password reset would lend it more.
 */
export function mayChange (caller: Caller, user: IspringUser): void {
  if (user.role === 'owner' && caller.user.role !== 'owner') throw forbidden()
  if (caller.scope.all) return
  if (UNSCOPED_READERS.has(user.role) || !departmentInScope(caller.scope, user.departmentId)) throw forbidden()
  if (user.manageableDepartmentIds.some((d) => !departmentInScope(caller.scope, d))) throw forbidden()
}

export function department (caller: Caller, id: string, path: string): string {
  if (caller.directory.department(id) === undefined) throw badRequest(`${path}: no department has id ${quote(id)}`)
  if (!departmentInScope(caller.scope, id)) throw forbidden()
  return id
}

/** The role fields of a create or update, or undefined when neither `role` nor `roleId` is sent. */
function roleOf (caller: Caller, body: Body): { role: Role, roleId: string | undefined } | undefined {
  const role = text(body, 'role')
  const roleId = uuid(body, 'roleId')
  if (role === undefined && roleId === undefined) return undefined
  let chosen: Role
  if (role !== undefined) {
    if (!(ASSIGNABLE as readonly string[]).includes(role)) throw badRequest(`role must be one of ${ASSIGNABLE.join(', ')}, got ${quote(role)}`)
    chosen = role as Role
  } else {
    const builtIn = ASSIGNABLE.find((r) => r !== 'custom' && ROLE_IDS[r] === roleId)
    chosen = builtIn ?? 'custom'
  }
  if (chosen === 'custom') {
    if (roleId !== undefined && !caller.account.customRoleIds.has(roleId)) throw badRequest(`roleId: no role has id ${quote(roleId)}`)
  } else if (roleId !== undefined && roleId !== ROLE_IDS[chosen]) {
    throw badRequest(`roleId ${quote(roleId)} is not the id of the ${chosen} role`)
  }
  if (!caller.scope.all && UNSCOPED_READERS.has(chosen)) throw forbidden()
  return { role: chosen, roleId: chosen === 'custom' ? roleId : undefined }
}

/** Applies the `fields` object (lower-case names; upper-case accepted) to `user`. */
function applyFields (fields: Body, user: IspringUserFixture): void {
  const defined = new Map(Object.entries(user.userDefinedFields ?? {}))
  for (const name of Object.keys(fields)) {
    const key = name.toLowerCase()
    const value = text(fields, name, `fields.${name}`) ?? ''
    const known = Object.hasOwn(PROFILE_FIELDS, key) ? PROFILE_FIELDS[key as keyof typeof PROFILE_FIELDS] : undefined
    const udf = USER_DEFINED.exec(key)
    if (known !== undefined) {
      if ((known === 'login' || known === 'email') && value.trim() === '') throw badRequest(`fields.${name} must not be empty`)
      user[known] = value
    } else if (udf !== null) {
      defined.set(`USER_DEFINED_FIELD${udf[1] as string}`, value)
    } else {
      throw badRequest(`unknown profile field ${quote(name)}`)
    }
  }
  user.userDefinedFields = Object.fromEntries(defined)
}

/** Groups named by `groupIds`, each checked. */
/** Groups named by `groupIds`, each checked; a smart group's members follow its rules, so none joins or leaves it here. */
function groups (caller: Caller, ids: string[], current: readonly string[] = []): string[] {
  for (const id of ids) {
    const group = caller.directory.group(id)
    if (group === undefined) throw badRequest(`groupIds: no group has id ${quote(id)}`)
    if (group.isSmart && !current.includes(id)) throw badRequest(`groupIds: ${quote(id)} is a smart group, whose members follow its rules`)
  }
  for (const id of current) if (caller.directory.group(id)?.isSmart === true && !ids.includes(id)) throw badRequest(`groupIds: ${quote(id)} is a smart group, whose members follow its rules`)
  return ids
}

function managed (caller: Caller, role: Role, ids: string[] | undefined): string[] {
  if (ids === undefined || ids.length === 0) return []
  if (!SCOPED_ROLES.has(role)) throw badRequest(`manageableDepartmentIds are only for department_administrator, publisher and custom roles, not ${role}`)
  return ids.map((id) => department(caller, id, 'manageableDepartmentIds'))
}

/** Login and e-mail free in the account (case-insensitive), but for `self`. */
function unique (caller: Caller, user: IspringUserFixture, self: string | undefined): void {
  const loginAt = caller.directory.positionOfLogin(user.login)
  if (loginAt !== undefined && caller.directory.users[loginAt]?.userId !== self) throw badRequest(`fields.login ${quote(user.login)} is already taken by another user`)
  const emailAt = caller.directory.positionOfEmail(user.email)
  if (emailAt !== undefined && caller.directory.users[emailAt]?.userId !== self) throw badRequest(`fields.email ${quote(user.email)} is already taken by another user`)
}

/** Submits one users-written change after the account's own checks (the change path repeats them). */
export type Structure = Partial<Pick<DirectoryWritten, 'departments' | 'deletedDepartments' | 'groups' | 'deletedGroups'>>

export async function write (request: FastifyRequest, caller: Caller, users: IspringUserFixture[], deleted: string[] = [], structure: Structure = {}): Promise<void> {
  const skip = new Set<number>()
  for (const u of users) { const p = caller.directory.positionOf(u.userId); if (p !== undefined) skip.add(p) }
  for (const id of deleted) { const p = caller.directory.positionOf(id); if (p !== undefined) skip.add(p) }
  try {
    // Users that name a department or group made in the same change are checked when it is applied.
    if (structure.departments === undefined && structure.groups === undefined) checkUsersFor(caller.account, users, users.map(() => []), skip)
  } catch (err) {
    if (err instanceof FixtureProblem) throw badRequest(`${err.path.join('.')}: ${err.message}`)
    throw err
  }
  const change: DirectoryWritten & { vendor: string, tenant: string, at: number } = {
    kind: 'ispring.directory.written', vendor: 'ispring', tenant: caller.tenant.id, at: request.server.mock.changes.now(), users, deleted, ...structure
  }
  await request.server.mock.changes.submit(change)
}

/** Runs a write handler: a Refused or BodyProblem becomes the vendor's error. */
export const handle = (run: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) =>
  async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      return await run(request, reply)
    } catch (err) {
      if (err instanceof BodyProblem) return sendBadRequest(request, reply, err.message)
      if (err instanceof Refused) return err.status === 400 ? sendBadRequest(request, reply, err.message) : sendError(request, reply, err.status)
      throw err
    }
  }

/** 200 with no body, as the vendor's update calls answer. */
export const done = (reply: FastifyReply): FastifyReply => reply.code(200).send()

/** The users named by `userIds` (body), each one the caller may change; 400 for none or an unknown id. */
export function named (caller: Caller, body: Body): IspringUser[] {
  const ids = uuids(body, 'userIds')
  if (ids === undefined || ids.length === 0) throw badRequest('userIds is required')
  return ids.map((id) => {
    const position = caller.directory.positionOf(id)
    if (position === undefined) throw badRequest(`userIds: no user has id ${quote(id)}`)
    const user = caller.directory.users[position] as IspringUser
    mayChange(caller, user)
    return user
  })
}

function withState (user: IspringUser, state: UserState): IspringUserFixture {
  return { ...userToFixture(user), state }
}

export function registerWriteRoutes (app: FastifyInstance, hide: boolean): void {
  registerWriteBodies(app)
  const consumes = ['application/json', 'application/xml', 'application/x-www-form-urlencoded']
  const answers = { 400: ERRORS[400], 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404] }

  app.post('/user', {
    schema: {
      summary: 'Add a user',
      description: 'Body (JSON, XML <request> or form): departmentId and fields.login, fields.email required; fields (first_name, last_name, phone, job_title, country, user_defined_fieldN), password, role or roleId, manageableDepartmentIds, groupIds, sendLoginEmail (accepted; no e-mail is sent). 201 with the new user id.',
      hide,
      consumes,
      response: { 201: { description: 'The new user id: JSON "<id>", XML <response><id></response>', type: 'string' }, ...answers }
    }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const body = bodyOf(request)
    const fields = object(body, 'fields')
    if (fields === undefined) throw badRequest('fields is required')
    const departmentId = uuid(body, 'departmentId')
    if (departmentId === undefined) throw badRequest('departmentId is required')
    const role = roleOf(caller, body) ?? { role: 'learner' as Role, roleId: undefined }
    const day = today(request)
    const user: IspringUserFixture = {
      userId: randomUUID(),
      login: '',
      email: '',
      // Without a password the user cannot sign in with X-Auth headers until one is set.
      password: text(body, 'password') ?? randomBytes(18).toString('base64url'),
      firstName: '',
      lastName: '',
      role: role.role,
      ...(role.roleId === undefined ? {} : { roleId: role.roleId }),
      departmentId: department(caller, departmentId, 'departmentId'),
      state: 'active',
      groups: groups(caller, uuids(body, 'groupIds') ?? []),
      manageableDepartmentIds: managed(caller, role.role, uuids(body, 'manageableDepartmentIds')),
      addedDate: day,
      lastLoginDate: day
    }
    if (user.password === '') throw badRequest('password must not be empty')
    applyFields(fields, user)
    if (user.login === '') throw badRequest('fields.login is required')
    if (user.email === '') throw badRequest('fields.email is required')
    flag(body, 'sendLoginEmail')
    flag(body, 'sendLoginSMS')
    unique(caller, user, undefined)
    await write(request, caller, [user])
    const format = formatOf(request)
    return sendFormatted(reply, 201, format, responseBody(format, user.userId))
  }))

  app.post('/user/:userId', {
    schema: {
      summary: 'Update a user (only what is sent changes)',
      description: 'Body: fields (any subset), departmentId (moves the user), role or roleId, groupIds (replaces the groups), manageableDepartmentIds. 200, no body.',
      hide,
      consumes,
      response: { 200: { description: 'Updated', type: 'null' }, ...answers }
    }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const current = target(caller, pathUuid(request, 'userId'))
    const body = bodyOf(request)
    const next: IspringUserFixture = userToFixture(current)
    const fields = object(body, 'fields')
    if (fields !== undefined) applyFields(fields, next)
    const departmentId = uuid(body, 'departmentId')
    if (departmentId !== undefined) next.departmentId = department(caller, departmentId, 'departmentId')
    const role = roleOf(caller, body)
    if (role !== undefined) {
      if (current.role === 'owner') throw forbidden()
      next.role = role.role
      if (role.roleId === undefined) delete next.roleId
      else next.roleId = role.roleId
      if (!SCOPED_ROLES.has(role.role)) next.manageableDepartmentIds = []
    }
    const groupIds = uuids(body, 'groupIds')
    if (groupIds !== undefined) next.groups = groups(caller, groupIds, current.groups)
    const manageable = uuids(body, 'manageableDepartmentIds')
    if (manageable !== undefined) next.manageableDepartmentIds = managed(caller, next.role, manageable)
    // Kept managed departments count too: a scoped caller never leaves a user managing beyond its own scope.
    if ((next.manageableDepartmentIds ?? []).some((d) => !departmentInScope(caller.scope, d.toLowerCase()))) throw forbidden()
    unique(caller, next, current.userId)
    await write(request, caller, [next])
    return done(reply)
  }))

  app.delete('/user/:userId', {
    schema: { summary: 'Delete a user', description: '204; the user is gone from every read and can no longer sign in. The owner cannot be deleted (403).', hide, response: { 204: { description: 'Deleted', type: 'null' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const user = target(caller, pathUuid(request, 'userId'))
    if (user.role === 'owner') throw forbidden()
    await write(request, caller, [], [user.userId])
    return reply.code(204).send()
  }))

  app.post('/user/:userId/status', {
    schema: { summary: 'Change a user\'s status', description: 'Body: status 1 (active), 3 (inactive) or 5 (employment ended). 200, no body.', hide, consumes, response: { 200: { description: 'Changed', type: 'null' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const user = target(caller, pathUuid(request, 'userId'))
    const status = text(bodyOf(request), 'status')
    if (status === undefined) throw badRequest('status is required')
    const state = Object.hasOwn(STATES, status) ? STATES[status] : undefined
    if (state === undefined) throw badRequest(`status must be 1, 3 or 5, got ${quote(status)}`)
    if (user.role === 'owner' && state !== 'active') throw forbidden()
    await write(request, caller, [withState(user, state)])
    return done(reply)
  }))

  for (const [path, state, summary] of [['/users/activate', 'active', 'Activate users'], ['/users/deactivate', 'inactive', 'Deactivate users'], ['/users/terminate', 'employment_ended', 'End users\' employment']] as const) {
    app.post(path, {
      schema: { summary, description: 'Body: userIds. All or none: one unknown id (400) or one the caller may not change (403) changes nothing. 200, no body.', hide, consumes, response: { 200: { description: 'Changed', type: 'null' }, ...answers } }
    }, handle(async (request, reply) => {
      const caller = writer(request)
      const users = named(caller, bodyOf(request))
      if (state !== 'active' && users.some((u) => u.role === 'owner')) throw forbidden()
      await write(request, caller, users.map((u) => withState(u, state)))
      return done(reply)
    }))
  }

  app.post('/user/:userId/password', {
    schema: { summary: 'Set a user\'s password', description: 'Body: password. The X-Auth-Password of the user from now on. 200, no body.', hide, consumes, response: { 200: { description: 'Changed', type: 'null' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const user = target(caller, pathUuid(request, 'userId'))
    const password = text(bodyOf(request), 'password')
    if (password === undefined || password === '') throw badRequest('password is required')
    await write(request, caller, [{ ...userToFixture(user), password }])
    return done(reply)
  }))

  for (const [kind, key, effect] of [['deactivation', 'scheduledDeactivationDate', 'becomes inactive'], ['termination', 'scheduledTerminationDate', 'has their employment ended']] as const) {
    app.post(`/user/:userId/scheduled_${kind}`, {
      schema: { summary: `Schedule a user's ${kind}`, description: `Body: date (YYYY-MM-DD). On that day (UTC) of the mock clock the user ${effect}; POST /__admin/clock makes it testable at once. 200, no body.`, hide, consumes, response: { 200: { description: 'Scheduled', type: 'null' }, ...answers } }
    }, handle(async (request, reply) => {
      const caller = writer(request)
      const user = target(caller, pathUuid(request, 'userId'))
      const date = text(bodyOf(request), 'date')
      if (date === undefined) throw badRequest('date is required')
      if (!isDay(date)) throw badRequest(`date must be a date (YYYY-MM-DD), got ${quote(date)}`)
      if (user.role === 'owner') throw forbidden()
      await write(request, caller, [{ ...userToFixture(user), [key]: date }])
      return done(reply)
    }))
    app.delete(`/user/:userId/scheduled_${kind}`, {
      schema: { summary: `Cancel a user's scheduled ${kind}`, description: '200, no body (also when nothing was scheduled).', hide, response: { 200: { description: 'Cancelled', type: 'null' }, ...answers } }
    }, handle(async (request, reply) => {
      const caller = writer(request)
      const user = target(caller, pathUuid(request, 'userId'))
      if (user.role === 'owner') throw forbidden()
      const next = userToFixture(user)
      delete next[key]
      await write(request, caller, [next])
      return done(reply)
    }))
  }

  app.post('/users/work-leave-status', {
    schema: {
      summary: 'Set work-leave statuses',
      description: `Body: workLeaveStatuses, each {userId, workLeaveReason (${WORK_LEAVE_REASONS.join(', ')}), startDate (default today), endDate?}. All or none. 200, no body.`,
      hide,
      consumes,
      response: { 200: { description: 'Set', type: 'null' }, ...answers }
    }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const items = objects(bodyOf(request), 'workLeaveStatuses')
    if (items === undefined || items.length === 0) throw badRequest('workLeaveStatuses is required')
    const written = new Map<string, IspringUserFixture>()
    items.forEach((item, i) => {
      const at = `workLeaveStatuses[${i}]`
      const userId = uuid(item, 'userId', `${at}.userId`)
      if (userId === undefined) throw badRequest(`${at}.userId is required`)
      const position = caller.directory.positionOf(userId)
      if (position === undefined) throw badRequest(`${at}.userId: no user has id ${quote(userId)}`)
      const user = caller.directory.users[position] as IspringUser
      mayChange(caller, user)
      const reason = text(item, 'workLeaveReason', `${at}.workLeaveReason`)
      if (reason === undefined || !(WORK_LEAVE_REASONS as readonly string[]).includes(reason)) throw badRequest(`${at}.workLeaveReason must be one of ${WORK_LEAVE_REASONS.join(', ')}`)
      const startDate = text(item, 'startDate', `${at}.startDate`) ?? today(request)
      const endDate = text(item, 'endDate', `${at}.endDate`)
      for (const [name, value] of [['startDate', startDate], ['endDate', endDate]] as const) {
        if (value !== undefined && !isDay(value)) throw badRequest(`${at}.${name} must be a date (YYYY-MM-DD), got ${quote(value)}`)
      }
      if (endDate !== undefined && endDate < startDate) throw badRequest(`${at}.endDate is before startDate`)
      written.set(user.userId, { ...(written.get(user.userId) ?? userToFixture(user)), workLeave: { reason: reason as typeof WORK_LEAVE_REASONS[number], startDate, ...(endDate === undefined ? {} : { endDate }) } })
    })
    await write(request, caller, [...written.values()])
    return done(reply)
  }))

  app.post('/users/work-leave-status/delete', {
    schema: { summary: 'Remove work-leave statuses', description: 'Body: userIds. All or none. 200, no body.', hide, consumes, response: { 200: { description: 'Removed', type: 'null' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const users = named(caller, bodyOf(request))
    await write(request, caller, users.map((u) => { const f = userToFixture(u); delete f.workLeave; return f }))
    return done(reply)
  }))

  app.post('/user/list', {
    schema: {
      summary: 'List users by page number',
      description: `Body: page (1-based, default 1), pageSize (1..${MAX_PAGE_SIZE}, default ${MAX_PAGE_SIZE}), departments (with sub-departments), groups, logins, emails. Answers {pageNumber, totalUsersNumber, userProfiles} in the caller's scope; employment ended is status 3 as on GET /users.`,
      hide,
      consumes,
      response: { 200: { description: 'A page of users', type: 'object', additionalProperties: true }, ...answers }
    }
  }, handle(async (request, reply) => {
    const caller = callerOf(request)
    const body = bodyOf(request)
    const page = count(body, 'page', 1, Number.MAX_SAFE_INTEGER, 1)
    const pageSize = count(body, 'pageSize', 1, MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    const filters = bodyFilters(body, FILTER_KINDS.slice(0, 4))
    if (filters.departments?.some((d) => !departmentInScope(caller.scope, d)) === true) throw forbidden()
    const { directory } = caller
    const matched = matchUsers(directory, { filters, filtersKey: filtersKey(filters), pageSize, pageToken: undefined }, caller.scope)
    const total = matched?.length ?? directory.users.length
    const from = Math.min((page - 1) * pageSize, total)
    const to = Math.min(from + pageSize, total)
    const format = formatOf(request)
    const items: Buffer[] = []
    for (let i = from; i < to; i++) items.push(userFragment(directory.users[matched === undefined ? i : matched[i] as number] as IspringUser, 1, format))
    const answer = format === 'json'
      ? `{"pageNumber":${page},"totalUsersNumber":${total},"userProfiles":[${items.join(',')}]}`
      : responseBody('xml', { pageNumber: page, totalUsersNumber: total }).replace('</response>', `${xmlList('userProfiles', items.map(String))}</response>`)
    return sendFormatted(reply, 200, format, answer)
  }))
}

/** An integer field in `min..max` (JSON number or text), `fallback` when absent. */
function count (body: Body, name: string, min: number, max: number, fallback: number): number {
  const value = text(body, name)
  if (value === undefined) return fallback
  const n = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN
  if (!(n >= min && n <= max)) throw badRequest(`${name} must be an integer from ${min} to ${max}, got ${quote(value)}`)
  return n
}
