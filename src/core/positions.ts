/**
 * Both vendors answer a listing from ascending lists of record positions (creation order, the
 * order every listing returns): index entries, filters AND-ed by intersection, OR-ed by union,
 * and a page is a slice. `undefined` stands for "every position below `total`", so an unfiltered
 * listing never builds the list.
 */

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

/** The items at indexes `from` to `from + size` (offset paging). */
export function sliceAt (list: readonly number[] | undefined, total: number, from: number, size: number): readonly number[] {
  if (list !== undefined) return list.slice(from, from + size)
  const positions: number[] = []
  for (let p = from, to = Math.min(from + size, total); p < to; p++) positions.push(p)
  return positions
}

/**
 * The `size` items from the first whose position is >= `start` (cursor paging), and the
 * position of the item after them, undefined at the end.
 */
export function sliceFrom (list: readonly number[] | undefined, total: number, start: number, size: number): { positions: readonly number[], next: number | undefined } {
  const from = list === undefined ? Math.min(start, total) : lowerBound(list, start)
  const positions = sliceAt(list, total, from, size)
  if (list !== undefined) return { positions, next: list[from + size] }
  const to = from + positions.length
  return { positions, next: to < total ? to : undefined }
}
