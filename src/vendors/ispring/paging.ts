/**
 * iSpring's page-by-page reading: `pageSize` (1..1000, default 1000) and the opaque `pageToken`
 * of the previous page. Results are ascending lists of creation positions; a page is a slice
 * found by binary search from the cursor's position, and the cursor (core CursorCodec) names the
 * next page's first position, sealed to the account, endpoint, filters, page size and the
 * caller's scope. Strict raw-query parsing lives here too, shared by every listing route.
 * https://ispringhelpdocs.com/display/ispringlearn/Getting+a+List+of+Users+Page-by-Page
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
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

/** Index of the first item of the ascending `list` that is >= `value`. */
export function lowerBound (list: readonly number[], value: number): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((list[mid] as number) < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function includesSorted (list: readonly number[], value: number): boolean {
  return list[lowerBound(list, value)] === value
}

/** The ascending union, without repeats, of ascending lists. */
export function unionSorted (lists: ReadonlyArray<readonly number[]>): readonly number[] {
  const nonEmpty = lists.filter((l) => l.length > 0)
  if (nonEmpty.length === 0) return []
  if (nonEmpty.length === 1) return nonEmpty[0] as readonly number[]
  const all = nonEmpty.flat().sort((a, b) => a - b)
  const out: number[] = []
  for (const p of all) if (out[out.length - 1] !== p) out.push(p)
  return out
}

/** The ascending intersection of ascending lists (work: the shortest list times log of the others). */
export function intersectSorted (lists: ReadonlyArray<readonly number[]>): readonly number[] {
  if (lists.length === 0) return []
  const sorted = [...lists].sort((a, b) => a.length - b.length)
  let result = sorted[0] as readonly number[]
  for (const other of sorted.slice(1)) {
    if (result.length === 0) break
    result = result.filter((p) => includesSorted(other, p))
  }
  return result
}

export interface Page {
  positions: readonly number[]
  /** Position of the next page's first item; undefined on the last page. */
  next: number | undefined
}

/**
 * The page of `size` items starting at the first item whose position is >= `start`. `list`
 * undefined means every position below `total`.
 */
export function pageOf (list: readonly number[] | undefined, total: number, start: number, size: number): Page {
  if (list === undefined) {
    const from = Math.min(start, total)
    const to = Math.min(from + size, total)
    const positions: number[] = []
    for (let p = from; p < to; p++) positions.push(p)
    return { positions, next: to < total ? to : undefined }
  }
  const from = lowerBound(list, start)
  return { positions: list.slice(from, from + size), next: list[from + size] }
}

/** What a page token is sealed to: a token replayed with any other of these gives 400. */
export function pageBinding (parts: { tenantId: string, accountUrl: string, endpoint: string, filters: string, pageSize: number, scope: string }): string {
  return JSON.stringify([parts.tenantId, parts.accountUrl, parts.endpoint, parts.filters, parts.pageSize, parts.scope])
}

/**
 * Where the requested page starts: 0 without a token, the sealed position for a token of this
 * binding; undefined after answering 400 `Bad Request: invalid pageToken` for any other token.
 */
export function pageStart (request: FastifyRequest, reply: FastifyReply, token: string | undefined, binding: string): number | undefined {
  if (token === undefined) return 0
  const position = request.server.mock.cursors.open(token, binding)
  if (position === undefined) sendBadRequest(request, reply, 'invalid pageToken')
  return position
}
