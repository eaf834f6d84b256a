/**
 * Fixture robustness: every file of test/fixtures-corpus/ is one broken tenant (bad JSON, wrong
 * types, duplicate ids, dangling department/group/user references, cycles in the department
 * tree, unknown roles...). The built server given that file alone exits 1 with a line naming
 * the file, the JSON path and the problem, and never listens; a good file beside a broken one
 * does not start either (all or nothing). The admin API refuses the same bodies with 400 and
 * keeps its tenants as they were.
 */
import { spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { build } from '../helper.js'

const SERVER = fileURLToPath(new URL('../../dist/bundle/server.mjs', import.meta.url))
const CORPUS = fileURLToPath(new URL('../fixtures-corpus/', import.meta.url))

/** File → the JSON path and the problem its line must name. */
const EXPECTED: Record<string, [string, RegExp]> = {
  'bad-json-comment.json': ['$', /invalid JSON: Unexpected token/],
  'bad-json-empty.json': ['$', /invalid JSON: Unexpected end of JSON input/],
  'bad-json-trailing-comma.json': ['$', /invalid JSON: .*position 42/],
  'bad-json-truncated.json': ['$', /invalid JSON: Unterminated string/],
  'not-an-object.json': ['$', /must be a JSON object \(one tenant per file\)/],
  'unknown-vendor.json': ['$.vendor', /vendor must be one of "concur", "ispring"/],
  'concur-wrong-type-users.json': ['$.users', /must be array/],
  'concur-wrong-type-active.json': ['$.users[1].Active', /must be boolean/],
  'concur-wrong-type-company.json': ['$.company', /must be object/],
  'concur-missing-company-id.json': ['$', /must have required properties companyId/],
  'concur-duplicate-user-id.json': ['$.users[1].ID', /duplicate ID "0bad0000-0000-4000-8000-000000000001" \(also users\[0\]\)/],
  'concur-duplicate-login.json': ['$.users[1].LoginID', /duplicate LoginID "ONE@broken.test"/],
  'concur-duplicate-client.json': ['$.clients[1].clientId', /duplicate clientId/],
  'concur-dangling-client.json': ['$.requestTokens[0].clientId', /is not one of this company's clients/],
  'concur-generate-too-many.json': ['$.generate.users', /must be <= 1000000/],
  'concur-unknown-property.json': ['$.users[0].Department', /is not an allowed property/],
  'ispring-wrong-type-departments.json': ['$.departments', /must be array/],
  'ispring-wrong-type-generate.json': ['$.generate.users', /must be integer/],
  'ispring-bad-uuid.json': ['$.users[0].userId', /must match pattern/],
  'ispring-bad-date.json': ['$.users[1].addedDate', /must match pattern/],
  'ispring-bad-account-url.json': ['$.accountUrl', /must match pattern/],
  'ispring-duplicate-user-id.json': ['$.users[1].userId', /duplicate userId .* \(also users\[0\]\)/],
  'ispring-duplicate-email.json': ['$.users[1].email', /duplicate email "Owner@Broken.test"/],
  'ispring-duplicate-department-id.json': ['$.departments[2].id', /duplicate department id .* \(also departments\[1\]\)/],
  'ispring-duplicate-group-id.json': ['$.groups[1].id', /duplicate group id/],
  'ispring-dangling-department.json': ['$.users[1].departmentId', /no department has id "0bad0000-0000-4000-8000-00000000d999"/],
  'ispring-dangling-parent.json': ['$.departments[2].parentId', /no department has id/],
  'ispring-dangling-group.json': ['$.users[0].groups[1]', /no group has id/],
  'ispring-dangling-managed-department.json': ['$.users[1].manageableDepartmentIds[0]', /no department has id/],
  'ispring-dangling-supervisor.json': ['$.users[1].subordination.supervisorId', /no user has id/],
  'ispring-dangling-api-client.json': ['$.apiClients[0].actsAs', /no hand-written user has id/],
  'ispring-cycle.json': ['$.departments[1].parentId', /makes a cycle in the department tree/],
  'ispring-cycle-self.json': ['$.departments[2].parentId', /makes a cycle in the department tree/],
  'ispring-cycle-no-root.json': ['$.departments', /has no root department/],
  'ispring-two-roots.json': ['$.departments[2].parentId', /is required: departments\[0\] is already the root/],
  'ispring-unknown-role.json': ['$.users[1].role', /must be one of "owner", "administrator", "department_administrator", "publisher", "author", "learner", "custom"/],
  'ispring-unknown-custom-role.json': ['$.users[1].roleId', /unknown role .*: not one of the file's customRoles/],
  'ispring-role-id-on-built-in-role.json': ['$.users[0].roleId', /roleId is only for role "custom"/],
  'ispring-learner-manages.json': ['$.users[1].manageableDepartmentIds', /only department_administrator, publisher and custom users manage departments, not learner/],
  'ispring-unknown-state.json': ['$.users[1].state', /must be one of "active", "inactive", "employment_ended"/]
}

interface Run { code: number | null, stdout: string, stderr: string }

async function start (dir: string): Promise<Run> {
  return await new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER, '--shipped-fixtures', 'false', '--fixtures', dir, '--port', '0', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    // A server that did start is stopped at once; its listening line stays in stdout.
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      if (stdout.includes('Server listening')) child.kill('SIGTERM')
    })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const guard = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.on('close', (code) => { clearTimeout(guard); resolve({ code, stdout, stderr }) })
  })
}

function withFiles (files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'uam-corpus-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

const corpus = readdirSync(CORPUS).filter((n) => n.endsWith('.json')).sort()

t.test('every corpus file has its expectation, and every expectation its file', async (t) => {
  t.same(corpus, Object.keys(EXPECTED).sort())
})

t.test('each broken file alone stops the start: exit 1, file + JSON path + problem, nothing listened', async (t) => {
  const queue = [...corpus]
  const results = new Map<string, Run>()
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const dir = mkdtempSync(join(tmpdir(), 'uam-corpus-'))
      copyFileSync(join(CORPUS, name), join(dir, name))
      results.set(name, await start(dir))
      rmSync(dir, { recursive: true, force: true })
    }
  }))
  for (const name of corpus) {
    const run = results.get(name) as Run
    const [path, problem] = EXPECTED[name] as [string, RegExp]
    t.test(name, async (t) => {
      t.equal(run.code, 1, 'exit code 1')
      t.match(run.stderr, /^users-api-mock: cannot load tenant fixtures:\n/, 'says what failed')
      const line = run.stderr.split('\n').find((l) => l.includes(`${name}: ${path}: `))
      t.ok(line, `a line names ${name} and ${path}: ${run.stderr}`)
      t.match(line ?? '', problem, 'and the problem')
      t.notMatch(run.stderr, /\n\s+at \S+ \(/, 'no stack trace')
      t.notMatch(run.stdout, /Server listening/, 'never listened')
    })
  }
})

t.test('all or nothing: a good tenant beside a broken one does not start, nor do two files with one tenant id', async (t) => {
  const good = readFileSync(new URL('../../fixtures/concur-company-name-llc.json', import.meta.url), 'utf8')
  const mixed = await start(withFiles({ 'a-good.json': good, 'b-broken.json': readFileSync(join(CORPUS, 'ispring-cycle.json'), 'utf8') }))
  t.equal(mixed.code, 1)
  t.match(mixed.stderr, /b-broken\.json: \$\.departments\[1\]\.parentId: makes a cycle/)
  t.notMatch(mixed.stdout, /Server listening/)
  const twice = await start(withFiles({ 'one.json': good, 'two.json': good }))
  t.equal(twice.code, 1)
  t.match(twice.stderr, /two\.json: \$: concur tenant "company-name-llc" already exists/)
  t.notMatch(twice.stdout, /Server listening/)
  const sameCompany = await start(withFiles({ 'one.json': good, 'two.json': JSON.stringify({ ...JSON.parse(good) as object, id: 'other-id' }) }))
  t.equal(sameCompany.code, 1)
  t.match(sameCompany.stderr, /two\.json: \$: 7c2b6e4a-1f0d-4c8b-9a3e-5d6f7a8b9c01 is already used by concur tenant "company-name-llc"/)
  const alone = await start(withFiles({ 'a-good.json': good }))
  t.match(alone.stdout, /Server listening/, 'the good file alone starts')
})

t.test('the admin API refuses each corpus body with 400 and keeps its tenants', async (t) => {
  const app = await build(t)
  const before = (await app.inject({ method: 'GET', url: '/__admin/tenants' })).body
  for (const name of corpus) {
    const res = await app.inject({ method: 'POST', url: '/__admin/tenants', headers: { 'content-type': 'application/json' }, payload: readFileSync(join(CORPUS, name)) })
    t.equal(res.statusCode, 400, name)
    const body = res.json() as { code: string, message: string }
    t.match(body.code, /^(MOCK_INVALID_FIXTURE|FST_ERR_CTP_INVALID_JSON_BODY|FST_ERR_CTP_EMPTY_JSON_BODY|FST_ERR_VALIDATION)$/, `${name}: ${body.message}`)
  }
  t.equal((await app.inject({ method: 'GET', url: '/__admin/tenants' })).body, before, 'no tenant was added or changed')
})
