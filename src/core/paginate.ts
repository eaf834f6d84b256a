/**
 * Cursor paging for any vendor (after moto's `Paginator.paginate`): the list of positions a
 * query matches, the page size and the token of the previous page give this page's positions and
 * the sealed token of the next one. A token opens only with the binding it was sealed to, which
 * names everything the pages depend on (account, endpoint, filters, page size, scope), so the
 * binding plus the token also name the page for the page cache.
 */
import type { CursorCodec } from './cursor.js'
import type { DirectoryVersion } from './page-cache.js'
import { sliceFrom } from './positions.js'

/** A token made up, edited, or sealed to another binding; each vendor answers it with its own 400. */
export class InvalidPageToken extends Error {
  constructor () {
    super('invalid page token')
  }
}

export interface PageRequest {
  binding: string
  /** The previous page's `next`; undefined for the first page. */
  token: string | undefined
  size: number
}

export interface Paginated {
  page: readonly number[]
  /** Undefined on the last page. */
  next: string | undefined
}

/** One page of `list` (ascending positions; undefined: every position below `total`). */
export function paginate (cursors: CursorCodec, { binding, token, size }: PageRequest, list: readonly number[] | undefined, total: number): Paginated {
  const start = token === undefined ? 0 : cursors.open(token, binding)
  if (start === undefined) throw new InvalidPageToken()
  const { positions, next } = sliceFrom(list, total, start, size)
  return { page: positions, next: next === undefined ? undefined : cursors.seal(next, binding) }
}

/**
 * The page-cache key of a page: its directory's version, what else shapes the bytes (`variant`:
 * format...), the binding and the token (last: a valid token has no `|`).
 */
export function pageKey (version: DirectoryVersion, variant: string, { binding, token }: PageRequest): string {
  return `${version.key}|${variant}|${binding}|${token ?? ''}`
}
