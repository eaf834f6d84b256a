/**
 * `npm start` builds only when needed: the check says stale when the bundle is missing or older
 * than a source, build setting or the lock file, and fresh otherwise (npm test has just built).
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
// @ts-expect-error: a plain .mjs script without types
import { staleReason } from '../scripts/ensure-built.mjs'

const check = staleReason as (root: string) => string | undefined

t.test('missing, older or newer bundle', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ensure-built-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  mkdirSync(join(root, 'src/core'), { recursive: true })
  mkdirSync(join(root, 'dist/bundle'), { recursive: true })
  const file = (path: string, seconds: number): void => {
    writeFileSync(join(root, path), '')
    utimesSync(join(root, path), seconds, seconds)
  }
  file('package.json', 1000)
  file('src/core/a.ts', 1000)
  // A folder's time moves when a file is added or removed: that counts as a change too.
  for (const dir of ['src', 'src/core']) utimesSync(join(root, dir), 1000, 1000)
  t.equal(check(root), 'dist/bundle/server.mjs does not exist')
  file('dist/bundle/server.mjs', 2000)
  t.equal(check(root), undefined, 'a bundle newer than every input is fresh')
  file('src/core/a.ts', 3000)
  t.equal(check(root), 'src changed since the last build', 'a source edited in a sub-folder')
  file('dist/bundle/server.mjs', 4000)
  file('package-lock.json', 5000)
  t.equal(check(root), 'package-lock.json changed since the last build', 'new dependencies')
})

// Only meaningful right after `npm test` built the checkout; a bare `tap` after an edit is stale.
t.test('the checkout itself is fresh after npm test has built it', { skip: process.env.npm_lifecycle_event !== 'test' && 'run by npm test only' }, async (t) => {
  t.equal(check(process.cwd()), undefined)
})
