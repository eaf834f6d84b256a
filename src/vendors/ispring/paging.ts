/**
 * iSpring's page-by-page reading: `pageSize` (1..1000, default 1000) and the opaque `pageToken`
 * of the previous page. Pages come from core paginate; the cursor names the next page's first
 * position, sealed to the account, endpoint, filters, page size and the caller's scope. Strict
 * raw-query parsing lives here too, shared by every listing route.
 * https://ispringhelpdocs.com/display/ispringlearn/Getting+a+List+of+Users+Page-by-Page
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidPageToken, paginate, type PageRequest, type Paginated } from '../../core/paginate.js'
import { parseQuery } from '../../core/query.js'
import { quote, sendBadRequest } from './errors.js'

export const MAX_PAGE_SIZE = 1000
export const DEFAULT_PAGE_SIZE = 1000

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isUuid (text: string): boolean {
  return UUID.test(text)
}

export interface ListParams {
  /** Values of each array parameter given (name without brackets), in request order. */
  arrays: Map<string, string[]>
  pageSize: number
  pageToken: string | undefined
}

/** Why a query is refused, for `Bad Request: <reason>`. */
export class ParamError extends Error {}

/**
 * Reads the raw query: `arrayNames` are the accepted `name[]` parameters (brackets literal or
 * percent-encoded), plus pageSize and pageToken when `paged`. Anything else, a repeated scalar,
 * or a bad value throws ParamError. An empty pageToken means the first page.
 */
export function parseListParams (raw: string, arrayNames: readonly string[], paged: boolean): ListParams {
  const pairs = parseQuery(raw)
  if (pairs === undefined) throw new ParamError('malformed query string')
  const params: ListParams = { arrays: new Map(), pageSize: DEFAULT_PAGE_SIZE, pageToken: undefined }
  const seen = new Set<string>()
  for (const { name, value } of pairs) {
    const arrayName = name.endsWith('[]') ? name.slice(0, -2) : undefined
    if (arrayName !== undefined && arrayNames.includes(arrayName)) {
      const values = params.arrays.get(arrayName)
      if (values === undefined) params.arrays.set(arrayName, [value])
      else values.push(value)
      continue
    }
    if (!paged || (name !== 'pageSize' && name !== 'pageToken')) throw new ParamError(`unknown parameter ${quote(name).slice(1, -1)}`)
    if (seen.has(name)) throw new ParamError(`${name} given more than once`)
    seen.add(name)
    if (name === 'pageSize') {
      const size = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN
      if (!(size >= 1 && size <= MAX_PAGE_SIZE)) throw new ParamError(`pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${quote(value)}`)
      params.pageSize = size
    } else if (value !== '') {
      params.pageToken = value
    }
  }
  return params
}

/** The UUIDs of one array parameter, lower-cased; throws for a malformed one. */
export function uuidValues (params: ListParams, name: string): string[] | undefined {
  const values = params.arrays.get(name)
  if (values === undefined) return undefined
  return values.map((v) => {
    if (!isUuid(v)) throw new ParamError(`${name}[] must hold UUIDs, got ${quote(v)}`)
    return v.toLowerCase()
  })
}

/** What a page token is sealed to: a token replayed with any other of these gives 400. */
export function pageBinding (parts: { tenantId: string, accountUrl: string, endpoint: string, filters: string, pageSize: number, scope: string }): string {
  return JSON.stringify([parts.tenantId, parts.accountUrl, parts.endpoint, parts.filters, parts.pageSize, parts.scope])
}

/** The caller's request for one page of `endpoint` (with its filters in canonical form). */
export function pageRequest (
  caller: { tenant: { id: string }, account: { accountUrl: string }, scope: { key: string } },
  endpoint: string, filters: string, params: { pageSize: number, pageToken: string | undefined }
): PageRequest {
  const binding = pageBinding({ tenantId: caller.tenant.id, accountUrl: caller.account.accountUrl, endpoint, filters, pageSize: params.pageSize, scope: caller.scope.key })
  return { binding, token: params.pageToken, size: params.pageSize }
}

/** The page (core paginate); undefined after answering 400 `Bad Request: invalid pageToken`. */
export function readPage (request: FastifyRequest, reply: FastifyReply, page: PageRequest, list: readonly number[] | undefined, total: number): Paginated | undefined {
  try {
    return paginate(request.server.mock.cursors, page, list, total)
  } catch (err) {
    if (!(err instanceof InvalidPageToken)) throw err
    sendBadRequest(request, reply, 'invalid pageToken')
    return undefined
  }
}
