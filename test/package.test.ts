/**
 * The package as a user imports it: by name (resolved through package.json "exports" to the
 * built dist/, as after `npm install`), with types a strict TypeScript consumer compiles against.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

t.test('import by package name, build, listen on port 0, call it', async (t) => {
  const lib = await import('users-api-mock') as typeof import('../src/index.js')
  t.equal(createRequire(import.meta.url).resolve('users-api-mock'), join(ROOT, 'dist/src/index.js'), 'resolves to the built entry')
  const app = await lib.buildMockServer({ seed: 1 })
  t.teardown(async () => { await app.close() })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const c = lib.DEMO.concur
  const res = await fetch(`${address}/concur/oauth2/v0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: c.clientId, client_secret: c.clientSecret, grant_type: 'password', username: c.companies.acme.companyId, password: c.companies.acme.requestToken, credtype: 'authtoken' })
  })
  t.equal(res.status, 200)
  await t.rejects(lib.buildMockServer({ port: -1 }), /invalid option port/)
})

t.test('a strict TypeScript consumer type-checks against the published types', async (t) => {
  // Inside the package's own scope, so the name resolves by self-reference, as after npm install.
  mkdirSync(join(ROOT, '.tap'), { recursive: true })
  const dir = mkdtempSync(join(ROOT, '.tap', 'consumer-'))
  writeFileSync(join(dir, 'consumer.ts'), `
import { buildMockServer, DEMO, type MockOptions } from 'users-api-mock'
const options: MockOptions = { port: 0, logLevel: 'silent', journalSize: 10 }
const app = await buildMockServer(options)
const id: '1d3b8a2e-6c0f-4e7a-9b5d-0a1c2e3f4d5e' = DEMO.concur.clientId
await app.close()
export { id }
`)
  writeFileSync(join(dir, 'client.ts'), `
import { MockAdmin, MockAdminError, type TenantView, type FaultView } from 'users-api-mock/client'
const admin = new MockAdmin('http://127.0.0.1:8080', { token: 'secret' })
const tenant: TenantView = await admin.createTenant({
  vendor: 'ispring', id: 'typed', name: 'Typed', accountUrl: 'https://typed.ispringlearn.com',
  departments: [{ id: 'd1000000-0000-4000-8000-000000000001', name: 'Root' }]
})
const ids: string[] = await admin.addUsers('concur', 'acme', [{ ID: 'X', LoginID: 'x@x.test', EmployeeID: 'X', PrimaryEmail: 'x@x.test', FirstName: 'X', LastName: 'Y' }])
await admin.patchUser('ispring', 'demo', 'u', { state: 'inactive' })
const fault: FaultView = await admin.addFault({ action: { status: 503 }, times: 2 })
// @ts-expect-error: a Concur user lacks its required LoginID
await admin.addUsers('concur', 'acme', [{ ID: 'X', EmployeeID: 'X', PrimaryEmail: 'x@x.test', FirstName: 'X', LastName: 'Y' }])
// @ts-expect-error: not a state iSpring knows
await admin.patchUser('ispring', 'demo', 'u', { state: 'gone' })
try { await admin.reset() } catch (err) { if (err instanceof MockAdminError) console.log(err.code, err.status, err.issues.length) }
export { tenant, ids, fault }
`)
  writeFileSync(join(dir, 'msw.ts'), `
import { setupServer } from 'msw/node'
import { buildMockServer } from 'users-api-mock'
import { vendorHandlers } from 'users-api-mock/msw'
const server = setupServer(...vendorHandlers(await buildMockServer(), { baseUrls: ['http://mock.test'] }))
server.listen()
server.close()
`)
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] },
    files: ['consumer.ts', 'client.ts', 'msw.ts']
  }))
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
  const out = (() => {
    try { return execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', cwd: ROOT }) } catch (err) { return String((err as { stdout?: string }).stdout ?? err) }
  })()
  t.equal(out, '', 'no type errors')
})

t.test('the client entry loads no server code', async (t) => {
  const lib = await import('users-api-mock/client') as typeof import('../src/client/index.js')
  t.equal(typeof lib.MockAdmin, 'function')
  const source = readFileSync(join(ROOT, 'dist/src/client/index.js'), 'utf8')
  t.notMatch(source, /^import /m, 'the built client imports nothing')
})

t.test('npm pack ships the built entries and the fixtures, not the sources or tests', async (t) => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'silent' } })
  const files = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((f) => f.path) ?? []
  for (const needed of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/client/index.js', 'dist/src/client/index.d.ts', 'dist/src/msw/index.js', 'dist/bundle/server.mjs', 'fixtures/concur-acme.json', 'fixtures/keys/concur-jwt-dev-key.json', 'dist/swagger-ui/index.html', 'README.md']) {
    t.ok(files.includes(needed), needed)
  }
  t.notOk(files.some((f) => f.startsWith('test/') || f.startsWith('src/')), 'no tests or TypeScript sources')
})
