/**
 * The strict raw-query reading every iSpring listing and look-up shares: `name[]` array
 * parameters (also PHP's indexed `name[0]`; brackets literal or percent-encoded, repeated in
 * request order), `pageSize`
 * (1..1000, default 1000) and `pageToken`; anything else, a repeated scalar or a bad value is
 * `Bad Request: <reason>`.
 * https://ispringhelpdocs.com/display/ispringlearn/Getting+a+List+of+Users+Page-by-Page
 */
import { parseQuery } from '../../core/query.js'
import { quote } from './errors.js'

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
  /** PHP keyed parameters (`workLeaveStatus[startDate]=...`): name → key → value. */
  keyed: Map<string, Map<string, string>>
}

/** Why a query is refused, for `Bad Request: <reason>`. */
export class ParamError extends Error {}

/**
 * Reads the raw query: `arrayNames` are the accepted `name[]` parameters (brackets literal or
 * percent-encoded), plus pageSize and pageToken when `paged`. Anything else, a repeated scalar,
 * or a bad value throws ParamError. An empty pageToken means the first page.
 */
export function parseListParams (raw: string, arrayNames: readonly string[], paged: boolean, keyedNames: readonly string[] = []): ListParams {
  const pairs = parseQuery(raw)
  if (pairs === undefined) throw new ParamError('malformed query string')
  const params: ListParams = { arrays: new Map(), pageSize: DEFAULT_PAGE_SIZE, pageToken: undefined, keyed: new Map() }
  const seen = new Set<string>()
  for (const { name, value } of pairs) {
    // `name[]` and PHP's indexed `name[0]` (clients built on http_build_query send the latter), in request order.
    const arrayName = /^[A-Za-z]+\[[0-9]*\]$/.test(name) ? name.slice(0, name.indexOf('[')) : undefined
    if (arrayName !== undefined && arrayNames.includes(arrayName)) {
      const values = params.arrays.get(arrayName)
      if (values === undefined) params.arrays.set(arrayName, [value])
      else values.push(value)
      continue
    }
    const keyed = /^([A-Za-z]+)\[([A-Za-z]+)\]$/.exec(name)
    if (keyed !== null && keyedNames.includes(keyed[1] as string)) {
      const values = params.keyed.get(keyed[1] as string) ?? new Map<string, string>()
      if (values.has(keyed[2] as string)) throw new ParamError(`${name} given more than once`)
      values.set(keyed[2] as string, value)
      params.keyed.set(keyed[1] as string, values)
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
