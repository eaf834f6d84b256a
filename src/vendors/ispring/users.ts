/**
 * `GET /users` (deprecated by the vendor) and `GET /users/v2`: the account's users page by page,
 * filtered by departments[] (with sub-departments), groups[], logins[], emails[] and, on v2,
 * userIds[] (kinds AND-ed, values OR-ed), limited to the caller's scope. Every filter and scope
 * is answered from the directory's indexes; pages are assembled from cached per-user fragments.
 * https://ispringhelpdocs.com/display/ispringlearn/Getting+a+List+of+Users+Page-by-Page
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { setBounded } from '../../core/bounded.js'
import { pageKey } from '../../core/paginate.js'
import { intersectSorted, unionSorted } from '../../core/positions.js'
import { rawQuery } from '../../core/routing.js'
import { callerOf } from './auth.js'
import type { IspringUser } from './model.js'
import type { Directory } from './directory.js'
import { quote, sendBadRequest, sendError } from './errors.js'
import { formatOf, listBody, sendFormatted } from './format.js'
import { pageRequest, readPage } from './paging.js'
import type { Scope } from './permissions.js'
import { isDay, texts, uuids, type Body } from './body.js'
import { ParamError, parseListParams, uuidValues } from './query.js'
import { userFragment, type ApiVersion } from './render.js'
import { ERRORS, negotiated, UsersPageSchema, UsersPageV2Schema, UsersQuerySchema, UsersV2QuerySchema, WORK_LEAVE_REASONS } from './schemas.js'

export const FILTER_KINDS = ['departments', 'groups', 'logins', 'emails', 'userIds'] as const
export type FilterKind = typeof FILTER_KINDS[number]
const UUID_KINDS: ReadonlySet<FilterKind> = new Set(['departments', 'groups', 'userIds'])
const KINDS_OF: Record<ApiVersion, readonly FilterKind[]> = { 1: FILTER_KINDS.slice(0, 4), 2: FILTER_KINDS }

/** The `workLeaveStatus` filter: users on that leave (any reason when absent) overlapping the dates given. */
export interface WorkLeaveFilter { workLeaveReason?: string, startDate?: string, endDate?: string }

/** Each given kind's values, normalized (lower-case), without repeats, sorted: a canonical form. */
export type UserFilters = Partial<Record<FilterKind, string[]>> & { workLeave?: WorkLeaveFilter }

const LEAVE_KEYS = ['workLeaveReason', 'startDate', 'endDate'] as const

/** Reads `workLeaveStatus[workLeaveReason|startDate|endDate]`; throws ParamError. */
function workLeaveFilter (values: Map<string, string> | undefined): WorkLeaveFilter | undefined {
  if (values === undefined) return undefined
  const filter: WorkLeaveFilter = {}
  for (const [key, value] of values) {
    if (!(LEAVE_KEYS as readonly string[]).includes(key)) throw new ParamError(`unknown parameter workLeaveStatus[${key}]`)
    if (key === 'workLeaveReason' && !(WORK_LEAVE_REASONS as readonly string[]).includes(value)) throw new ParamError(`workLeaveStatus[workLeaveReason] must be one of ${WORK_LEAVE_REASONS.join(', ')}, got ${quote(value)}`)
    if (key !== 'workLeaveReason' && !isDay(value)) throw new ParamError(`workLeaveStatus[${key}] must be a date (YYYY-MM-DD), got ${quote(value)}`)
    filter[key as keyof WorkLeaveFilter] = value
  }
  return filter
}

/** The user's leave matches the reason and overlaps the dates of the filter. */
function onLeave (u: IspringUser, f: WorkLeaveFilter): boolean {
  const leave = u.workLeave
  if (leave === undefined) return false
  if (f.workLeaveReason !== undefined && leave.reason !== f.workLeaveReason) return false
  if (f.endDate !== undefined && leave.startDate > f.endDate) return false
  if (f.startDate !== undefined && leave.endDate !== undefined && leave.endDate < f.startDate) return false
  return true
}

export interface UsersQuery {
  filters: UserFilters
  /** filtersKey of the filters. */
  filtersKey: string
  pageSize: number
  pageToken: string | undefined
}

/** Queries read (clients ask the same few again and again), by version and raw query; long ones are not kept. */
const KNOWN_QUERIES = new Map<string, UsersQuery>()
const KNOWN_QUERIES_SIZE = 256
const KNOWN_QUERY_LENGTH = 1024

/** Parses a /users query; throws ParamError. */
export function parseUsersQuery (raw: string, version: ApiVersion): UsersQuery {
  const memoKey = `${version}${raw}`
  const known = KNOWN_QUERIES.get(memoKey)
  if (known !== undefined) return known
  const params = parseListParams(raw, KINDS_OF[version], true, ['workLeaveStatus'])
  const filters: UserFilters = {}
  const workLeave = workLeaveFilter(params.keyed.get('workLeaveStatus'))
  if (workLeave !== undefined) filters.workLeave = workLeave
  for (const kind of KINDS_OF[version]) {
    const values = UUID_KINDS.has(kind) ? uuidValues(params, kind) : params.arrays.get(kind)?.map((v) => v.toLowerCase())
    if (values !== undefined) filters[kind] = [...new Set(values)].sort()
  }
  const query = { filters, filtersKey: filtersKey(filters), pageSize: params.pageSize, pageToken: params.pageToken }
  return raw.length > KNOWN_QUERY_LENGTH ? query : setBounded(KNOWN_QUERIES, memoKey, query, KNOWN_QUERIES_SIZE)
}

/** The filters of a body (`POST /user/list`, `POST /users/v2`): `kinds` read as lists, in canonical form. */
export function bodyFilters (body: Body, kinds: readonly FilterKind[]): UserFilters {
  const filters: UserFilters = {}
  for (const kind of kinds) {
    const values = UUID_KINDS.has(kind) ? uuids(body, kind) : texts(body, kind)?.map((v) => v.toLowerCase())
    if (values !== undefined) filters[kind] = [...new Set(values)].sort()
  }
  return filters
}

/** Text naming the filters exactly: two queries with the same filters have the same key. */
export function filtersKey (filters: UserFilters): string {
  const kinds = FILTER_KINDS.map((k) => filters[k] ?? null)
  return JSON.stringify(filters.workLeave === undefined ? kinds : [...kinds, LEAVE_KEYS.map((k) => filters.workLeave?.[k] ?? null)])
}

function positionsOf (values: readonly string[], find: (v: string) => number | undefined): readonly number[] {
  const out: number[] = []
  for (const v of values) {
    const p = find(v)
    if (p !== undefined) out.push(p)
  }
  return out.sort((a, b) => a - b)
}

/** Positions of the users in `scope` matching `filters`, ascending; undefined means every user. */
export function matchUsers (directory: Directory, query: UsersQuery, scope: Scope): readonly number[] | undefined {
  const indexed = matchIndexed(directory, query, scope)
  const leave = query.filters.workLeave
  if (leave === undefined) return indexed
  // A scan of the indexed matches (leave has no index), cached like the others until the next change.
  return directory.memo(`leave|${query.filtersKey}|${scope.key}`, () => {
    const out: number[] = []
    const n = indexed?.length ?? directory.users.length
    for (let i = 0; i < n; i++) {
      const p = indexed === undefined ? i : indexed[i] as number
      if (onLeave(directory.users[p] as IspringUser, leave)) out.push(p)
    }
    return out
  })
}

function matchIndexed (directory: Directory, { filters, filtersKey }: UsersQuery, scope: Scope): readonly number[] | undefined {
  const given = FILTER_KINDS.filter((k) => filters[k] !== undefined)
  if (given.length === 0 && scope.all) return directory.live()
  const single = given.length === 1 && scope.all ? filters[given[0] as FilterKind] as string[] : undefined
  if (single?.length === 1 && given[0] === 'departments') return directory.subtreeUsers(single[0] as string)
  if (single?.length === 1 && given[0] === 'groups') return directory.groupUsers(single[0] as string)
  return directory.memo(`users|${filtersKey}|${scope.key}`, () => {
    const lists: Array<readonly number[]> = []
    for (const kind of given) {
      const values = filters[kind] as string[]
      if (kind === 'departments') lists.push(unionSorted(values.map((d) => directory.subtreeUsers(d))))
      else if (kind === 'groups') lists.push(unionSorted(values.map((g) => directory.groupUsers(g))))
      else if (kind === 'logins') lists.push(positionsOf(values, (v) => directory.positionOfLogin(v)))
      else if (kind === 'emails') lists.push(positionsOf(values, (v) => directory.positionOfEmail(v)))
      else lists.push(positionsOf(values, (v) => directory.positionOf(v)))
    }
    const inScope = directory.scopeUsers(scope)
    if (inScope !== undefined) lists.push(inScope)
    return lists.length === 1 ? lists[0] as readonly number[] : intersectSorted(lists)
  })
}

/**
 * Answers one page of users for `query` (from the query string, or the body of `POST /users/v2`):
 * 403 for departments outside a scoped caller's, 400 for a bad page token.
 */
export function sendUsersPage (request: FastifyRequest, reply: FastifyReply, version: ApiVersion, query: UsersQuery): FastifyReply {
  const app = request.server
  const caller = callerOf(request)
  const { directory, scope } = caller
  if (!scope.all && query.filters.departments?.some((d) => !scope.departments.has(d)) === true) return sendError(request, reply, 403)
  const page = pageRequest(caller, version === 1 ? 'users' : 'users/v2', query.filtersKey, query)
  const format = formatOf(request)
  // The binding names who asks, the endpoint and the query; with the token, the directory's
  // contents and the format, that is everything the answer depends on.
  const key = pageKey(directory.version, format, page)
  const cached = app.mock.pages.get(key)
  if (cached !== undefined) return sendFormatted(reply, 200, format, cached)
  const found = readPage(request, reply, page, matchUsers(directory, query, scope), directory.users.length)
  if (found === undefined) return reply
  const items = found.page.map((p) => userFragment(directory.users[p] as IspringUser, version, format))
  const body = listBody(format, 'userProfiles', items, found.next)
  app.mock.pages.set(key, body)
  return sendFormatted(reply, 200, format, body)
}

export function registerUserRoutes (app: FastifyInstance, hide: boolean): void {
  const list = (version: ApiVersion) => async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    let query
    try {
      query = parseUsersQuery(rawQuery(request), version)
    } catch (err) {
      if (err instanceof ParamError) return sendBadRequest(request, reply, err.message)
      throw err
    }
    return sendUsersPage(request, reply, version, query)
  }

  const description = 'XML unless Accept asks for application/json. Array parameters repeat with their brackets ' +
    '(departments[]=<id>&departments[]=<id>; %5B%5D works too). Kinds combine with AND, values of one kind with OR. ' +
    'Scoped roles (department_administrator, publisher, custom) see only their managed departments and sub-departments; ' +
    'learners get 403. Status: 1 active, 3 inactive or employment ended.'
  app.get('/users', {
    schema: {
      summary: 'List users page by page (v1: employment ended is status 3)',
      description,
      deprecated: true,
      hide,
      querystring: UsersQuerySchema,
      response: { 200: negotiated(UsersPageSchema, 'A page of users; nextPageToken absent on the last page'), ...ERRORS }
    }
  }, list(1))
  app.get('/users/v2', {
    schema: {
      summary: 'List users page by page (v2: employment ended is status 5; userIds[] filter)',
      description: description.replace('3 inactive or employment ended', '3 inactive, 5 employment ended'),
      hide,
      querystring: UsersV2QuerySchema,
      response: { 200: negotiated(UsersPageV2Schema, 'A page of users; nextPageToken absent on the last page'), ...ERRORS }
    }
  }, list(2))
}
