import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import t from 'tap'
import { buildMockServer } from '../../src/app.js'
import { FixtureError } from '../../src/core/tenants.js'

const acme = JSON.parse(readFileSync(new URL('../../fixtures/concur-acme.json', import.meta.url), 'utf8'))

function dirWith (files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'uam-fixtures-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

async function loadError (files: Record<string, string>): Promise<{ message: string, file: string }> {
  const dir = dirWith(files)
  try {
    await buildMockServer({ shippedFixtures: false, fixturesDir: dir })
  } catch (err) {
    if (err instanceof FixtureError) return { message: err.message, file: relative(process.cwd(), join(dir, Object.keys(files)[0] as string)) }
    throw err
  }
  throw new Error('the fixtures loaded')
}

const variant = (patch: Record<string, unknown>) => JSON.stringify({ ...acme, id: 'x', companyId: '99999999-2d4f-4b6a-8c0e-1f3a5b7d9e02', ...patch })

t.test('a bad fixture file names the file, the JSON path and the problem', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['invalid JSON', '{"vendor": "concur",', '$: invalid JSON:'],
    ['not an object', '[1, 2]', '$: must be a JSON object (one tenant per file)'],
    ['unknown vendor', '{"vendor": "workday"}', '$.vendor: vendor must be one of "concur"'],
    ['wrong type', variant({ generate: { seed: 'one', users: 5 } }), '$.generate.seed: must be integer'],
    ['unknown property', variant({ colour: 'red' }), '$.colour: is not an allowed property'],
    ['bad user field', variant({ users: [{ ID: 'a', LoginID: 'a', PrimaryEmail: 'a', EmployeeID: 'a', FirstName: 'A', LastName: 'B', Active: 'yes' }] }), '$.users[0].Active: must be boolean'],
    ['duplicate login', variant({ users: [{ ID: 'a', LoginID: 'same@x', PrimaryEmail: 'a', EmployeeID: 'a', FirstName: 'A', LastName: 'B' }, { ID: 'b', LoginID: 'SAME@x', PrimaryEmail: 'b', EmployeeID: 'b', FirstName: 'A', LastName: 'B' }] }), '$.users[1].LoginID: duplicate LoginID "SAME@x"'],
    ['dangling client', variant({ requestTokens: [{ token: 't', clientId: 'nobody' }] }), '$.requestTokens[0].clientId: "nobody" is not one of this company\'s clients'],
    ['bad company id', variant({ companyId: 'not-a-uuid' }), '$.companyId: must match pattern']
  ]
  for (const [name, text, expected] of cases) {
    const { message, file } = await loadError({ 'bad.json': text })
    t.ok(message.startsWith(`${file}: ${expected}`), `${name}: ${message}`)
  }
})

t.test('two files with the same company id or tenant id are refused', async (t) => {
  const { message } = await loadError({ 'a.json': variant({}), 'b.json': variant({ id: 'y' }) })
  t.match(message, /b\.json: \$: 99999999-2d4f-4b6a-8c0e-1f3a5b7d9e02 is already used by concur tenant "x"/)
  const sameId = await loadError({ 'a.json': variant({}), 'b.json': variant({ companyId: '88888888-2d4f-4b6a-8c0e-1f3a5b7d9e02' }) })
  t.match(sameId.message, /b\.json: \$: concur tenant "x" already exists/)
})

t.test('an extra directory adds tenants to the shipped ones', async (t) => {
  const app = await buildMockServer({ fixturesDir: dirWith({ 'extra.json': variant({}) }) })
  t.teardown(async () => { await app.close() })
  t.same(app.mock.store.list('concur').map((c) => c.id), ['acme', 'company-name-llc', 'globex', 'x'])
})

t.test('a missing fixtures directory is an error, not an empty mock', async (t) => {
  await t.rejects(buildMockServer({ fixturesDir: join(tmpdir(), 'uam-does-not-exist') }), { name: 'Error', message: /cannot read fixtures directory \(ENOENT\)/ })
})
