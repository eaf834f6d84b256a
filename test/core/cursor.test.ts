import t from 'tap'
import { CursorCodec } from '../../src/core/cursor.js'
import { fromBase64UrlStrict } from '../../src/core/encoding.js'

t.test('a sealed cursor opens only with its binding and secret', async (t) => {
  const codec = new CursorCodec('secret-one')
  const token = codec.seal(1234, 'acct|v2|pageSize=10')
  t.match(token, /^[A-Za-z0-9_-]+$/)
  t.equal(codec.open(token, 'acct|v2|pageSize=10'), 1234)
  t.equal(codec.open(token, 'acct|v1|pageSize=10'), undefined, 'other binding')
  t.equal(new CursorCodec('secret-two').open(token, 'acct|v2|pageSize=10'), undefined, 'other secret')
})

t.test('edited, non-canonical and random tokens fail', async (t) => {
  const codec = new CursorCodec('secret-one')
  const token = codec.seal(5, 'b')
  const bytes = Buffer.from(token, 'base64url')
  bytes[0] = '7'.charCodeAt(0)
  t.equal(codec.open(bytes.toString('base64url'), 'b'), undefined, 'edited position')
  for (const junk of ['', 'a', '====', 'not base64!', `${token}A`, `${token}=`, token.slice(0, -1), 'MmFiZmJhNDItZmE1MS0xMWU5LTk1ZjAtMGE1ODBhZjQwYTgz']) {
    t.equal(codec.open(junk, 'b'), undefined, JSON.stringify(junk))
  }
})

t.test('base64url decoding is canonical', async (t) => {
  t.same(fromBase64UrlStrict('AQI'), Buffer.from([1, 2]))
  t.equal(fromBase64UrlStrict('AQJ'), undefined, 'unused bits set')
  t.equal(fromBase64UrlStrict('AQI='), undefined, 'padding')
  t.equal(fromBase64UrlStrict('A'), undefined)
})
