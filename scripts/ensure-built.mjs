// `npm start` runs this first: it builds (tsc + bundle) only when the bundle is missing or older
// than what it is built from, so a second start costs a few file stats, not a five-second build.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const OUTPUT = 'dist/bundle/server.mjs'
/** What the bundle is made from: sources, build settings and the locked dependencies. */
export const INPUTS = ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/bundle.mjs']

function newestMtime (path) {
  let stat
  try {
    stat = statSync(path)
  } catch {
    return 0
  }
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)))
  return newest
}

/** Why `root` needs a build, or undefined when its bundle is newer than every input. */
export function staleReason (root) {
  let built
  try {
    built = statSync(join(root, OUTPUT)).mtimeMs
  } catch {
    return `${OUTPUT} does not exist`
  }
  for (const input of INPUTS) {
    if (newestMtime(join(root, input)) > built) return `${input} changed since the last build`
  }
  return undefined
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const reason = staleReason(process.cwd())
  if (reason !== undefined) {
    process.stderr.write(`building: ${reason}\n`)
    const npm = process.env.npm_execpath
    const result = npm === undefined
      ? spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' })
      : spawnSync(process.execPath, [npm, 'run', 'build'], { stdio: 'inherit' })
    process.exit(result.status ?? 1)
  }
}
