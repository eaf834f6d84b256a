import t from 'tap'
import { adminCall, build, concurToken, concurUsers } from '../helper.js'

const SEED_SAMPLE = '{"total":2,"offset":0,"limit":100,"company":{"name":"Company Name LLC","address":"601 108th ave NE","city":"Bellevue","state":"WA","zip":"98004","country":"US"},"Items":[{"Active":true,"CountryCode":"US","CellPhoneNumber":"5551234567","PrimaryEmail":"johndoe@gmail.com","EmployeeID":"johndoe@gmail.com","ID":"99BFFFC3-C0BE-44FF-A441-AE1FFFFFF75B8","Emails":["PrimaryEmail","VerifiedEmail","email2","email3","email4","email5"],"OrganizationUnit":null,"MiddleName":"","LastName":"Doe","FirstName":"John","LoginID":"johndoe@gmail.com"},{"Active":true,"CountryCode":"US","CellPhoneNumber":null,"PrimaryEmail":"janedoe@gmail.com","EmployeeID":"janedoe@gmail.com","ID":"55FFF504-C7B8-49FF-9E15-6248FFFFFCDB","Emails":["PrimaryEmail","VerifiedEmail","email2","email3","email4","email5"],"OrganizationUnit":null,"MiddleName":"","LastName":"Doe","FirstName":"Jane","LoginID":"janedoe@gmail.com"}]}'

interface Page { total: number, offset: number, limit: number, Items: Array<Record<string, unknown> & { LoginID: string, ID: string }> }

t.test('company-name-llc returns the seed sample byte for byte', async (t) => {
  const app = await build(t)
  const { access_token: token } = await concurToken(app)
  for (const path of ['/concur/users/', '/concur/users']) {
    const res = await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${token}` } })
    t.equal(res.statusCode, 200, `${path} answers 200, never a redirect`)
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    t.match(res.headers['concur-correlationid'], /^[0-9a-f-]{36}$/)
    t.equal(res.body, SEED_SAMPLE, `${path} body`)
  }
})

t.test('401 without, with a malformed, a forged or an unknown-company token', async (t) => {
  const app = await build(t)
  const { access_token: token } = await concurToken(app)
  const [header, payload] = token.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
  const edited = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: '3a9c5e7b-2d4f-4b6a-8c0e-1f3a5b7d9e02' })).toString('base64url')}.${token.split('.')[2]}`
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`
  const variants: Array<[string, Record<string, string>]> = [
    ['no header', {}],
    ['not bearer', { authorization: `Basic ${token}` }],
    ['garbage', { authorization: 'Bearer not-a-jwt' }],
    ['edited payload', { authorization: `Bearer ${edited}` }],
    ['alg none', { authorization: `Bearer ${none}` }],
    ['empty bearer', { authorization: 'Bearer ' }]
  ]
  for (const [name, headers] of variants) {
    const res = await app.inject({ method: 'GET', url: '/concur/users/', headers })
    t.equal(res.statusCode, 401, name)
    const body = res.json()
    t.same(Object.keys(body), ['Message', 'Server-Time', 'Id'], `${name}: envelope keys`)
    t.equal(body.Message, 'Authorization Required')
    t.equal(body.Id, res.headers['concur-correlationid'], `${name}: Id is the correlation id`)
    t.equal(body['Server-Time'], new Date(body['Server-Time']).toISOString(), `${name}: Server-Time is ISO-8601 UTC`)
  }
  await adminCall(app, 'DELETE', '/tenants/concur/company-name-llc')
  t.equal((await concurUsers(app, token)).statusCode, 401, 'company removed')
})

t.test('query parameter rules', async (t) => {
  const app = await build(t)
  const { access_token: token } = await concurToken(app, 'acme')
  const bad = [
    'isActive=true', 'LoginID=x', 'Limit=5', 'OFFSET=0', 'lastName=x', 'ID=x', 'Offset=1', 'countryCode=US', 'primaryEmail=x', 'employeeId=x', 'loginId=x',
    'unknown=1', 'limit=5&limit=5', 'loginid=a&loginid=b', 'limit=0', 'limit=1001', 'limit=-1', 'limit=abc', 'limit=1.5', 'limit=', 'limit',
    'offset=-1', 'offset=x', 'offset=1e3', 'offset=99999999999999999999', 'isactive=True', 'isactive=1', 'isactive=', 'limit=%zz', '%zz=1'
  ]
  for (const q of bad) {
    const res = await concurUsers(app, token, q)
    t.equal(res.statusCode, 400, q)
    t.equal(res.json().Message, 'invalid query params', `${q}: message`)
    t.equal(res.json().Id, res.headers['concur-correlationid'])
  }
  const limit1000 = await concurUsers(app, token, 'limit=1000')
  t.equal(limit1000.statusCode, 200)
  t.equal((limit1000.json() as Page).Items.length, 1000)
  t.equal((limit1000.json() as Page).limit, 1000)
  const limit1001 = await concurUsers(app, token, 'limit=1001')
  t.equal(limit1001.statusCode, 400, 'limit=1001 is refused, not clamped')
  const encodedName = await concurUsers(app, token, '%6Cimit=2')
  t.equal(encodedName.statusCode, 200, 'a percent-encoded name is the same name')
  t.equal((encodedName.json() as Page).Items.length, 2)
  const empties = await concurUsers(app, token, 'limit=2&&offset=1&')
  t.equal(empties.statusCode, 200, 'empty segments are ignored')
  t.same([(empties.json() as Page).offset, (empties.json() as Page).limit], [1, 2])
})

t.test('defaults, offset paging and offsets past the end', async (t) => {
  const app = await build(t)
  const { access_token: token } = await concurToken(app, 'acme')
  const first = (await concurUsers(app, token)).json() as Page
  t.same([first.total, first.offset, first.limit, first.Items.length], [2500, 0, 100, 100])
  const tail = (await concurUsers(app, token, 'offset=2450&limit=100')).json() as Page
  t.same([tail.total, tail.offset, tail.limit, tail.Items.length], [2500, 2450, 100, 50])
  const past = await concurUsers(app, token, 'offset=5000')
  t.equal(past.statusCode, 200)
  t.same((past.json() as Page).Items, [])
  t.equal((past.json() as Page).total, 2500)
})

t.test('paging across the 2,500-user acme company returns each user exactly once', async (t) => {
  const app = await build(t)
  const { access_token: token } = await concurToken(app, 'acme')
  for (const limit of [1000, 333, 100]) {
    const ids: string[] = []
    for (let offset = 0; ; offset += limit) {
      const page = (await concurUsers(app, token, `limit=${limit}&offset=${offset}`)).json() as Page
      if (page.Items.length === 0) break
      ids.push(...page.Items.map((u) => u.ID))
    }
    t.equal(ids.length, 2500, `limit ${limit}: 2500 users`)
    t.equal(new Set(ids).size, 2500, `limit ${limit}: no repeats`)
  }
})

t.test('every user has the 12 keys in order, and generated data follows the demo contract', async (t) => {
  const app = await build(t)
  const { access_token: token } = await concurToken(app, 'acme')
  const all = (await concurUsers(app, token, 'limit=1000')).json() as Page
  const keys = ['Active', 'CountryCode', 'CellPhoneNumber', 'PrimaryEmail', 'EmployeeID', 'ID', 'Emails', 'OrganizationUnit', 'MiddleName', 'LastName', 'FirstName', 'LoginID']
  for (const u of all.Items) {
    if (Object.keys(u).join() !== keys.join()) { t.fail(`key order of ${u.LoginID}`); break }
  }
  const active = all.Items.filter((u) => u.Active).length
  t.ok(active > 720 && active < 880, `about 80% active (${active}/1000)`)
  t.ok(all.Items.every((u) => ['US', 'GB', 'DE', 'FR', 'IN', 'CA', 'AU'].includes(u.CountryCode as string)), 'country codes from the list')
  t.ok(all.Items.some((u) => u.CellPhoneNumber === null), 'some users have no cell phone')
  t.ok(all.Items.every((u) => /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/.test(u.ID)), 'upper-case UUID ids')
})

t.test('filters: exact match, case rules, AND, empty values', async (t) => {
  const app = await build(t)
  const { access_token: token } = await concurToken(app, 'acme')
  const all = (await concurUsers(app, token, 'limit=1000&offset=1000')).json() as Page
  const sample = all.Items[17] as Page['Items'][number] & { LastName: string, EmployeeID: string, PrimaryEmail: string, CountryCode: string }

  const byLogin = (await concurUsers(app, token, `loginid=${encodeURIComponent(sample.LoginID.toUpperCase())}`)).json() as Page
  t.same(byLogin.Items.map((u) => u.ID), [sample.ID], 'loginid is ASCII case-insensitive')
  t.equal(byLogin.total, 1)
  const byEmail = (await concurUsers(app, token, `primaryemail=${encodeURIComponent(sample.PrimaryEmail)}`)).json() as Page
  t.same(byEmail.Items.map((u) => u.ID), [sample.ID])
  const byId = (await concurUsers(app, token, `id=${sample.ID.toLowerCase()}`)).json() as Page
  t.same(byId.Items.map((u) => u.ID), [sample.ID], 'id is case-insensitive')
  const byEmployee = (await concurUsers(app, token, `employeeid=${sample.EmployeeID}`)).json() as Page
  t.same(byEmployee.Items.map((u) => u.ID), [sample.ID])
  const byEmployeeLower = (await concurUsers(app, token, `employeeid=${sample.EmployeeID.toLowerCase()}`)).json() as Page
  t.equal(byEmployeeLower.total, 0, 'employeeid is case-sensitive')

  const everyone = [] as Page['Items']
  for (let offset = 0; offset < 2500; offset += 1000) everyone.push(...((await concurUsers(app, token, `limit=1000&offset=${offset}`)).json() as Page).Items)
  const expected = everyone.filter((u) => (u.LastName as string).toLowerCase() === sample.LastName.toLowerCase() && u.Active === false)
  const combined = (await concurUsers(app, token, `lastname=${encodeURIComponent(sample.LastName.toUpperCase())}&isactive=false&limit=1000`)).json() as Page
  t.same(combined.Items.map((u) => u.ID), expected.map((u) => u.ID), 'lastname AND isactive, in creation order')
  t.equal(combined.total, expected.length, 'total counts the filtered users')

  const gb = everyone.filter((u) => u.CountryCode === 'GB')
  const byCountry = (await concurUsers(app, token, 'countrycode=gb&limit=1000')).json() as Page
  t.equal(byCountry.total, gb.length)
  t.same(byCountry.Items.map((u) => u.ID), gb.slice(0, 1000).map((u) => u.ID))
  const pagedFilter = (await concurUsers(app, token, 'countrycode=GB&limit=10&offset=10')).json() as Page
  t.same(pagedFilter.Items.map((u) => u.ID), gb.slice(10, 20).map((u) => u.ID), 'offset paging within a filter')

  const inactive = everyone.filter((u) => u.Active === false)
  t.equal(((await concurUsers(app, token, 'isactive=false')).json() as Page).total, inactive.length)
  t.equal(((await concurUsers(app, token, 'isactive=true')).json() as Page).total, 2500 - inactive.length)

  const none = (await concurUsers(app, token, 'loginid=nobody@example.com')).json() as Page
  t.same([none.total, none.Items], [0, []])
  const emptyLast = (await concurUsers(app, token, 'lastname=')).json() as Page
  t.equal(emptyLast.total, 0, 'empty value matches users whose field is empty (none here)')
})

t.test('an empty filter value matches users whose field is empty', async (t) => {
  const app = await build(t)
  await adminCall(app, 'POST', '/tenants/concur/company-name-llc/users', {
    users: [{ ID: 'A-1', LoginID: 'nolast@example.com', PrimaryEmail: 'nolast@example.com', EmployeeID: 'E-1', FirstName: 'Cher', LastName: '' }]
  })
  const { access_token: token } = await concurToken(app)
  const page = (await concurUsers(app, token, 'lastname=')).json() as Page
  t.same(page.Items.map((u) => u.LoginID), ['nolast@example.com'])
  t.same(page.Items[0], {
    Active: true, CountryCode: null, CellPhoneNumber: null, PrimaryEmail: 'nolast@example.com', EmployeeID: 'E-1', ID: 'A-1', Emails: ['nolast@example.com'], OrganizationUnit: null, MiddleName: '', LastName: '', FirstName: 'Cher', LoginID: 'nolast@example.com'
  }, 'fixture defaults fill the optional keys')
  t.equal((await concurUsers(app, token, 'middlename=')).statusCode, 400, 'middlename is not a filter')
})

t.test('globex pages deep offsets and filters over 100,000 users', async (t) => {
  const app = await build(t)
  const { access_token: token } = await concurToken(app, 'globex')
  const deep = (await concurUsers(app, token, 'offset=99900&limit=100')).json() as Page
  t.same([deep.total, deep.Items.length], [100000, 100])
  const last = deep.Items[99] as Page['Items'][number]
  const found = (await concurUsers(app, token, `loginid=${encodeURIComponent(last.LoginID)}`)).json() as Page
  t.same(found.Items.map((u) => u.ID), [last.ID])
})

t.test('determinism: two builds give identical responses', async (t) => {
  const a = await build(t)
  const b = await build(t)
  const ta = (await concurToken(a, 'acme')).access_token
  const tb = (await concurToken(b, 'acme')).access_token
  for (const q of ['limit=1000', 'offset=1500&limit=1000', 'isactive=false&limit=50']) {
    t.equal((await concurUsers(a, ta, q)).body, (await concurUsers(b, tb, q)).body, q)
  }
})

t.test('unknown paths and methods under the Concur mount', async (t) => {
  const app = await build(t)
  for (const [method, url] of [['GET', '/concur/nothing'], ['POST', '/concur/users/'], ['GET', '/concur/oauth2/v0/token']] as const) {
    const res = await app.inject({ method, url })
    t.equal(res.statusCode, 404, `${method} ${url}`)
    t.equal(res.json().Message, 'Resource not found')
    t.match(res.headers['concur-correlationid'], /^[0-9a-f-]{36}$/)
    t.match(res.headers['x-mock-server'], /^users-api-mock\//)
  }
})
