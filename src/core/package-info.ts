/**
 * Where the package lives and what it is called. Compiled code runs from dist/src/..., tests run
 * the sources from src/..., so the root is found by walking up to our package.json instead of a
 * fixed relative path.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate) && JSON.parse(readFileSync(candidate, 'utf8')).name === 'users-api-mock') return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error('users-api-mock: cannot find the package root (package.json)')
    dir = parent
  }
}

export const PACKAGE_ROOT = findRoot()
const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string, version: string }
export const PACKAGE_NAME = pkg.name
export const PACKAGE_VERSION = pkg.version
/** Value of the X-Mock-Server header on every response. */
export const SERVER_ID = `${pkg.name}/${pkg.version}`
/** The fixtures shipped with the package. */
export const SHIPPED_FIXTURES_DIR = join(PACKAGE_ROOT, 'fixtures')
