/**
 * Bad input never breaks the iSpring module: generated queries for the listings and look-ups,
 * generated Authorization / X-Auth-* / Accept headers, token-endpoint form bodies, page tokens
 * and paths each get a documented status with a body that parses in iSpring's shape (JSON, or
 * well-formed XML), in the format Accept asked for; where ispring.md fixes the answer, the
 * answer is the one an independent reading of it (and of the demo fixture file) gives.
 */
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import t from 'tap'
import { build, ISPRING, ispringToken } from '../helper.js'
import {
  check, encodeVariant, expect, expectIspring, FUZZ_RUNS, headerText, mutateToken, nastyString, tokenEdits, wellFormed,
  type Answer, type IspringFormat, editForm
} from './support.js'

interface FixtureUser { userId: string, login: string, email: string, password: string, role: string, departmentId: string, state?: string, groups?: string[], manageableDepartmentIds?: string[] }
interface Fixture { accountUrl: string, departments: Array<{ id: string, parentId?: string }>, groups: Array<{ id: string }>, users: FixtureUser[], apiClients: Array<{ clientId: string, clientSecret: string, actsAs: string }> }

const DEMO = JSON.parse(readFileSync(new URL('../../fixtures/ispring-demo.json', import.meta.url), 'utf8')) as Fixture
const INITECH_URL = ISPRING.initech.accountUrl

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const caseVariant = (text: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((flags) => [...text].map((c, i) => flags[i] === true ? c.toUpperCase() : c.toLowerCase()).join(''))

/** Departments `id` and below, from the fixture's parent links. */
function subtree (id: string): Set<string> {
  const out = new Set([id.toLowerCase()])
  for (let grew = true; grew;) {
    grew = false
    for (const d of DEMO.departments) {
      if (d.parentId !== undefined && out.has(d.parentId.toLowerCase()) && !out.has(d.id.toLowerCase())) { out.add(d.id.toLowerCase()); grew = true }
    }
  }
  return out
}

/** ispring.md section 3: JSON when a media range is application/json without q=0. */
function formatFor (accept: string | undefined): IspringFormat {
  if (accept === undefined) return 'xml'
  const json = accept.split(',').some((range) => {
    const [type = '', ...params] = range.split(';')
    if (type.trim().toLowerCase() !== 'application/json') return false
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='))
    return q === undefined || Number(q.slice(2)) !== 0
  })
  return json ? 'json' : 'xml'
}

const ACCEPTS = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<string | undefined>(undefined, 'application/json', 'application/xml', '*/*', 'application/json;q=0', 'application/json; q=0.0', 'text/html, application/json;q=0.5', 'APPLICATION/JSON', 'application/jsonx', 'application/json, */*', 'application/*', 'text/xml', '') },
  { weight: 1, arbitrary: headerText(40) }
)

/** Profile ids and next token of a list answer, JSON or XML. */
function listOf (body: Record<string, unknown>, format: IspringFormat, key = 'userProfiles', item = 'userProfile', idKey = 'userId'): { ids: string[], next: string | undefined } {
  const next = body.nextPageToken as string | undefined
  if (format === 'json') return { ids: (body[key] as Array<Record<string, string>>).map((u) => u[idKey] as string), next }
  const list = body[key] as Record<string, unknown> | string | undefined
  const items = typeof list === 'object' && list !== null ? list[item] : undefined
  const array = items === undefined ? [] : Array.isArray(items) ? items : [items]
  return { ids: (array as Array<Record<string, string>>).map((u) => u[idKey] as string), next }
}

interface QPair { name: string, value: string, nameStyle: number, valueStyle: number }

t.test('GET /users and /users/v2 with generated queries: 200 with exactly the matching first page when ispring.md allows the query, else 400', async (t) => {
  const app = await build(t)
  const token = await ispringToken(app)
  const kinds = { 1: ['departments', 'groups', 'logins', 'emails'], 2: ['departments', 'groups', 'logins', 'emails', 'userIds'] } as const
  const ids = {
    departments: DEMO.departments.map((d) => d.id),
    groups: DEMO.groups.map((g) => g.id),
    userIds: DEMO.users.map((u) => u.userId),
    logins: DEMO.users.map((u) => u.login),
    emails: DEMO.users.map((u) => u.email)
  }
  const name = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('departments[]', 'groups[]', 'logins[]', 'emails[]', 'userIds[]', 'pageSize', 'pageToken') },
    { weight: 1, arbitrary: fc.constantFrom('departments', 'Departments[]', 'pagesize', 'PageSize', 'departments[0]', 'groups[12]', 'departments[][]', 'departments[x]', 'userids[]', 'logins[ ]', '[]', '') },
    { weight: 1, arbitrary: nastyString().map(wellFormed) }
  )
  const value = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ids.departments, ...ids.groups, ...ids.userIds, ...ids.logins, ...ids.emails).chain((v) => fc.oneof(fc.constant(v), caseVariant(v))) },
    { weight: 2, arbitrary: fc.oneof(fc.integer({ min: -2, max: 1002 }).map(String), fc.constantFrom('0', '1', '2', '3', '10', '1000', '1001', '0005', '00000001', '0001000', '1.0', '1e2', ' 5', '+5', '99999999999999999999')) },
    { weight: 1, arbitrary: fc.uuid().map((u) => u.toUpperCase()) },
    { weight: 2, arbitrary: nastyString().map(wellFormed) }
  )
  const pageSizes = fc.oneof(fc.integer({ min: -2, max: 1002 }).map(String), fc.constantFrom('0', '1', '1000', '1001', '0005', '00000001', '00001000', '000000000000000000000000000002', '1.0', '1e2', ' 5', '+5', '5 ', '99999999999999999999', ''))
  const pair = name.chain((n) => fc.record({ name: fc.constant(n), value: n === 'pageSize' ? fc.oneof(pageSizes, value) : value, nameStyle: fc.integer({ min: 0, max: 3 }), valueStyle: fc.integer({ min: 0, max: 3 }) }))
  const broken = fc.option(fc.constantFrom('%', '%zz', 'logins[]=%E0%A4%A', 'pageSize=%C0%80', '%ff=1'), { freq: 8 })
  const endpoint = fc.constantFrom<1 | 2>(1, 2)

  await check(t, fc.asyncProperty(endpoint, fc.array(pair, { maxLength: 6 }), broken, fc.nat(), ACCEPTS, async (version, pairs: QPair[], brokenSegment, at, accept) => {
    const segments = pairs.map((p) => `${encodeVariant(p.name, p.nameStyle)}=${encodeVariant(p.value, p.valueStyle)}`)
    if (brokenSegment !== null) segments.splice(at % (segments.length + 1), 0, brokenSegment)
    const query = segments.join('&')
    const path = version === 1 ? '/ispring/users' : '/ispring/users/v2'
    const res = await app.inject({ method: 'GET', url: `${path}?${query}`, headers: { authorization: `Bearer ${token}`, ...(accept === undefined ? {} : { accept }) } })

    const allowed: readonly string[] = kinds[version]
    const arrays = new Map<string, string[]>()
    const scalars = new Map<string, string>()
    let valid = brokenSegment === null
    for (const p of pairs) {
      // `name[]` or PHP's indexed `name[0]` (ispring.md's arrays, and the PHP form of issue 11).
      const base = /^[A-Za-z]+\[[0-9]*\]$/.test(p.name) ? p.name.slice(0, p.name.indexOf('[')) : undefined
      if (base !== undefined && allowed.includes(base)) arrays.set(base, [...(arrays.get(base) ?? []), p.value])
      else if ((p.name === 'pageSize' || p.name === 'pageToken') && !scalars.has(p.name)) scalars.set(p.name, p.value)
      else valid = false
    }
    const pageSizeText = scalars.get('pageSize')
    if (pageSizeText !== undefined && !(/^[0-9]+$/.test(pageSizeText) && Number(pageSizeText) >= 1 && Number(pageSizeText) <= 1000)) valid = false
    for (const kind of ['departments', 'groups', 'userIds']) if (arrays.get(kind)?.some((v) => !UUID.test(v)) === true) valid = false
    if ((scalars.get('pageToken') ?? '') !== '') valid = false

    const format = formatFor(accept)
    const { body } = expectIspring(res, valid ? [200] : [400], query, format)
    if (!valid) {
      expect(String(body.message).startsWith('Bad Request: '), `400 message: ${res.body.slice(0, 200)}`)
      return
    }
    const lower = (k: string): string[] | undefined => arrays.get(k)?.map((v) => v.toLowerCase())
    const departments = lower('departments')?.flatMap((d) => [...subtree(d)])
    const matching = DEMO.users.filter((u) =>
      (departments === undefined || departments.includes(u.departmentId.toLowerCase())) &&
      (lower('groups') === undefined || (u.groups ?? []).some((g) => lower('groups')?.includes(g.toLowerCase()))) &&
      (lower('logins') === undefined || lower('logins')?.includes(u.login.toLowerCase())) &&
      (lower('emails') === undefined || lower('emails')?.includes(u.email.toLowerCase())) &&
      (lower('userIds') === undefined || lower('userIds')?.includes(u.userId.toLowerCase())))
    const size = Number(pageSizeText ?? 1000)
    const page = listOf(body, format)
    expect(JSON.stringify(page.ids) === JSON.stringify(matching.slice(0, size).map((u) => u.userId)), `first page of ${path}?${query}: ${page.ids.join(',')}`)
    expect((page.next !== undefined) === (matching.length > size), `nextPageToken presence for ${path}?${query}`)
  }), { seed: 201, numRuns: FUZZ_RUNS })
})

t.test('generated Authorization, X-Auth-* and Accept headers: 200, 401 or 403 exactly as the credentials and role say, in the asked format', async (t) => {
  const app = await build(t)
  const tokens = new Map<string, { accountUrl: string, role: string }>()
  for (const client of DEMO.apiClients) {
    const user = DEMO.users.find((u) => u.userId === client.actsAs) as FixtureUser
    tokens.set(await ispringToken(app, client), { accountUrl: DEMO.accountUrl, role: user.role })
  }
  tokens.set(await ispringToken(app, ISPRING.initech.client), { accountUrl: INITECH_URL, role: 'owner' })
  const tokenList = [...tokens.keys()]
  const urls = [DEMO.accountUrl, `${DEMO.accountUrl}/`, DEMO.accountUrl.toUpperCase(), `${DEMO.accountUrl}//`, INITECH_URL, 'https://nope.ispringlearn.com', 'http://demo.ispringlearn.com', 'demo.ispringlearn.com']
  const logins = [...DEMO.users.flatMap((u) => [u.login, u.email, u.email.toUpperCase()]), ISPRING.initech.owner.login]
  const passwords = [...DEMO.users.map((u) => u.password), ISPRING.initech.owner.password, 'OWNER-PASS', 'wrong']

  const authorization = fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Bearer\t', ''), fc.constantFrom(...tokenList)).map(([s, tk]) => `${s}${tk}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...tokenList), tokenEdits).map(([tk, e]) => `Bearer ${mutateToken(tk, e)}`) },
    { weight: 1, arbitrary: fc.constantFrom('', 'Bearer', 'Bearer ', 'Basic b3duZXI6b3duZXItcGFzcw==', `Bearer ${tokenList[0] as string} x`, 'Token abc') },
    { weight: 1, arbitrary: headerText(50) }
  )
  const pick = <T>(values: readonly T[]) => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: headerText(30) as fc.Arbitrary<T | string> }, { weight: 2, arbitrary: fc.constant(undefined) })
  const extra = fc.dictionary(fc.constantFrom('content-type', 'x-target-locale', 'x-forwarded-host', 'cookie', 'x-custom'), headerText(30), { maxKeys: 3 })

  await check(t, fc.asyncProperty(authorization, pick(urls), pick(logins), pick(passwords), ACCEPTS, extra, async (auth, url, login, password, accept, more) => {
    const headers: Record<string, string> = { ...more }
    if (auth !== undefined) headers.authorization = auth
    if (url !== undefined) headers['x-auth-account-url'] = url
    if (login !== undefined) headers['x-auth-email'] = login
    if (password !== undefined) headers['x-auth-password'] = password
    if (accept !== undefined) headers.accept = accept
    const res = await app.inject({ method: 'GET', url: '/ispring/users?pageSize=3', headers })

    const present = (v: string | undefined): string | undefined => v === undefined || v.trim() === '' ? undefined : v.trim()
    const normalized = (u: string): string => u.trim().toLowerCase().replace(/\/+$/, '')
    const named = present(url) === undefined ? undefined : normalized(url as string)
    const known = (u: string): boolean => u === DEMO.accountUrl || u === INITECH_URL
    let role: string | undefined
    if (present(auth) !== undefined) {
      const m = /^(?:bearer\s+)?(\S+)$/i.exec(present(auth) as string)
      const info = m === null ? undefined : tokens.get(m[1] as string)
      if (info !== undefined && (named === undefined || named === info.accountUrl)) role = info.role
    } else if (named !== undefined && known(named) && present(login) !== undefined && password !== undefined && password !== '') {
      const who = (present(login) as string).toLowerCase()
      const user = named === DEMO.accountUrl
        ? DEMO.users.find((u) => u.login.toLowerCase() === who || u.email.toLowerCase() === who)
        : (who === ISPRING.initech.owner.login ? { password: ISPRING.initech.owner.password, role: 'owner', state: 'active' } : undefined)
      if (user !== undefined && user.password === password && (user.state ?? 'active') === 'active') role = user.role
    }
    const expected = role === undefined ? 401 : role === 'learner' ? 403 : 200
    const { body } = expectIspring(res, [expected], JSON.stringify(headers), formatFor(accept))
    if (expected === 401) expect(body.message === 'Unauthorized', `401 message ${String(body.message)}`)
    if (expected === 403) expect(body.message === 'Permission Denied', `403 message ${String(body.message)}`)
  }), { seed: 202, numRuns: FUZZ_RUNS })
})

t.test('POST /api/v3/token with generated form bodies and headers: 400 for a malformed request, 401 for unknown credentials, else a token', async (t) => {
  const app = await build(t)
  const clients = [...DEMO.apiClients.map((c) => ({ ...c, accountUrl: DEMO.accountUrl })), { ...ISPRING.initech.client, actsAs: '', accountUrl: INITECH_URL }]
  const pool = [...clients.flatMap((c) => [c.clientId, c.clientId.toUpperCase(), c.clientSecret]), 'client_credentials', 'CLIENT_CREDENTIALS', 'password', 'refresh_token', '']
  const fieldNames = ['client_id', 'client_secret', 'grant_type']
  const scenario = fc.constantFrom(...clients.map((c) => [['client_id', c.clientId], ['client_secret', c.clientSecret], ['grant_type', 'client_credentials']] as Array<[string, string]>), [] as Array<[string, string]>)
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: nastyString().map(wellFormed) }) }),
    fc.record({ kind: fc.constant('add' as const), name: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...fieldNames, 'scope') }, { weight: 1, arbitrary: nastyString().map(wellFormed) }), value: fc.oneof(fc.constantFrom(...pool), nastyString().map(wellFormed)), first: fc.boolean() })
  )
  const contentType = fc.constantFrom<string | undefined>('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'Application/X-WWW-Form-Urlencoded', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', undefined)
  const accountHeader = fc.constantFrom<string | undefined>(undefined, undefined, DEMO.accountUrl, INITECH_URL, 'https://nope.ispringlearn.com')

  await check(t, fc.asyncProperty(scenario, fc.array(edit, { maxLength: 3 }), contentType, ACCEPTS, accountHeader, async (base, edits, type, accept, account) => {
    const { fields, payload } = editForm(base, edits)
    const headers: Record<string, string> = {}
    if (type !== undefined) headers['content-type'] = type
    if (accept !== undefined) headers.accept = accept
    if (account !== undefined) headers['x-auth-account-url'] = account
    const res = await app.inject({ method: 'POST', url: '/ispring/api/v3/token', headers, payload })

    const first = (name: string): string | undefined => { const f = fields.find(([n]) => n === name); return f === undefined || f[1] === '' ? undefined : f[1] }
    let expected: number
    if (type === undefined || type.split(';')[0]?.trim().toLowerCase() !== 'application/x-www-form-urlencoded') expected = 400
    else if (first('client_id') === undefined || first('client_secret') === undefined || first('grant_type') === undefined || first('grant_type') !== 'client_credentials') expected = 400
    else {
      const named = account === DEMO.accountUrl || account === INITECH_URL ? account : undefined
      const client = clients.find((c) => c.clientId.toLowerCase() === first('client_id')?.toLowerCase() && c.clientSecret === first('client_secret') && (named === undefined || c.accountUrl === named))
      expected = client === undefined ? 401 : 200
    }
    const format = formatFor(accept)
    const { body } = expectIspring(res, [expected], payload, format)
    if (expected === 200) {
      const keys = Object.keys(body)
      expect(JSON.stringify(keys) === '["access_token","expires_in","token_type"]', `token keys ${keys.join(',')}`)
      expect(/^[A-Za-z0-9_-]{43}$/.test(String(body.access_token)), 'a 43-character base64url token')
    }
  }), { seed: 203, numRuns: FUZZ_RUNS })
})

t.test('generated page tokens: only the untouched token with its own query continues a walk; everything else is 400 invalid pageToken', async (t) => {
  const app = await build(t)
  const owner = { authorization: `Bearer ${await ispringToken(app)}`, accept: 'application/json' }
  const sales = { authorization: `Bearer ${await ispringToken(app, ISPRING.demo.clients.sales)}`, accept: 'application/json' }
  const initech = { authorization: `Bearer ${await ispringToken(app, ISPRING.initech.client)}`, accept: 'application/json' }
  const root = ISPRING.demo.departments.root
  const queries = [
    { path: '/users', query: 'pageSize=2', headers: owner },
    { path: '/users/v2', query: 'pageSize=2', headers: owner },
    { path: '/users', query: 'pageSize=3', headers: owner },
    { path: '/users', query: `pageSize=2&departments[]=${root}`, headers: owner },
    { path: '/users', query: 'pageSize=1', headers: sales },
    { path: '/departments', query: 'pageSize=2', headers: owner },
    { path: '/groups', query: 'pageSize=1', headers: owner },
    { path: '/users', query: 'pageSize=2', headers: initech }
  ]
  const tokens: string[] = []
  for (const q of queries) {
    const res = await app.inject({ method: 'GET', url: `/ispring${q.path}?${q.query}`, headers: q.headers })
    const next = (res.json() as { nextPageToken?: string }).nextPageToken
    t.ok(next, `${q.path}?${q.query} has a next page`)
    tokens.push(next as string)
  }
  const token = fc.oneof(
    { weight: 2, arbitrary: fc.nat({ max: queries.length - 1 }).map((i) => ({ from: i, text: tokens[i] as string })) },
    { weight: 3, arbitrary: fc.tuple(fc.nat({ max: queries.length - 1 }), tokenEdits).map(([i, e]) => ({ from: i, text: mutateToken(tokens[i] as string, e) })) },
    { weight: 1, arbitrary: fc.tuple(fc.nat({ max: queries.length - 1 }), fc.constantFrom('=', '==', '.', ' ', '%3D')).map(([i, s]) => ({ from: i, text: (tokens[i] as string) + s })) },
    { weight: 1, arbitrary: fc.oneof(fc.base64String({ maxLength: 60 }), fc.string({ maxLength: 40 }).map(wellFormed), fc.nat().map((n) => Buffer.from(String(n)).toString('base64url'))).map((text) => ({ from: -1, text })) }
  )
  await check(t, fc.asyncProperty(token, fc.nat({ max: queries.length - 1 }), fc.integer({ min: 0, max: 3 }), async (tk, used, style) => {
    const q = queries[used] as typeof queries[number]
    const res = await app.inject({ method: 'GET', url: `/ispring${q.path}?${q.query}&pageToken=${encodeVariant(tk.text, style)}`, headers: q.headers })
    const ok = tk.from === used && tk.text === tokens[used]
    const { body } = expectIspring(res, [ok || tk.text === '' ? 200 : 400], tk.text, 'json')
    if (!(ok || tk.text === '')) expect(body.message === 'Bad Request: invalid pageToken', `message ${String(body.message)}`)
  }), { seed: 204, numRuns: FUZZ_RUNS })
})

t.test('look-ups with generated ids and queries: 400 for a malformed id or any parameter, 404 for an unknown id, else the record', async (t) => {
  const app = await build(t)
  const auth = { authorization: `Bearer ${await ispringToken(app)}` }
  const records = {
    user: DEMO.users.map((u) => u.userId),
    department: DEMO.departments.map((d) => d.id),
    group: DEMO.groups.map((g) => g.id)
  }
  const kind = fc.constantFrom('user', 'user/v2', 'department', 'group', 'departments', 'groups')
  const id = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...records.user, ...records.department, ...records.group).chain((v) => fc.oneof(fc.constant(v), caseVariant(v))) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: nastyString().map(wellFormed).filter((s) => s !== '' && !/^\.+$/.test(s)) }
  )
  const query = fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.constantFrom('pageSize=1', 'pageSize=1000', 'pageSize=0', 'pageToken=', 'pageToken=abc', 'x=1', 'pageSize=2&pageSize=2', 'departments[]=x') },
    { weight: 1, arbitrary: nastyString().map((s) => encodeURIComponent(wellFormed(s))) }
  )
  await check(t, fc.asyncProperty(kind, id, query, ACCEPTS, async (k, rawId, q, accept) => {
    const listing = k === 'departments' || k === 'groups'
    const encoded = encodeURIComponent(rawId)
    const path = listing ? `/ispring/${k}` : k === 'user/v2' ? `/ispring/user/${encoded}/v2` : `/ispring/${k}/${encoded}`
    const res = await app.inject({ method: 'GET', url: q === '' ? path : `${path}?${q}`, headers: { ...auth, ...(accept === undefined ? {} : { accept }) } })
    const format = formatFor(accept)
    const pairs = q === '' ? [] : q.split('&').filter((s) => s !== '')
    const queryOk = listing
      ? pairs.every((p) => /^pageSize=(?:[1-9]|[1-9][0-9]{1,2}|1000)$/.test(p) || p === 'pageToken=') && new Set(pairs.map((p) => p.split('=')[0])).size === pairs.length
      : pairs.length === 0
    const store = k === 'user/v2' ? records.user : records[k as 'user' | 'department' | 'group']
    const expected = !queryOk
      ? 400
      : listing ? 200 : !UUID.test(rawId) ? 400 : store.some((r) => r.toLowerCase() === rawId.toLowerCase()) ? 200 : 404
    const { body } = expectIspring(res, [expected], `${rawId} ${q}`, format)
    if (expected === 200 && listing) {
      const list = listOf(body, format, k, k.slice(0, -1), k === 'groups' ? 'groupId' : 'departmentId')
      expect(list.ids.length > 0, `${k} lists its records`)
    }
  }), { seed: 205, numRuns: FUZZ_RUNS })
})

t.test('generated methods, paths and Hosts for iSpring: never a 5xx, every body in iSpring\'s shape', async (t) => {
  const app = await build(t)
  const token = await ispringToken(app)
  const segment = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('users', 'v2', 'user', 'api', 'v3', 'token', 'departments', 'department', 'groups', 'group', '', 'Users', 'a1000000-0000-4000-8000-000000000001', 'd1000000-0000-4000-8000-000000000002', 'e1000000-0000-4000-8000-000000000001') },
    { weight: 1, arbitrary: nastyString().map((s) => encodeURIComponent(wellFormed(s))).filter((s) => !/^(\.|%2e)+$/i.test(s)) }
  )
  const mount = fc.constantFrom(
    { prefix: '/ispring', host: undefined },
    { prefix: '/ispring/api/v2', host: undefined },
    { prefix: '', host: 'demo.ispringlearn.com' },
    { prefix: '/api/v2', host: 'api-learn.ispringlearn.com' },
    { prefix: '', host: 'x.ispring.eu:8443' }
  )
  const method = fc.constantFrom('GET', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD')
  await check(t, fc.asyncProperty(method, mount, fc.array(segment, { minLength: 1, maxLength: 4 }), fc.boolean(), ACCEPTS, async (m, where, segments, authorized, accept) => {
    const url = `${where.prefix}/${segments.join('/')}`
    const headers: Record<string, string> = {}
    if (where.host !== undefined) headers.host = where.host
    if (authorized) headers.authorization = token
    if (accept !== undefined) headers.accept = accept
    if (m === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded'
    const res: Answer = await app.inject({ method: m as 'GET', url, headers, ...(m === 'POST' || m === 'PUT' || m === 'PATCH' ? { payload: 'grant_type=client_credentials' } : {}) })
    expect(res.statusCode < 500, `${m} ${url}: ${res.statusCode} ${res.body.slice(0, 200)}`)
    if (m === 'HEAD' || (res.statusCode === 404 && url === '/')) return
    expectIspring(res, [200, 400, 401, 403, 404], url, formatFor(accept))
  }), { seed: 206, numRuns: FUZZ_RUNS })
})
