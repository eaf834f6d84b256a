/**
 * Departments and groups: create, update, delete, move users into a department, move
 * departments under a parent (no cycles), group members in and out, and the unpaged lists
 * `GET /department` (by code) and `GET /group`. Each request is one `ispring.directory.written`
 * change (writes.ts), checked whole first. Owners and administrators change anything; department
 * administrators and custom roles only departments inside their scope, and groups' members in it.
 * https://ispringhelpdocs.com/display/ispringlearn/REST+API
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { FixtureProblem } from '../../core/tenants.js'
import { callerOf, type Caller } from './auth.js'
import { bodyOf, object, text, uuid, uuids, type Body } from './body.js'
import { checkDepartments } from './checks.js'
import { quote } from './errors.js'
import { formatOf, responseBody, sendFormatted } from './format.js'
import { departmentToFixture, userToFixture, type Department, type IspringUser } from './model.js'
import { departmentInScope } from './permissions.js'
import { departmentFragment, groupFragment } from './render.js'
import { ERRORS, SUBORDINATION_TYPES, type IspringDepartmentFixture, type Subordination } from './schemas.js'
import { badRequest, department, done, forbidden, handle, mayChange, named, pathUuid, Refused, write, writer, type Structure } from './writes.js'
import { parseListParams, ParamError } from './query.js'
import { rawQuery } from '../../core/routing.js'
import { unpaged } from './reads.js'
import { xmlDocument, xmlList } from './xml.js'

/** A department's or group's `name`: required, not blank. */
function nameOf (body: Body): string {
  const name = text(body, 'name')
  if (name === undefined || name.trim() === '') throw badRequest('name is required')
  return name
}

const found = (caller: Caller, id: string): Department => {
  const d = caller.directory.department(id)
  if (d === undefined) throw badRequest(`departmentId: no department has id ${quote(id)}`)
  return d
}

/** The tree after `changed` (same ids put in place, new ones added), checked: one root, parents that exist, no cycle. */
function checkedTree (caller: Caller, changed: IspringDepartmentFixture[], deleted: string[] = []): void {
  const byId = new Map(changed.map((d) => [d.id, d]))
  const tree = caller.directory.departments.filter((d) => !deleted.includes(d.id)).map((d) => byId.get(d.id) ?? departmentToFixture(d))
  for (const d of changed) if (caller.directory.department(d.id) === undefined) tree.push(d)
  try {
    checkDepartments(tree)
  } catch (err) {
    if (err instanceof FixtureProblem) throw badRequest(err.message === 'makes a cycle in the department tree' ? 'parentDepartmentId: a department cannot move under itself or its sub-departments' : err.message)
    throw err
  }
}

export function registerStructureRoutes (app: FastifyInstance, hide: boolean): void {
  const consumes = ['application/json', 'application/xml', 'application/x-www-form-urlencoded']
  const answers = { 400: ERRORS[400], 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404] }
  const write1 = async (request: FastifyRequest, caller: Caller, structure: Structure, users: IspringUser[] = []): Promise<void> => {
    await write(request, caller, users.map(userToFixture), [], structure)
  }

  app.get('/department', {
    schema: { summary: 'List departments (unpaged), optionally by code', description: 'Query: code (exact). Scoped roles see their departments and sub-departments.', hide, response: { 200: { description: '{departments: [...]}', type: 'object', additionalProperties: true }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = callerOf(request)
    let code: string | undefined
    try {
      const pairs = new URLSearchParams(rawQuery(request))
      for (const name of pairs.keys()) if (name !== 'code') throw new ParamError(`unknown parameter ${quote(name).slice(1, -1)}`)
      code = pairs.get('code') ?? undefined
    } catch (err) {
      if (err instanceof ParamError) throw badRequest(err.message)
      throw err
    }
    const format = formatOf(request)
    const items = caller.directory.departments
      .filter((d) => departmentInScope(caller.scope, d.id) && (code === undefined || d.code === code))
      .map((d) => departmentFragment(d, format).toString())
    const body = format === 'json' ? `{"departments":[${items.join(',')}]}` : xmlDocument(xmlList('departments', items))
    return sendFormatted(reply, 200, format, body)
  }))

  app.post('/department', {
    schema: { summary: 'Add a department', description: 'Body: name, parentDepartmentId (required), code. 201 with the new id. A department administrator adds under departments in their scope.', hide, consumes, response: { 201: { description: 'The new department id', type: 'string' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const body = bodyOf(request)
    const name = nameOf(body)
    const parentId = uuid(body, 'parentDepartmentId')
    if (parentId === undefined) throw badRequest('parentDepartmentId is required')
    found(caller, parentId)
    department(caller, parentId, 'parentDepartmentId')
    const code = text(body, 'code')
    const created: IspringDepartmentFixture = { id: randomUUID(), name, ...(code === undefined ? {} : { code }), parentId, subordination: { subordinationType: 'inherit' }, coSubordination: { subordinationType: 'inherit' } }
    checkedTree(caller, [created])
    await write1(request, caller, { departments: [created] })
    const format = formatOf(request)
    return sendFormatted(reply, 201, format, responseBody(format, created.id))
  }))

  app.post('/department/:departmentId', {
    schema: { summary: 'Update a department', description: 'Body: name, code, parentDepartmentId (moves it; no cycles; the root has no parent). 204.', hide, consumes, response: { 204: { description: 'Updated', type: 'null' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const current = found(caller, pathUuid(request, 'departmentId'))
    if (!departmentInScope(caller.scope, current.id)) throw forbidden()
    const body = bodyOf(request)
    const next = departmentToFixture(current)
    const name = text(body, 'name')
    if (name !== undefined) {
      if (name.trim() === '') throw badRequest('name must not be empty')
      next.name = name
    }
    const code = text(body, 'code')
    if (code !== undefined) next.code = code
    const parentId = uuid(body, 'parentDepartmentId')
    if (parentId !== undefined) {
      if (current.parentId === undefined) throw badRequest('the root department has no parent')
      found(caller, parentId)
      next.parentId = department(caller, parentId, 'parentDepartmentId')
    }
    checkedTree(caller, [next])
    await write1(request, caller, { departments: [next] })
    return reply.code(204).send()
  }))

  app.delete('/department/:departmentId', {
    schema: { summary: 'Delete a department', description: 'Refused (400) while it has users, sub-departments or managers, and for the root. 204.', hide, response: { 204: { description: 'Deleted', type: 'null' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const current = found(caller, pathUuid(request, 'departmentId'))
    if (!departmentInScope(caller.scope, current.id)) throw forbidden()
    if (current.parentId === undefined) throw badRequest('the root department cannot be deleted')
    if (caller.directory.departments.some((d) => d.parentId === current.id)) throw badRequest('the department has sub-departments: move or delete them first')
    if (caller.directory.departmentUsers(current.id).length > 0) throw badRequest('the department has users: move or delete them first')
    for (const u of caller.directory.existing()) if (u.manageableDepartmentIds.includes(current.id)) throw badRequest(`the department is managed by user ${u.userId}: change their role first`)
    await write1(request, caller, { deletedDepartments: [current.id] })
    return reply.code(204).send()
  }))

  app.post('/department/:departmentId/user/move', {
    schema: { summary: 'Move users into a department', description: 'Body: userIds. All or none; each user and the department must be in the caller\'s scope. 204.', hide, consumes, response: { 204: { description: 'Moved', type: 'null' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const into = found(caller, pathUuid(request, 'departmentId'))
    department(caller, into.id, 'departmentId')
    const users = named(caller, bodyOf(request))
    await write(request, caller, users.map((u) => ({ ...userToFixture(u), departmentId: into.id })))
    return reply.code(204).send()
  }))

  // The vendor names the parent `parentId`; one parameter name per path position keeps the router's tree simple.
  app.post('/department/:departmentId/department/move', {
    schema: { summary: 'Move departments under a parent', description: 'Body: departmentIds. No cycles, not the root; all or none. 204.', hide, consumes, response: { 204: { description: 'Moved', type: 'null' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const parent = found(caller, pathUuid(request, 'departmentId'))
    department(caller, parent.id, 'departmentId')
    const ids = uuids(bodyOf(request), 'departmentIds')
    if (ids === undefined || ids.length === 0) throw badRequest('departmentIds is required')
    const moved = ids.map((id) => {
      const d = found(caller, id)
      if (!departmentInScope(caller.scope, d.id)) throw forbidden()
      if (d.parentId === undefined) throw badRequest('the root department cannot move')
      return { ...departmentToFixture(d), parentId: parent.id }
    })
    checkedTree(caller, moved)
    await write1(request, caller, { departments: moved })
    return reply.code(204).send()
  }))

  /** `subordination` / `coSubordination` of a body: `{subordinationType, supervisorId?}`, the supervisor an existing user. */
  const subordinations = (caller: Caller, body: Body): Partial<Record<'subordination' | 'coSubordination', Subordination>> => {
    const out: Partial<Record<'subordination' | 'coSubordination', Subordination>> = {}
    for (const key of ['subordination', 'coSubordination'] as const) {
      const value = object(body, key)
      if (value === undefined) continue
      const type = text(value, 'subordinationType', `${key}.subordinationType`)
      if (type === undefined || !(SUBORDINATION_TYPES as readonly string[]).includes(type)) throw badRequest(`${key}.subordinationType must be one of ${SUBORDINATION_TYPES.join(', ')}`)
      const supervisorId = uuid(value, 'supervisorId', `${key}.supervisorId`)
      if (type === 'manual') {
        if (supervisorId === undefined) throw badRequest(`${key}.supervisorId is required with subordinationType manual`)
        if (caller.directory.positionOf(supervisorId) === undefined) throw badRequest(`${key}.supervisorId: no user has id ${quote(supervisorId)}`)
        out[key] = { subordinationType: 'manual', supervisorId }
      } else {
        if (supervisorId !== undefined) throw badRequest(`${key}.supervisorId is only allowed with subordinationType manual`)
        out[key] = { subordinationType: type as Subordination['subordinationType'] }
      }
    }
    if (out.subordination === undefined && out.coSubordination === undefined) throw badRequest('subordination or coSubordination is required')
    return out
  }

  app.post('/user/:userId/subordination', {
    schema: { summary: 'Change a user\'s subordination', description: 'Body: subordination and/or coSubordination, each {subordinationType: manual | inherit | no_supervisor, supervisorId with manual}. 204.', hide, consumes, response: { 204: { description: 'Changed', type: 'null' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const userId = pathUuid(request, 'userId')
    const position = caller.directory.positionOf(userId)
    if (position === undefined) throw new Refused(404)
    const user = caller.directory.users[position] as IspringUser
    mayChange(caller, user)
    const changed = subordinations(caller, bodyOf(request))
    if (changed.subordination?.supervisorId === user.userId || changed.coSubordination?.supervisorId === user.userId) throw badRequest('a user cannot supervise themselves')
    await write(request, caller, [{ ...userToFixture(user), ...changed }])
    return reply.code(204).send()
  }))

  app.post('/department/:departmentId/subordination', {
    schema: { summary: 'Change a department\'s subordination', description: 'Body: subordination and/or coSubordination as for a user. 204.', hide, consumes, response: { 204: { description: 'Changed', type: 'null' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const current = found(caller, pathUuid(request, 'departmentId'))
    if (!departmentInScope(caller.scope, current.id)) throw forbidden()
    await write1(request, caller, { departments: [{ ...departmentToFixture(current), ...subordinations(caller, bodyOf(request)) }] })
    return reply.code(204).send()
  }))

  const group = (caller: Caller, id: string) => {
    const g = caller.directory.group(id)
    if (g === undefined) throw badRequest(`groupId: no group has id ${quote(id)}`)
    return g
  }

  app.get('/group', {
    schema: { summary: 'List every group (unpaged)', description: 'The paged form is GET /groups.', hide, response: { 200: { description: 'The groups', type: 'array', items: { type: 'object', additionalProperties: true } }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = callerOf(request)
    try {
      parseListParams(rawQuery(request), [], false)
    } catch (err) {
      if (err instanceof ParamError) throw badRequest(err.message)
      throw err
    }
    const format = formatOf(request)
    const items = caller.directory.groups.map((g) => groupFragment(g, format).toString())
    return sendFormatted(reply, 200, format, unpaged(format, items))
  }))

  app.post('/group', {
    schema: { summary: 'Add a group', description: 'Body: name (required), userIds (members, each in the caller\'s scope). 201 with the new id.', hide, consumes, response: { 201: { description: 'The new group id', type: 'string' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const body = bodyOf(request)
    const name = nameOf(body)
    const id = randomUUID()
    const members = (uuids(body, 'userIds') ?? []).length === 0 ? [] : named(caller, body)
    await write1(request, caller, { groups: [{ id, name, isSmart: false }] }, members.map((u) => ({ ...u, groups: [...u.groups, id] })))
    const format = formatOf(request)
    return sendFormatted(reply, 201, format, responseBody(format, id))
  }))

  app.post('/group/:groupId', {
    schema: { summary: 'Rename a group', description: 'Body: name. Owners and administrators only. 200, no body.', hide, consumes, response: { 200: { description: 'Updated', type: 'null' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    // A group spans departments: like its deletion, its name is for owners and administrators.
    if (!caller.scope.all) throw forbidden()
    const g = group(caller, pathUuid(request, 'groupId'))
    const name = nameOf(bodyOf(request))
    await write1(request, caller, { groups: [{ id: g.id, name, isSmart: g.isSmart }] })
    return done(reply)
  }))

  app.delete('/group/:groupId', {
    schema: { summary: 'Delete a group', description: 'Its members leave it. Owners and administrators only (members may be outside a department administrator\'s scope). 204.', hide, response: { 204: { description: 'Deleted', type: 'null' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    if (!caller.scope.all) throw forbidden()
    const g = group(caller, pathUuid(request, 'groupId'))
    const members = caller.directory.groupUsers(g.id).map((p) => caller.directory.users[p] as IspringUser)
    await write1(request, caller, { deletedGroups: [g.id] }, members.map((u) => ({ ...u, groups: u.groups.filter((id) => id !== g.id) })))
    return reply.code(204).send()
  }))

  app.post('/group/:groupId/members', {
    schema: { summary: 'Add members to a group', description: 'Body: userIds (each in the caller\'s scope). Smart groups choose their members by rules: 400. 200, no body.', hide, consumes, response: { 200: { description: 'Added', type: 'null' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const g = group(caller, pathUuid(request, 'groupId'))
    if (g.isSmart) throw badRequest('a smart group\'s members follow its rules')
    const users = named(caller, bodyOf(request))
    await write1(request, caller, {}, users.map((u) => ({ ...u, groups: u.groups.includes(g.id) ? u.groups : [...u.groups, g.id] })))
    return done(reply)
  }))

  app.post('/user/:userId/groups/remove', {
    schema: { summary: 'Remove a user from groups', description: 'Body: groupIds. 200, no body.', hide, consumes, response: { 200: { description: 'Removed', type: 'null' }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = writer(request)
    const userId = pathUuid(request, 'userId')
    const position = caller.directory.positionOf(userId)
    if (position === undefined) throw new Refused(404)
    const user = caller.directory.users[position] as IspringUser
    mayChange(caller, user)
    const ids = uuids(bodyOf(request), 'groupIds')
    if (ids === undefined || ids.length === 0) throw badRequest('groupIds is required')
    for (const id of ids) if (group(caller, id).isSmart) throw badRequest(`groupIds: ${quote(id)} is a smart group, whose members follow its rules`)
    await write1(request, caller, {}, [{ ...user, groups: user.groups.filter((id) => !ids.includes(id)) }])
    return done(reply)
  }))
}
