/**
 * The published package as a user gets it: `npm pack`, installed into a scratch project, then
 * `npx users-api-mock --help` and a real start that serves the shipped tenants, the Swagger UI
 * and HTTPS from the tarball's own files (npm test builds dist/ first).
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx'

t.test('npm pack, install in a scratch project, npx users-api-mock', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'users-api-mock-pack-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const [packed] = JSON.parse(execFileSync(NPM, ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Array<{ filename: string, files: Array<{ path: string }> }>
  const files = (packed as { files: Array<{ path: string }> }).files.map((f) => f.path)
  for (const needed of ['package.json', 'README.md', 'dist/bundle/server.mjs', 'dist/src/index.d.ts', 'dist/src/client/index.d.ts', 'dist/src/msw/index.d.ts', 'fixtures/README.md']) {
    t.ok(files.includes(needed), `the tarball has ${needed}`)
  }
  t.ok(files.some((f) => f.startsWith('dist/swagger-ui/')), 'the Swagger UI assets are packed')
  t.same(files.filter((f) => /^(src|test|bench|scripts)\/|\.ci\//.test(f)), [], 'no sources, tests or CI files')

  const project = join(dir, 'scratch')
  mkdirSync(project)
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }))
  execFileSync(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', join(dir, (packed as { filename: string }).filename)], { cwd: project, stdio: 'ignore', timeout: 180_000 })

  const help = execFileSync(NPX, ['--no-install', 'users-api-mock', '--help'], { cwd: project, encoding: 'utf8' })
  t.match(help, /^users-api-mock: SAP Concur and iSpring Learn user-directory APIs, emulated\n/)
  t.match(help, /--tls\[=true\|false\]\s+TLS\s/)

  const child = spawn(NPX, ['--no-install', 'users-api-mock', '--port', '0', '--tls', '--tls-port', '0', '--state-dir', join(dir, 'state'), '--log-level', 'info'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  t.teardown(() => { try { process.kill(-(child.pid as number), 'SIGTERM') } catch {} })
  const address = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(out)
      if (m !== null && out.includes('HTTPS listening at')) resolve(m[1] as string)
    })
    child.on('exit', (code) => { reject(new Error(`exited ${code}: ${out}`)) })
  })
  const health = await (await fetch(`${address}/health`)).json() as { tenants: Record<string, number> }
  t.same(health.tenants, { concur: 3, ispring: 2 }, 'the shipped tenants load from the installed package')
  t.equal((await fetch(`${address}/docs/static/index.html`)).status, 200, 'Swagger UI from the installed package')
  t.match(await (await fetch(`${address}/__admin/ca.pem`)).text(), /^-----BEGIN CERTIFICATE-----/)
})
