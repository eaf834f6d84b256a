import t from 'tap'
import { setBounded } from '../../src/core/bounded.js'

t.test('setBounded keeps at most max entries, the oldest insertion leaving first', async (t) => {
  const map = new Map<string, number>()
  t.equal(setBounded(map, 'a', 1, 2), 1, 'returns the value')
  setBounded(map, 'b', 2, 2)
  setBounded(map, 'a', 10, 2)
  t.same([...map], [['a', 10], ['b', 2]], 'replacing a key evicts nothing')
  setBounded(map, 'c', 3, 2)
  t.same([...map], [['b', 2], ['c', 3]], '"a" was inserted first and left')
})
