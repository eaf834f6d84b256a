/**
 * The OpenAPI documents tell the truth: real requests to every documented operation (successes
 * and the errors a client meets) get JSON bodies that validate against the schema documented for
 * their status and content type, every status answered is documented, and every route the app
 * serves appears in a document (apart from the aliases and pages listed below).
 */
import { Ajv } from 'ajv'
import formats from 'ajv-formats'
import t from 'tap'
import { build, concurCompanyFixture, concurToken, demoLegacy, demoUserId, form, ISPRING, ispringToken, passwordGrant } from './helper.js'

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
interface Operation { responses: Record<string, { content?: Record<string, { schema: object }> }> }
interface Document { paths: Record<string, Partial<Record<Lowercase<Method>, Operation>>> }

/** Routes served but deliberately left out of the documents. */
const UNDOCUMENTED = [
  /^\/$/, // the sandbox page
  /^\/health$/, // the same as /__admin/health, which is documented
  /^\/openapi\//, /^\/docs(\/|$)/, // the documents themselves and Swagger UI
  /^\/ispring\/api\/v2\//, // iSpring's alias prefix: the same routes as under /ispring
  /^\/concur\/users$/, // GET /users without the slash: the same as /users/
  /^\/concur\/profile\/identity\/v4\/Users\/$/ // Identity v4's list with the docs' trailing slash: the same as /Users
]

/** Every `METHOD /path` the app routes (HEAD answers for GET, automatically), from Fastify's route tree. */
function servedRoutes (tree: string): string[] {
  const out: string[] = []
  const stack: Array<{ depth: number, path: string }> = []
  for (const line of tree.split('\n')) {
    const m = /^([\s│├└─]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line)
    if (m === null) continue
    const depth = (m[1] as string).length
    while (stack.length > 0 && (stack.at(-1) as { depth: number }).depth >= depth) stack.pop()
    const parent = stack.at(-1)?.path ?? ''
    const segment = m[2] as string
    // The tree splits paths at any character (`/user` then `s` for `/users`): segments join as they are.
    const path = parent + segment
    stack.push({ depth, path })
    for (const method of (m[3] as string).split(', ')) if (method !== 'HEAD') out.push(`${method} ${path}`)
  }
  return out
}

const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}')

t.test('every JSON answer validates against its documented schema', async (t) => {
  // A small user budget, so the 422 of a too-big tenant is met without generating it.
  const app = await build(t, { maxUsers: 200_000 })
  const docs: Record<string, { prefix: string, doc: Document }> = {}
  for (const [name, prefix] of [['concur', '/concur'], ['ispring', '/ispring'], ['admin', '/__admin']] as const) {
    docs[name] = { prefix, doc: (await app.inject({ url: `/openapi/${name}.json` })).json() }
  }
  const ajv = new Ajv({ strict: false, allErrors: true })
  // ajv-formats is CommonJS: its function is the default export's default.
  ;(formats as unknown as { default: (ajv: Ajv) => void }).default(ajv)
  const covered = new Set<string>()

  /** Sends a request and checks the answer against the document of `doc` for `path` (the documented template). */
  async function check (doc: string, method: Method, template: string, url: string, expected: number, options: { headers?: Record<string, string>, payload?: string | object } = {}): Promise<string> {
    const { prefix, doc: document } = docs[doc] as { prefix: string, doc: Document }
    const res = await app.inject({ method, url: prefix + url, ...options })
    const label = `${method} ${prefix}${url} → ${res.statusCode}`
    t.equal(res.statusCode, expected, `${method} ${prefix}${url}: the status this case is about`)
    const operation = document.paths[template]?.[method.toLowerCase() as Lowercase<Method>]
    if (operation === undefined) {
      t.fail(`${method} ${template} is not documented in ${doc}.json`)
      return res.body
    }
    covered.add(`${method} ${prefix}${template}`)
    const response = operation.responses[String(res.statusCode)]
    t.ok(response, `${label}: status documented`)
    if (response === undefined) return res.body
    if (res.statusCode === 204 || (response.content === undefined && res.statusCode === 200)) {
      t.equal(res.body, '', `${label}: no body`)
      return res.body
    }
    const type = String(res.headers['content-type'] ?? '').split(';')[0] as string
    const schema = response.content?.[type]?.schema
    t.ok(schema, `${label}: ${type} documented`)
    if (schema === undefined || type !== 'application/json') return res.body
    const validate = ajv.compile(schema)
    const valid = validate(res.json())
    t.ok(valid, `${label}: body matches the schema`, { errors: validate.errors, body: res.body.slice(0, 500) })
    return res.body
  }

  // SAP Concur
  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' }
  await check('concur', 'POST', '/oauth2/v0/token', '/oauth2/v0/token', 200, { headers: formHeaders, payload: form(passwordGrant()) })
  await check('concur', 'POST', '/oauth2/v0/token', '/oauth2/v0/token', 400, { headers: formHeaders, payload: form({ grant_type: 'password' }) })
  await check('concur', 'POST', '/oauth2/v0/token', '/oauth2/v0/token', 413, { headers: formHeaders, payload: `x=${'a'.repeat(70_000)}` })
  await check('concur', 'GET', '/oauth2/v0/jwks', '/oauth2/v0/jwks', 200)
  const { access_token: concur } = await concurToken(app)
  const bearer = { authorization: `Bearer ${concur}` }
  await check('concur', 'GET', '/users/', '/users/?limit=3', 200, { headers: bearer })
  await check('concur', 'GET', '/users/', '/users/?Limit=3', 400, { headers: bearer })
  await check('concur', 'GET', '/users/', '/users/', 401)
  const scim = 'urn:ietf:params:scim:api:messages:concur:2.0:SearchRequest'
  await check('concur', 'GET', '/profile/identity/v4.1/Users', '/profile/identity/v4.1/Users?count=1', 200, { headers: bearer })
  await check('concur', 'GET', '/profile/identity/v4.1/Users', '/profile/identity/v4.1/Users?startIndex=1', 400, { headers: bearer })
  await check('concur', 'GET', '/profile/identity/v4.1/Users', '/profile/identity/v4.1/Users', 401)
  await check('concur', 'GET', '/profile/identity/v4.1/Users/{id}', '/profile/identity/v4.1/Users/99BFFFC3-C0BE-44FF-A441-AE1FFFFFF75B8?attributes=userName', 200, { headers: bearer })
  await check('concur', 'GET', '/profile/identity/v4.1/Users/{id}', '/profile/identity/v4.1/Users/nobody', 404, { headers: bearer })
  await check('concur', 'POST', '/profile/identity/v4.1/Users/.search', '/profile/identity/v4.1/Users/.search', 200, { headers: bearer, payload: { schemas: [scim], filter: 'active eq true' } })
  await check('concur', 'POST', '/profile/identity/v4.1/Users/.search', '/profile/identity/v4.1/Users/.search', 400, { headers: bearer, payload: { schemas: [scim], filter: 'active eq' } })
  const scimJson = { ...bearer, 'content-type': 'application/json' }
  const core = 'urn:ietf:params:scim:schemas:core:2.0:User'
  await check('concur', 'POST', '/profile/identity/v4.1/Users', '/profile/identity/v4.1/Users', 201, { headers: scimJson, payload: { schemas: [core], userName: 'contract@example.test' } })
  await check('concur', 'POST', '/profile/identity/v4.1/Users', '/profile/identity/v4.1/Users', 409, { headers: scimJson, payload: { schemas: [core], userName: 'contract@example.test' } })
  await check('concur', 'PUT', '/profile/identity/v4.1/Users/{id}', '/profile/identity/v4.1/Users/99BFFFC3-C0BE-44FF-A441-AE1FFFFFF75B8', 200, { headers: scimJson, payload: { schemas: [core], userName: 'johndoe@gmail.com' } })
  await check('concur', 'PATCH', '/profile/identity/v4.1/Users/{id}', '/profile/identity/v4.1/Users/99BFFFC3-C0BE-44FF-A441-AE1FFFFFF75B8', 200, { headers: scimJson, payload: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: true }] } })
  await check('concur', 'PATCH', '/profile/identity/v4.1/Users/{id}', '/profile/identity/v4.1/Users/99BFFFC3-C0BE-44FF-A441-AE1FFFFFF75B8', 400, { headers: scimJson, payload: { Operations: [] } })
  await check('concur', 'DELETE', '/profile/identity/v4.1/Users/{id}', '/profile/identity/v4.1/Users/nobody', 404, { headers: bearer })
  for (const [template, url] of [['/ServiceProviderConfig', '/ServiceProviderConfig'], ['/ResourceTypes', '/ResourceTypes'], ['/Schemas', '/Schemas'], ['/Schemas/{id}', `/Schemas/${core}`]]) {
    await check('concur', 'GET', `/profile/identity/v4.1${template as string}`, `/profile/identity/v4.1${url as string}`, 200, { headers: bearer })
  }
  await check('concur', 'GET', '/profile/identity/v4.1/Schemas/{id}', '/profile/identity/v4.1/Schemas/urn:nope', 404, { headers: bearer })
  await check('concur', 'GET', '/profile/identity/v4/Users', '/profile/identity/v4/Users?count=2', 200, { headers: bearer })
  await check('concur', 'GET', '/profile/identity/v4/Users', '/profile/identity/v4/Users?count=200', 400, { headers: bearer })
  await check('concur', 'GET', '/profile/identity/v4/Users/{id}', '/profile/identity/v4/Users/99BFFFC3-C0BE-44FF-A441-AE1FFFFFF75B8', 200, { headers: bearer })
  await check('concur', 'GET', '/profile/identity/v4/Users/{id}', '/profile/identity/v4/Users/nobody', 404, { headers: bearer })
  await check('concur', 'POST', '/profile/identity/v4/Users', '/profile/identity/v4/Users', 200, { headers: scimJson, payload: { schemas: [core], userName: 'contract4@example.test' } })
  await check('concur', 'POST', '/profile/identity/v4/Users', '/profile/identity/v4/Users', 400, { headers: scimJson, payload: { schemas: [core] } })
  await check('concur', 'PUT', '/profile/identity/v4/Users/{id}', '/profile/identity/v4/Users/99BFFFC3-C0BE-44FF-A441-AE1FFFFFF75B8', 200, { headers: scimJson, payload: { schemas: [core], userName: 'johndoe@gmail.com' } })
  await check('concur', 'PATCH', '/profile/identity/v4/Users/{id}', '/profile/identity/v4/Users/nobody', 404, { headers: scimJson, payload: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [] } })
  await check('concur', 'DELETE', '/app-mgmt/v0/connections', '/app-mgmt/v0/connections', 200, { headers: bearer })
  await check('concur', 'DELETE', '/app-mgmt/v0/connections', '/app-mgmt/v0/connections', 401, { headers: bearer })

  // iSpring Learn, in JSON (XML is the default; its shape is tested against the JSON form elsewhere)
  const json = { accept: 'application/json' }
  const client = ISPRING.demo.clients.owner
  await check('ispring', 'POST', '/api/v3/token', '/api/v3/token', 200, { headers: { ...json, ...formHeaders }, payload: form({ client_id: client.clientId, client_secret: client.clientSecret, grant_type: 'client_credentials' }) })
  await check('ispring', 'POST', '/api/v3/token', '/api/v3/token', 400, { headers: { ...json, ...formHeaders }, payload: form({ client_id: client.clientId }) })
  await check('ispring', 'POST', '/api/v3/token', '/api/v3/token', 401, { headers: { ...json, ...formHeaders }, payload: form({ client_id: client.clientId, client_secret: 'wrong', grant_type: 'client_credentials' }) })
  const owner = { ...json, authorization: await ispringToken(app) }
  const learner = { ...json, ...demoLegacy('06') }
  const D = ISPRING.demo.departments
  for (const [template, url] of [
    ['/users', '/users?pageSize=3'], ['/users/v2', '/users/v2?pageSize=3'], ['/users/v2', `/users/v2?departments[]=${D.sales}`],
    ['/user/{userId}', `/user/${demoUserId('02')}`], ['/user/{userId}/v2', `/user/${demoUserId('08')}/v2`],
    ['/departments', '/departments'], ['/department/{departmentId}', `/department/${D.sales}`],
    ['/groups', '/groups'], ['/group/{groupId}', `/group/${ISPRING.demo.groups.managers}`]
  ] as const) {
    await check('ispring', 'GET', template, url, 200, { headers: owner })
  }
  await check('ispring', 'GET', '/users', '/users?pageSize=0', 400, { headers: owner })
  await check('ispring', 'GET', '/users', '/users', 401, { headers: json })
  await check('ispring', 'GET', '/users/v2', '/users/v2', 403, { headers: learner })
  await check('ispring', 'GET', '/user/{userId}', '/user/a1000000-0000-4000-8000-0000000000ff', 404, { headers: owner })
  await check('ispring', 'GET', '/users/v2', '/users/v2?pageToken=forged', 400, { headers: owner })
  // Provisioning (JSON bodies; the other forms are tested in test/ispring/provisioning.test.ts)
  const body = { headers: { ...owner, 'content-type': 'application/json' } }
  const created = await check('ispring', 'POST', '/user', '/user', 201, { ...body, payload: { departmentId: D.sales, fields: { login: 'contract', email: 'contract@demo.test' } } })
  const newId = JSON.parse(created) as string
  await check('ispring', 'POST', '/user', '/user', 400, { ...body, payload: { departmentId: D.sales } })
  await check('ispring', 'POST', '/user', '/user', 403, { headers: { ...learner, 'content-type': 'application/json' }, payload: { departmentId: D.sales } })
  await check('ispring', 'POST', '/user/{userId}', `/user/${newId}`, 200, { ...body, payload: { fields: { job_title: 'Tester' } } })
  await check('ispring', 'POST', '/user/{userId}', '/user/a1000000-0000-4000-8000-0000000000ff', 404, { ...body, payload: {} })
  await check('ispring', 'POST', '/user/{userId}/status', `/user/${newId}/status`, 200, { ...body, payload: { status: 3 } })
  await check('ispring', 'POST', '/user/{userId}/password', `/user/${newId}/password`, 200, { ...body, payload: { password: 'p' } })
  for (const path of ['/users/activate', '/users/deactivate', '/users/terminate', '/users/work-leave-status/delete']) {
    await check('ispring', 'POST', path, path, 200, { ...body, payload: { userIds: [newId] } })
  }
  await check('ispring', 'POST', '/users/work-leave-status', '/users/work-leave-status', 200, { ...body, payload: { workLeaveStatuses: [{ userId: newId, workLeaveReason: 'SickLeave' }] } })
  await check('ispring', 'POST', '/user/list', '/user/list', 200, { ...body, payload: { page: 1, pageSize: 2 } })
  for (const kind of ['deactivation', 'termination']) {
    await check('ispring', 'POST', `/user/{userId}/scheduled_${kind}`, `/user/${newId}/scheduled_${kind}`, 200, { ...body, payload: { date: '2030-01-01' } })
    await check('ispring', 'DELETE', `/user/{userId}/scheduled_${kind}`, `/user/${newId}/scheduled_${kind}`, 200, { headers: owner })
  }
  await check('ispring', 'DELETE', '/user/{userId}', `/user/${newId}`, 204, { headers: owner })
  const dept = JSON.parse(await check('ispring', 'POST', '/department', '/department', 201, { ...body, payload: { name: 'Contract', parentDepartmentId: D.sales } })) as string
  await check('ispring', 'POST', '/department', '/department', 400, { ...body, payload: { name: 'Contract' } })
  await check('ispring', 'GET', '/department', '/department?code=none', 200, { headers: owner })
  await check('ispring', 'POST', '/department/{departmentId}', `/department/${dept}`, 204, { ...body, payload: { code: 'C' } })
  await check('ispring', 'POST', '/department/{departmentId}/user/move', `/department/${dept}/user/move`, 204, { ...body, payload: { userIds: [demoUserId('07')] } })
  await check('ispring', 'POST', '/department/{departmentId}/user/move', `/department/${D.salesEmea}/user/move`, 204, { ...body, payload: { userIds: [demoUserId('07')] } })
  await check('ispring', 'POST', '/department/{departmentId}/department/move', `/department/${D.engineering}/department/move`, 204, { ...body, payload: { departmentIds: [dept] } })
  await check('ispring', 'POST', '/department/{departmentId}/subordination', `/department/${dept}/subordination`, 204, { ...body, payload: { subordination: { subordinationType: 'inherit' } } })
  await check('ispring', 'POST', '/user/{userId}/subordination', `/user/${demoUserId('06')}/subordination`, 204, { ...body, payload: { subordination: { subordinationType: 'no_supervisor' } } })
  await check('ispring', 'DELETE', '/department/{departmentId}', `/department/${dept}`, 204, { headers: owner })
  const group = JSON.parse(await check('ispring', 'POST', '/group', '/group', 201, { ...body, payload: { name: 'Contract' } })) as string
  await check('ispring', 'GET', '/group', '/group', 200, { headers: owner })
  await check('ispring', 'POST', '/group/{groupId}', `/group/${group}`, 200, { ...body, payload: { name: 'Contract 2' } })
  await check('ispring', 'POST', '/group/{groupId}/members', `/group/${group}/members`, 200, { ...body, payload: { userIds: [demoUserId('06')] } })
  await check('ispring', 'POST', '/user/{userId}/groups/remove', `/user/${demoUserId('06')}/groups/remove`, 200, { ...body, payload: { groupIds: [group] } })
  await check('ispring', 'DELETE', '/group/{groupId}', `/group/${group}`, 204, { headers: owner })
  await check('ispring', 'POST', '/users/v2', '/users/v2', 200, { ...body, payload: { pageSize: 2 } })
  await check('ispring', 'POST', '/users/v2', '/users/v2', 400, { ...body, payload: { pageToken: 'forged' } })
  await check('ispring', 'POST', '/users/find_existing', '/users/find_existing', 200, { ...body, payload: { userIds: [demoUserId('02')] } })
  for (const path of ['/user', '/user/v2', '/user/profile/fields', '/role']) await check('ispring', 'GET', path, path, 200, { headers: owner })

  // The admin API
  const company = concurCompanyFixture('contract', 0xc0de)
  const user = { ID: 'C-1', LoginID: 'c1@example.test', EmployeeID: 'C1', PrimaryEmail: 'c1@example.test', FirstName: 'Con', LastName: 'Tract' }
  await check('admin', 'GET', '/health', '/health', 200)
  await check('admin', 'GET', '/tenants', '/tenants', 200)
  await check('admin', 'POST', '/tenants', '/tenants', 201, { payload: company })
  await check('admin', 'POST', '/tenants', '/tenants', 409, { payload: company })
  await check('admin', 'POST', '/tenants', '/tenants', 400, { payload: { ...company, id: 'other', companyId: 'nope' } })
  await check('admin', 'POST', '/tenants', '/tenants', 422, { payload: { ...company, id: 'huge', companyId: '00000000-0000-4000-8000-00000000beef', generate: { seed: 1, users: 1_000_000 } } })
  await check('admin', 'GET', '/tenants/{vendor}/{id}', '/tenants/concur/contract', 200)
  await check('admin', 'GET', '/tenants/{vendor}/{id}', '/tenants/concur/nobody', 404)
  await check('admin', 'POST', '/tenants/{vendor}/{id}/users', '/tenants/concur/contract/users', 201, { payload: { users: [user] } })
  await check('admin', 'POST', '/tenants/{vendor}/{id}/users', '/tenants/concur/contract/users', 400, { payload: { users: [user] } })
  await check('admin', 'PATCH', '/tenants/{vendor}/{id}/users/{userId}', '/tenants/concur/contract/users/C-1', 200, { payload: { Active: false } })
  await check('admin', 'PATCH', '/tenants/{vendor}/{id}/users/{userId}', '/tenants/concur/contract/users/C-9', 404, { payload: { Active: false } })
  await check('admin', 'PUT', '/tenants/{vendor}/{id}/users/{userId}', '/tenants/concur/contract/users/C-1', 200, { payload: { ...user, LastName: 'Put' } })
  await check('admin', 'PUT', '/tenants/{vendor}/{id}/users/{userId}', '/tenants/concur/contract/users/C-1', 400, { payload: { ...user, Active: 'no' } })
  await check('admin', 'DELETE', '/tenants/{vendor}/{id}/users/{userId}', '/tenants/concur/contract/users/C-1', 204)
  await check('admin', 'DELETE', '/tenants/{vendor}/{id}/users/{userId}', `/tenants/ispring/demo/users/${demoUserId('06')}`, 204)
  await check('admin', 'DELETE', '/tenants/{vendor}/{id}/users/{userId}', `/tenants/ispring/demo/users/${demoUserId('06')}`, 404)
  await check('admin', 'GET', '/requests', '/requests?limit=5', 200)
  await check('admin', 'GET', '/requests', '/requests?since=yesterday', 400)
  await check('admin', 'DELETE', '/requests', '/requests', 204)
  await check('admin', 'POST', '/faults', '/faults', 201, { payload: { match: { vendor: 'concur', path: '/nowhere' }, action: { status: 503 }, times: 2, probability: 0.5, seed: 3 } })
  await check('admin', 'POST', '/faults', '/faults', 400, { payload: { action: {} } })
  await check('admin', 'GET', '/faults', '/faults', 200)
  await check('admin', 'DELETE', '/faults/{id}', '/faults/fault-1', 204)
  await check('admin', 'DELETE', '/faults/{id}', '/faults/fault-1', 404)
  await check('admin', 'DELETE', '/faults', '/faults', 204)
  await check('admin', 'GET', '/clock', '/clock', 200)
  // The 200 (PEM, not JSON) is tested in tls.test.ts: this app serves no HTTPS.
  await check('admin', 'GET', '/ca.pem', '/ca.pem', 404)
  await check('admin', 'POST', '/clock', '/clock', 200, { payload: { advanceSeconds: 60 } })
  await check('admin', 'POST', '/clock', '/clock', 400, { payload: { now: 'soon' } })
  await check('admin', 'DELETE', '/tenants/{vendor}/{id}', '/tenants/concur/contract', 204)
  await check('admin', 'DELETE', '/tenants/{vendor}/{id}', '/tenants/concur/contract', 404)
  await check('admin', 'POST', '/reset', '/reset', 204)

  t.test('every documented operation was exercised, and every served route is documented', async (t) => {
    const documented = Object.values(docs).flatMap(({ prefix, doc }) =>
      Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${prefix}${path}`)))
    t.same(documented.filter((op) => !covered.has(op)), [], 'no documented operation left untried')
    const served = servedRoutes(app.printRoutes({ commonPrefix: false }))
    t.ok(served.length > 40, `${served.length} routes read from the route tree`)
    const missing = served
      .filter((route) => !UNDOCUMENTED.some((pattern) => pattern.test(route.split(' ')[1] as string)))
      .filter((route) => !documented.includes(`${route.split(' ')[0] as string} ${openApiPath(route.split(' ')[1] as string)}`))
    t.same(missing, [], 'every served route is in an OpenAPI document')
  })
})
