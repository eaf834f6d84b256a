/**
 * The read calls that take a body or answer unpaged: `POST /users/v2` (the body form of the v2
 * list, same page tokens), `POST /users/find_existing`, the unpaged `GET /user` and `GET /user/v2`
 * (the vendor advises them for accounts of up to about 1,000 users; the mock answers any size),
 * `GET /user/profile/fields` and `GET /role`.
 * https://ispringhelpdocs.com/display/ispringlearn/Getting+a+List+of+Users
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { rawQuery } from '../../core/routing.js'
import { callerOf } from './auth.js'
import { bodyOf, text, uuids } from './body.js'
import { formatOf, sendFormatted, serialize } from './format.js'
import { XML_DECLARATION, xmlDocument } from './xml.js'
import type { IspringUser } from './model.js'
import { departmentInScope, ROLE_IDS, ROLES } from './permissions.js'
import { MAX_PAGE_SIZE, parseListParams, ParamError, uuidValues } from './query.js'
import { userFragment, type ApiVersion } from './render.js'
import { ERRORS } from './schemas.js'
import { bodyFilters, FILTER_KINDS, filtersKey, matchUsers, sendUsersPage, type UserFilters, type UsersQuery } from './users.js'
import { badRequest, forbidden, handle } from './writes.js'

const ROLE_TITLES: Record<string, [string, string]> = {
  owner: ['Account Owner', 'Full access to the account'],
  administrator: ['Administrator', 'Manages the whole account'],
  department_administrator: ['Department Administrator', 'Manages users and content of their departments'],
  publisher: ['Publisher', 'Publishes content to their departments'],
  author: ['Author', 'Creates content'],
  learner: ['Learner', 'Takes courses'],
  custom: ['Custom role', 'A role with custom settings']
}

const PROFILE_FIELDS: Array<[string, string, number, number]> = [
  ['LOGIN', 'Login', 1, 1], ['EMAIL', 'Email', 1, 1], ['FIRST_NAME', 'First name', 0, 0], ['LAST_NAME', 'Last name', 0, 0],
  ['PHONE', 'Phone', 0, 0], ['JOB_TITLE', 'Job title', 0, 0], ['COUNTRY', 'Country', 0, 0], ['USER_DEFINED_FIELD1', 'Custom field 1', 0, 0]
]

/** A JSON array of serialized items, or `<response>` around the XML items. */
export function unpaged (format: 'json' | 'xml', items: readonly string[]): string {
  return format === 'json' ? `[${items.join(',')}]` : items.length === 0 ? `${XML_DECLARATION}<response/>` : xmlDocument(items.join(''))
}

export function registerReadRoutes (app: FastifyInstance, hide: boolean): void {
  const answers = { 400: ERRORS[400], 401: ERRORS[401], 403: ERRORS[403] }

  app.post('/users/v2', {
    schema: { summary: 'List users page by page, filters in the body', description: `Body: departments, groups, logins, emails, userIds (lists), pageSize (1..${MAX_PAGE_SIZE}), pageToken: as GET /users/v2, with the same page tokens.`, hide, response: { 200: { description: 'A page of users', type: 'object', additionalProperties: true }, ...answers } }
  }, handle(async (request, reply) => {
    const body = bodyOf(request)
    const filters = bodyFilters(body, FILTER_KINDS)
    const size = text(body, 'pageSize')
    const pageSize = size === undefined ? MAX_PAGE_SIZE : /^[0-9]+$/.test(size) ? Number(size) : Number.NaN
    if (!(pageSize >= 1 && pageSize <= MAX_PAGE_SIZE)) throw badRequest(`pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}, got "${size ?? ''}"`)
    const token = text(body, 'pageToken')
    const query: UsersQuery = { filters, filtersKey: filtersKey(filters), pageSize, pageToken: token === '' ? undefined : token }
    return sendUsersPage(request, reply, 2, query)
  }))

  app.post('/users/find_existing', {
    schema: { summary: 'Which of these user ids exist', description: 'Body: userIds. Answers the ids that exist (and the caller may see), in the order asked.', hide, response: { 200: { description: 'Ids: JSON array, XML <response><id>...</id></response>', type: 'array', items: { type: 'string' } }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = callerOf(request)
    const ids = uuids(bodyOf(request), 'userIds')
    if (ids === undefined) throw badRequest('userIds is required')
    const existing = ids.filter((id) => {
      const p = caller.directory.positionOf(id)
      return p !== undefined && departmentInScope(caller.scope, (caller.directory.users[p] as IspringUser).departmentId)
    })
    const format = formatOf(request)
    return sendFormatted(reply, 200, format, unpaged(format, existing.map((id) => serialize(format, 'id', id))))
  }))

  const all = (version: ApiVersion) => handle(async (request: FastifyRequest, reply: FastifyReply) => {
    const caller = callerOf(request)
    const kinds = version === 1 ? FILTER_KINDS.slice(0, 4) : FILTER_KINDS
    let filters: UserFilters
    try {
      const params = parseListParams(rawQuery(request), kinds, false)
      filters = {}
      for (const kind of kinds) {
        const values = kind === 'logins' || kind === 'emails' ? params.arrays.get(kind)?.map((v) => v.toLowerCase()) : uuidValues(params, kind)
        if (values !== undefined) filters[kind] = [...new Set(values)].sort()
      }
    } catch (err) {
      if (err instanceof ParamError) throw badRequest(err.message)
      throw err
    }
    if (filters.departments?.some((d) => !departmentInScope(caller.scope, d)) === true) throw forbidden()
    const { directory } = caller
    const matched = matchUsers(directory, { filters, filtersKey: filtersKey(filters), pageSize: MAX_PAGE_SIZE, pageToken: undefined }, caller.scope)
    const format = formatOf(request)
    const items: string[] = []
    const n = matched?.length ?? directory.users.length
    for (let i = 0; i < n; i++) items.push(userFragment(directory.users[matched === undefined ? i : matched[i] as number] as IspringUser, version, format).toString())
    return sendFormatted(reply, 200, format, unpaged(format, items))
  })
  const unpagedDescription = 'Every matching user in one answer (departments[], groups[], logins[], emails[]; userIds[] on v2). The vendor advises it for accounts of up to about 1,000 users and the paged GET /users/v2 beyond; the mock answers any size.'
  app.get('/user', { schema: { summary: 'List users, unpaged (v1: employment ended is status 3)', description: unpagedDescription, hide, response: { 200: { description: 'The users', type: 'array', items: { type: 'object', additionalProperties: true } }, ...answers } } }, all(1))
  app.get('/user/v2', { schema: { summary: 'List users, unpaged (v2: employment ended is status 5)', description: unpagedDescription, hide, response: { 200: { description: 'The users', type: 'array', items: { type: 'object', additionalProperties: true } }, ...answers } } }, all(2))

  app.get('/user/profile/fields', {
    schema: { summary: 'The account\'s user profile fields', description: 'The built-in fields and USER_DEFINED_FIELD1.', hide, response: { 200: { description: 'The fields', type: 'array', items: { type: 'object', additionalProperties: true } }, ...answers } }
  }, handle(async (request, reply) => {
    const format = formatOf(request)
    const items = PROFILE_FIELDS.map(([name, label, isUnique, isRequired], i) =>
      serialize(format, 'userFieldInfo', { userFieldInfoId: name.toLowerCase(), name, label, type: 'text', isUnique, isRequired, orderPriority: i + 1, values: {} }))
    return sendFormatted(reply, 200, format, unpaged(format, items))
  }))

  app.get('/role', {
    schema: { summary: 'The account\'s roles', description: 'The built-in roles (their fixed ids) and the fixture\'s custom roles.', hide, response: { 200: { description: 'The roles', type: 'array', items: { type: 'object', additionalProperties: true } }, ...answers } }
  }, handle(async (request, reply) => {
    const caller = callerOf(request)
    const format = formatOf(request)
    const builtIn = ROLES.filter((r) => r !== 'custom').map((r) => serialize(format, 'role', { roleId: ROLE_IDS[r], type: r, title: (ROLE_TITLES[r] as [string, string])[0], description: (ROLE_TITLES[r] as [string, string])[1] }))
    const custom = [...caller.account.customRoles].map(([roleId, title]) => serialize(format, 'role', { roleId, type: 'custom', title, description: '' }))
    return sendFormatted(reply, 200, format, unpaged(format, [...builtIn, ...custom]))
  }))
}
