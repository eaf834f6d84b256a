/**
 * The look-ups a directory client needs beside the user list: one user (v1 and v2), the
 * department tree and the groups, paged like /users and limited to the caller's scope (scoped
 * roles see their departments, and only in-scope members of a group).
 * https://ispringhelpdocs.com/display/ispringlearn/Getting+User+Info
 * https://ispringhelpdocs.com/display/ispringlearn/Departments
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { intersectSorted } from '../../core/positions.js'
import { rawQuery } from '../../core/routing.js'
import { callerOf, type Caller } from './auth.js'
import type { Department, Group, IspringUser } from './model.js'
import { quote, sendBadRequest, sendError } from './errors.js'
import { formatOf, listBody, sendFormatted, serialize, singleBody } from './format.js'
import { pageRequest, readPage } from './paging.js'
import { departmentInScope } from './permissions.js'
import { isUuid, ParamError, parseListParams, type ListParams } from './query.js'
import { departmentFragment, detailedGroupObject, groupFragment, userFragment, type ApiVersion } from './render.js'
import {
  DepartmentSchema, DepartmentsPageSchema, DetailedGroupSchema, ERRORS, GroupsPageSchema, negotiated,
  PageQuerySchema, UserProfileSchema, UserProfileV2Schema
} from './schemas.js'

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>

/** The caller and the query (paged or no parameters at all); undefined once answered. */
function prepare (request: FastifyRequest, reply: FastifyReply, paged: boolean): { caller: Caller, params: ListParams } | undefined {
  const caller = callerOf(request)
  try {
    return { caller, params: parseListParams(rawQuery(request), [], paged) }
  } catch (err) {
    if (!(err instanceof ParamError)) throw err
    sendBadRequest(request, reply, err.message)
    return undefined
  }
}

/** The path's id, lower-cased, or undefined after answering 400. */
function pathId (request: FastifyRequest, reply: FastifyReply, name: string): string | undefined {
  const value = (request.params as Record<string, string | undefined>)[name] ?? ''
  if (isUuid(value)) return value.toLowerCase()
  sendBadRequest(request, reply, `${name} must be a UUID, got ${quote(value)}`)
  return undefined
}

export function registerLookupRoutes (app: FastifyInstance, hide: boolean): void {
  const user = (version: ApiVersion): Handler => async (request, reply) => {
    const ready = prepare(request, reply, false)
    if (ready === undefined) return reply
    const id = pathId(request, reply, 'userId')
    if (id === undefined) return reply
    const { directory, scope } = ready.caller
    const position = directory.positionOf(id)
    if (position === undefined) return sendError(request, reply, 404)
    if (!departmentInScope(scope, (directory.users[position] as IspringUser).departmentId)) return sendError(request, reply, 403)
    const format = formatOf(request)
    return sendFormatted(reply, 200, format, singleBody(format, userFragment(directory.users[position] as IspringUser, version, format)))
  }
  const userSchema = (version: ApiVersion) => ({
    summary: `Get one user's profile (${version === 1 ? 'v1: employment ended is status 3' : 'v2: employment ended is status 5'})`,
    description: 'XML <response><userProfile>...</userProfile></response>, or the bare JSON object. 404 for an unknown id, 403 outside a scoped caller\'s departments.',
    hide,
    response: { 200: negotiated(version === 1 ? UserProfileSchema : UserProfileV2Schema, 'The user'), ...ERRORS }
  })
  app.get('/user/:userId', { schema: userSchema(1) }, user(1))
  app.get('/user/:userId/v2', { schema: userSchema(2) }, user(2))

  app.get('/departments', {
    schema: {
      summary: 'List departments page by page',
      description: 'Scoped roles see only the departments they manage and their sub-departments.',
      hide,
      querystring: PageQuerySchema,
      response: { 200: negotiated(DepartmentsPageSchema, 'A page of departments'), ...ERRORS }
    }
  }, async (request, reply) => {
    const ready = prepare(request, reply, true)
    if (ready === undefined) return reply
    const { caller, params } = ready
    const { directory, scope } = caller
    const visible = scope.all
      ? undefined
      : directory.memo(`departments|${scope.key}`, () => [...scope.departments].map((d) => directory.departmentPosition(d) as number).sort((a, b) => a - b))
    const found = readPage(request, reply, pageRequest(caller, 'departments', '', params), visible, directory.departments.length)
    if (found === undefined) return reply
    const format = formatOf(request)
    const items = found.page.map((p) => departmentFragment(directory.departments[p] as Department, format))
    return sendFormatted(reply, 200, format, listBody(format, 'departments', items, found.next))
  })

  app.get('/department/:departmentId', {
    schema: {
      summary: 'Get one department',
      description: 'XML <response><department>...</department></response>, or the bare JSON object.',
      hide,
      response: { 200: negotiated(DepartmentSchema, 'The department'), ...ERRORS }
    }
  }, async (request, reply) => {
    const ready = prepare(request, reply, false)
    if (ready === undefined) return reply
    const id = pathId(request, reply, 'departmentId')
    if (id === undefined) return reply
    const { directory, scope } = ready.caller
    const position = directory.departmentPosition(id)
    if (position === undefined) return sendError(request, reply, 404)
    if (!departmentInScope(scope, (directory.departments[position] as Department).id)) return sendError(request, reply, 403)
    const format = formatOf(request)
    return sendFormatted(reply, 200, format, singleBody(format, departmentFragment(directory.departments[position] as Department, format)))
  })

  app.get('/groups', {
    schema: {
      summary: 'List groups page by page',
      hide,
      querystring: PageQuerySchema,
      response: { 200: negotiated(GroupsPageSchema, 'A page of groups'), ...ERRORS }
    }
  }, async (request, reply) => {
    const ready = prepare(request, reply, true)
    if (ready === undefined) return reply
    const { caller, params } = ready
    const { directory } = caller
    const found = readPage(request, reply, pageRequest(caller, 'groups', '', params), undefined, directory.groups.length)
    if (found === undefined) return reply
    const format = formatOf(request)
    const items = found.page.map((p) => groupFragment(directory.groups[p] as Group, format))
    return sendFormatted(reply, 200, format, listBody(format, 'groups', items, found.next))
  })

  app.get('/group/:groupId', {
    schema: {
      summary: 'Get one group with its members',
      description: 'usersCount and userIds count only the members a scoped caller may see; an author receives usersCount without userIds.',
      hide,
      response: { 200: negotiated(DetailedGroupSchema, 'The group'), ...ERRORS }
    }
  }, async (request, reply) => {
    const ready = prepare(request, reply, false)
    if (ready === undefined) return reply
    const id = pathId(request, reply, 'groupId')
    if (id === undefined) return reply
    const { directory, scope } = ready.caller
    const group = directory.group(id)
    if (group === undefined) return sendError(request, reply, 404)
    const inScope = directory.scopeUsers(scope)
    const members = inScope === undefined ? directory.groupUsers(group.id) : intersectSorted([directory.groupUsers(group.id), inScope])
    // The vendor's "Getting Group Info" page: an author receives the count but not the members.
    const body = detailedGroupObject(group, members.map((p) => (directory.users[p] as IspringUser).userId), ready.caller.user.role !== 'author')
    const format = formatOf(request)
    return sendFormatted(reply, 200, format, singleBody(format, serialize(format, 'group', body)))
  })
}
