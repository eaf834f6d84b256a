/**
 * Get Users Bulk API: `GET /users/` with Concur's strict, lower-case, case-sensitive query
 * parameters (anything else is 400 "invalid query params"), offset paging and AND-combined
 * filters answered from indexes. Pages are assembled from per-user JSON cached by the directory.
 * https://preview.developer.concur.com/api-reference/authentication/get-users31.html
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { intersectSorted, sliceAt } from '../../core/positions.js'
import { parseQuery } from '../../core/query.js'
import { rawQuery } from '../../core/routing.js'
import { FILTERABLE, filterKey, type UserDirectory } from './data.js'
import { sendMessageError } from './errors.js'
import { callerOf, type ConcurAuth } from './oauth.js'
import { MessageErrorSchema, UsersPageSchema } from './schemas.js'

export const MAX_LIMIT = 1000
export const DEFAULT_LIMIT = 100
const ALLOWED = new Set(['offset', 'limit', 'isactive', ...FILTERABLE])
const DIGITS = /^[0-9]+$/
const COMMA = Buffer.from(',')
const CLOSE = Buffer.from(']}')
const JSON_TYPE = 'application/json; charset=utf-8'

type Filter = { name: typeof FILTERABLE[number], key: string }

export interface UsersQuery { offset: number, limit: number, isactive: boolean | undefined, filters: Filter[] }

/** Parses the raw query string by Concur's rules; undefined means 400 "invalid query params". */
export function parseUsersQuery (raw: string): UsersQuery | undefined {
  const pairs = parseQuery(raw)
  if (pairs === undefined) return undefined
  const seen = new Set<string>()
  const query: UsersQuery = { offset: 0, limit: DEFAULT_LIMIT, isactive: undefined, filters: [] }
  for (const { name, value } of pairs) {
    if (!ALLOWED.has(name) || seen.has(name)) return undefined
    seen.add(name)
    if (name === 'offset' || name === 'limit') {
      if (!DIGITS.test(value)) return undefined
      const n = Number(value)
      if (!Number.isSafeInteger(n)) return undefined
      if (name === 'limit' && (n < 1 || n > MAX_LIMIT)) return undefined
      query[name] = n
    } else if (name === 'isactive') {
      if (value !== 'true' && value !== 'false') return undefined
      query.isactive = value === 'true'
    } else {
      const filter = name as Filter['name']
      query.filters.push({ name: filter, key: filterKey(filter, value) })
    }
  }
  return query
}

/** Positions of the matching users, in creation order (filters AND-ed: the core intersection). */
export function matchUsers (directory: UserDirectory, query: UsersQuery): { positions: readonly number[] | undefined, total: number } {
  if (query.filters.length === 0 && query.isactive === undefined) {
    return { positions: undefined, total: directory.users.length }
  }
  const candidates: (readonly number[])[] = query.filters.map((f) => directory.lookup(f.name, f.key))
  if (query.isactive !== undefined) candidates.push(directory.byActive(query.isactive))
  const positions = candidates.length === 1 ? candidates[0] as readonly number[] : intersectSorted(candidates)
  return { positions, total: positions.length }
}

export function registerUserRoutes (app: FastifyInstance, auth: ConcurAuth): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const clock = app.mock.clock
    const { company } = callerOf(request)
    const directory = company.directory
    // The page depends on the directory's contents and the raw query only (company is fixed).
    const raw = rawQuery(request)
    const key = `${directory.version.key}|${raw}`
    const cached = app.mock.pages.get(key)
    if (cached !== undefined) return reply.type(JSON_TYPE).send(cached)
    const query = parseUsersQuery(raw)
    if (query === undefined) return sendMessageError(reply, 400, 'invalid query params', clock.now())
    const { positions, total } = matchUsers(directory, query)
    const parts: Buffer[] = [Buffer.from(`{"total":${total},"offset":${query.offset},"limit":${query.limit},"company":${company.companyJson},"Items":[`)]
    sliceAt(positions, total, query.offset, query.limit).forEach((p, i) => {
      if (i > 0) parts.push(COMMA)
      parts.push(directory.json(p))
    })
    parts.push(CLOSE)
    const page = Buffer.concat(parts)
    app.mock.pages.set(key, page)
    return reply.type(JSON_TYPE).send(page)
  }
  const schema = {
    summary: 'Get Users Bulk API: list the company\'s users (offset paging, filters)',
    description: 'Query parameters are lower-case and case-sensitive: offset, limit (1..1000, default 100), isactive, loginid, lastname, employeeid, primaryemail, countrycode, id. Any other name, a repeat or a bad value is 400.',
    response: { 200: UsersPageSchema, 400: MessageErrorSchema, 401: MessageErrorSchema }
  }
  app.get('/users/', { schema, preHandler: auth.authenticated }, handler)
  app.get('/users', { schema: { ...schema, hide: true }, preHandler: auth.authenticated }, handler)
}
