/**
 * A strict query-string reader. Fastify's parsed `request.query` merges repeated names and
 * hides how a name was spelled, but both vendors' rules depend on exactly that (Concur refuses
 * `isActive` and repeats; iSpring repeats `departments[]`), so vendors read the raw pairs.
 */
export interface QueryPair { name: string, value: string }

function decode (text: string): string | undefined {
  try {
    return decodeURIComponent(text.includes('+') ? text.replace(/\+/g, ' ') : text)
  } catch {
    return undefined
  }
}

/**
 * Name/value pairs in order. Empty segments (`a=1&&b=2`) are skipped; a name without `=` has the
 * empty value. Returns undefined when a part is not valid percent-encoding (a 400 for callers).
 */
export function parseQuery (raw: string): QueryPair[] | undefined {
  const pairs: QueryPair[] = []
  if (raw === '') return pairs
  for (const segment of raw.split('&')) {
    if (segment === '') continue
    const eq = segment.indexOf('=')
    const name = decode(eq === -1 ? segment : segment.slice(0, eq))
    const value = eq === -1 ? '' : decode(segment.slice(eq + 1))
    if (name === undefined || value === undefined) return undefined
    pairs.push({ name, value })
  }
  return pairs
}
