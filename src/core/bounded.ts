/**
 * The one eviction rule of the mock's small memo maps (verified JWTs, page-token seals, Accept
 * values, derived position lists): at most `max` entries, the oldest insertion leaves first.
 */
export function setBounded<K, V> (map: Map<K, V>, key: K, value: V, max: number): V {
  if (!map.has(key) && map.size >= max) map.delete(map.keys().next().value as K)
  map.set(key, value)
  return value
}
