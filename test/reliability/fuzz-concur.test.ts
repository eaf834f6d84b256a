/**
 * Bad input never breaks the Concur module: generated query strings, headers, token-endpoint
 * form bodies and paths each get a documented status (2xx/4xx, never 5xx) with a body in
 * Concur's own shape, and where the contract fixes the answer (the token error table, the
 * strict query rules) the answer is exactly the one an independent reading of concur.md gives.
 */
import fc from 'fast-check'
import t from 'tap'
import type { MockServer } from '../../src/app.js'
import { DEMO } from '../../src/demo.js'
import type { ConcurCompany } from '../../src/vendors/concur/data.js'
import { build, concurToken } from '../helper.js'
import { check, encodeVariant, expect, expectConcurOAuth, expectConcurRest, FUZZ_RUNS, headerText, mutateToken, nastyString, tokenEdits, wellFormed, editForm } from './support.js'

const ALLOWED = ['offset', 'limit', 'isactive', 'loginid', 'lastname', 'employeeid', 'primaryemail', 'countrycode', 'id']

/** Lower-cases A-Z only (concur.md: loginid and primaryemail are ASCII case-insensitive). */
const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase())

const caseVariant = (text: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((flags) => [...text].map((c, i) => flags[i] === true ? c.toUpperCase() : c.toLowerCase()).join(''))

interface Pair { name: string, value: string, noEquals: boolean, nameStyle: number, valueStyle: number }

function companyOf (app: MockServer, id: string): ConcurCompany {
  return app.mock.store.get<ConcurCompany>('concur', id)?.data as ConcurCompany
}

t.test('GET /users/ with generated query strings: 200 exactly when concur.md allows the query, else 400', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app)).access_token
  const users = companyOf(app, 'company-name-llc').directory.users
  const known = users.flatMap((u) => [u.LoginID, u.PrimaryEmail, u.LastName, u.EmployeeID, u.ID, u.CountryCode ?? ''])

  const name = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...ALLOWED) },
    { weight: 2, arbitrary: fc.constantFrom(...ALLOWED).chain(caseVariant) },
    { weight: 1, arbitrary: fc.constantFrom('isActive', 'LoginID', 'Limit', 'OFFSET', 'limit[]', 'offset ', ' limit', 'loginid[]', '') },
    { weight: 2, arbitrary: nastyString().map(wellFormed) }
  )
  const value = fc.oneof(
    fc.nat({ max: 1200 }).map(String),
    fc.integer({ min: -3, max: 1003 }).map(String),
    fc.constantFrom('0', '00', '007', '1000', '1001', '9007199254740991', '9007199254740993', '99999999999999999999', '1.5', '1e2', ' 1', '+1', '-0', 'true', 'false', 'True', 'FALSE', ''),
    fc.constantFrom(...known).chain((v) => fc.oneof(fc.constant(v), caseVariant(v))),
    nastyString().map(wellFormed)
  )
  const pair = fc.record({ name, value, noEquals: fc.integer({ min: 0, max: 7 }).map((n) => n === 0), nameStyle: fc.integer({ min: 0, max: 3 }), valueStyle: fc.integer({ min: 0, max: 3 }) })
  const broken = fc.option(fc.constantFrom('%', '%zz', 'loginid=%E0%A4%A', 'lastname=%C0%80', '%ff=1', 'id=%'), { freq: 8 })

  await check(t, fc.asyncProperty(fc.array(pair, { maxLength: 6 }), broken, fc.nat(), async (pairs: Pair[], brokenSegment, at) => {
    const segments = pairs.map((p) => p.noEquals ? encodeVariant(p.name, p.nameStyle) : `${encodeVariant(p.name, p.nameStyle)}=${encodeVariant(p.value, p.valueStyle)}`)
    if (brokenSegment !== null) segments.splice(at % (segments.length + 1), 0, brokenSegment)
    const query = segments.join('&')
    const res = await app.inject({ method: 'GET', url: `/concur/users/?${query}`, headers: { authorization: `Bearer ${token}` } })

    // An independent reading of the rules: names exact and once, values by name.
    const given = pairs.filter((p) => !(p.noEquals && encodeVariant(p.name, p.nameStyle) === ''))
    const names = given.map((p) => p.name)
    const valueOf = (n: string): string | undefined => { const p = given.find((g) => g.name === n); return p === undefined ? undefined : p.noEquals ? '' : p.value }
    const digits = (v: string | undefined): boolean => v === undefined || (/^[0-9]+$/.test(v) && Number.isSafeInteger(Number(v)))
    const limit = valueOf('limit')
    const isactive = valueOf('isactive')
    const valid = brokenSegment === null &&
      names.every((n) => ALLOWED.includes(n)) && new Set(names).size === names.length &&
      digits(valueOf('offset')) && digits(limit) && (limit === undefined || (Number(limit) >= 1 && Number(limit) <= 1000)) &&
      (isactive === undefined || isactive === 'true' || isactive === 'false')

    const body = expectConcurRest(res, valid ? [200] : [400], query) as { total: number, offset: number, limit: number, Items: Array<{ ID: string }> }
    if (!valid) {
      expect((body as unknown as { Message: string }).Message === 'invalid query params', `400 message: ${res.body}`)
      return
    }
    const matches = users.filter((u) => given.every((p) => {
      const v = p.noEquals ? '' : p.value
      switch (p.name) {
        case 'isactive': return String(u.Active) === v
        case 'loginid': return asciiLower(u.LoginID) === asciiLower(v)
        case 'primaryemail': return asciiLower(u.PrimaryEmail) === asciiLower(v)
        case 'lastname': return u.LastName.toLowerCase() === v.toLowerCase()
        case 'employeeid': return u.EmployeeID === v
        case 'countrycode': return (u.CountryCode ?? '').toLowerCase() === v.toLowerCase()
        case 'id': return u.ID.toLowerCase() === v.toLowerCase()
        default: return true
      }
    }))
    const offset = Number(valueOf('offset') ?? 0)
    expect(body.total === matches.length, `total ${body.total}, expected ${matches.length} for ${query}`)
    expect(body.offset === offset && body.limit === Number(limit ?? 100), `offset/limit echo for ${query}`)
    expect(JSON.stringify(body.Items.map((u) => u.ID)) === JSON.stringify(matches.slice(offset, offset + body.limit).map((u) => u.ID)), `items for ${query}`)
  }), { seed: 101, numRuns: FUZZ_RUNS })
})

t.test('GET /users/ with generated Authorization, Accept and other headers: 200 only for a live bearer token, else 401', async (t) => {
  const app = await build(t)
  const revoked = (await concurToken(app)).access_token
  const revoke = await app.inject({ method: 'DELETE', url: '/concur/app-mgmt/v0/connections', headers: { authorization: `Bearer ${revoked}` } })
  t.equal(revoke.statusCode, 200)
  const live = await concurToken(app)
  const token = live.access_token

  const authorization = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'BeArEr'), fc.constantFrom(' ', '  ', '\t', ' \t '), fc.constantFrom('', ' ', '  ')).map(([s, sep, tail]) => ({ value: `${s}${sep}${token}${tail}`, ok: true })) },
    { weight: 1, arbitrary: fc.constant({ value: undefined, ok: false }) },
    { weight: 1, arbitrary: fc.constantFrom('', 'Bearer', 'Bearer ', token, `Basic ${Buffer.from('a:b').toString('base64')}`, `Bearer ${token} extra`, `Token ${token}`, `Bearer ${revoked}`, `Bearer ${live.refresh_token}`, `Bearer ${token}.`, `Bearer .${token}`, 'Bearer a.b.c', 'Bearer eyJhbGciOiJub25lIn0.e30.').map((value) => ({ value, ok: false })) },
    { weight: 2, arbitrary: tokenEdits.map((edits) => { const v = mutateToken(token, edits); return { value: `Bearer ${v}`, ok: v === token } }) },
    { weight: 2, arbitrary: headerText(60).map((v) => ({ value: v, ok: false })) },
    { weight: 1, arbitrary: headerText(60).map((v) => ({ value: `Bearer ${v}`, ok: false })) }
  )
  const extra = fc.dictionary(
    fc.constantFrom('accept', 'content-type', 'x-auth-account-url', 'x-auth-email', 'x-auth-password', 'x-target-locale', 'x-forwarded-host', 'x-forwarded-proto', 'cookie', 'user-agent', 'if-none-match', 'range', 'x-custom'),
    headerText(60),
    { maxKeys: 5 }
  )

  await check(t, fc.asyncProperty(authorization, extra, async (auth, headers) => {
    const all: Record<string, string> = { ...headers }
    if (auth.value !== undefined) all.authorization = auth.value
    const res = await app.inject({ method: 'GET', url: '/concur/users/', headers: all })
    const input = JSON.stringify(all)
    const body = expectConcurRest(res, auth.ok ? [200] : [401], input) as { total?: number, Message?: string }
    if (auth.ok) expect(body.total === 2, 'the company\'s own two users')
    else expect(body.Message === 'Authorization Required', `401 message: ${res.body}`)
  }), { seed: 102, numRuns: FUZZ_RUNS })
})

t.test('POST /oauth2/v0/token with generated form bodies: the answer is the first row of the error table that applies', async (t) => {
  const app = await build(t)
  const c = DEMO.concur.companies
  const shared = DEMO.concur.clientId.toLowerCase()
  const other = DEMO.concur.otherClient.clientId.toLowerCase()
  const secrets: Record<string, string> = { [shared]: DEMO.concur.clientSecret, [other]: DEMO.concur.otherClient.clientSecret }
  const companies: Record<string, { clients: string[], tokens: Record<string, string> }> = {
    [c['company-name-llc'].companyId]: { clients: [shared], tokens: { [c['company-name-llc'].requestToken]: shared } },
    [c.acme.companyId]: { clients: [shared, other], tokens: { [c.acme.requestToken]: shared, [c.acme.otherRequestToken]: other } },
    [c.globex.companyId]: { clients: [shared], tokens: { [c.globex.requestToken]: shared } }
  }
  // The refresh token of each company and app, as a client would have stored it.
  const refresh = new Map<string, string>()
  for (const [companyId, company] of Object.entries(companies)) {
    for (const [requestToken, clientId] of Object.entries(company.tokens)) {
      const res = await app.inject({
        method: 'POST',
        url: '/concur/oauth2/v0/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ client_id: clientId, client_secret: secrets[clientId] as string, grant_type: 'password', username: companyId, password: requestToken, credtype: 'authtoken' }).toString()
      })
      refresh.set((res.json() as { refresh_token: string }).refresh_token, clientId)
    }
  }

  const pool = [
    DEMO.concur.clientId, DEMO.concur.clientId.toUpperCase(), DEMO.concur.otherClient.clientId, '00000000-0000-4000-8000-000000000000',
    DEMO.concur.clientSecret, DEMO.concur.otherClient.clientSecret, 'DEMO-CONCUR-SECRET',
    'password', 'refresh_token', 'client_credentials', 'authorization_code', 'PASSWORD', 'authtoken', 'AUTHTOKEN',
    ...Object.keys(companies), c.acme.companyId.toUpperCase(), ...Object.values(companies).flatMap((co) => Object.keys(co.tokens)),
    ...refresh.keys(), 'user.read', ''
  ]
  const fieldNames = ['client_id', 'client_secret', 'grant_type', 'username', 'password', 'credtype', 'refresh_token', 'scope']
  const scenario = fc.oneof(
    fc.constantFrom(...Object.entries(companies).flatMap(([companyId, co]) => Object.entries(co.tokens).map(([rt, cid]) => [
      ['client_id', cid], ['client_secret', secrets[cid] as string], ['grant_type', 'password'], ['username', companyId], ['password', rt], ['credtype', 'authtoken']
    ] as Array<[string, string]>))),
    fc.constantFrom(...[...refresh].map(([rt, cid]) => [['client_id', cid], ['client_secret', secrets[cid] as string], ['grant_type', 'refresh_token'], ['refresh_token', rt]] as Array<[string, string]>)),
    fc.constant([] as Array<[string, string]>)
  )
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: nastyString().map(wellFormed) }) }),
    fc.record({ kind: fc.constant('add' as const), name: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...fieldNames) }, { weight: 1, arbitrary: fc.constantFrom('Client_Id', 'CLIENT_SECRET', 'client_id[]', '__proto__', 'constructor', 'toString') }, { weight: 1, arbitrary: nastyString().map(wellFormed) }), value: fc.oneof(fc.constantFrom(...pool), nastyString().map(wellFormed)), first: fc.boolean() })
  )
  const contentType = fc.constantFrom<string | undefined>(
    'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded;charset=UTF-8',
    'APPLICATION/X-WWW-FORM-URLENCODED', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/xml', undefined
  )

  function oracle (type: string | undefined, fields: Array<[string, string]>): { status: number, code?: number } {
    if (type === undefined || type.split(';')[0]?.trim().toLowerCase() !== 'application/x-www-form-urlencoded') return { status: 400, code: 135 }
    const first = (name: string): string | undefined => { const f = fields.find(([n]) => n === name); return f === undefined || f[1] === '' ? undefined : f[1] }
    const clientId = first('client_id')
    if (clientId === undefined) return { status: 400, code: 62 }
    const secret = first('client_secret')
    if (secret === undefined) return { status: 400, code: 63 }
    const grant = first('grant_type')
    if (grant === undefined) return { status: 400, code: 65 }
    const cid = clientId.toLowerCase()
    const known = Object.hasOwn(secrets, cid) ? secrets[cid] : undefined
    if (known === undefined) return { status: 400, code: 61 }
    if (known !== secret) return { status: 400, code: 64 }
    if (grant === 'password') {
      const username = first('username')
      if (username === undefined) return { status: 400, code: 51 }
      const password = first('password')
      if (password === undefined) return { status: 400, code: 52 }
      const credtype = first('credtype')
      if (credtype !== undefined && credtype !== 'authtoken' && credtype !== 'password') return { status: 400, code: 120 }
      if (credtype !== 'authtoken') return { status: 400, code: 5 }
      const company = Object.hasOwn(companies, username.toLowerCase()) ? companies[username.toLowerCase()] : undefined
      const owner = company !== undefined && Object.hasOwn(company.tokens, password) ? company.tokens[password] : undefined
      if (company === undefined || owner === undefined) return { status: 400, code: 5 }
      if (!company.clients.includes(cid)) return { status: 400, code: 53 }
      if (owner !== cid) return { status: 400, code: 136 }
      return { status: 200 }
    }
    if (grant === 'refresh_token') {
      const rt = first('refresh_token')
      if (rt === undefined) return { status: 400, code: 106 }
      return refresh.get(rt) === cid ? { status: 200 } : { status: 400, code: 108 }
    }
    if (grant === 'client_credentials') return { status: 200 }
    return { status: 400, code: 60 }
  }

  await check(t, fc.asyncProperty(scenario, fc.array(edit, { maxLength: 4 }), contentType, async (base, edits, type) => {
    const { fields, payload } = editForm(base, edits)
    const res = await app.inject({ method: 'POST', url: '/concur/oauth2/v0/token', headers: type === undefined ? {} : { 'content-type': type }, payload })
    const expected = oracle(type, fields)
    const body = expectConcurOAuth(res, payload)
    expect(res.statusCode === expected.status, `status ${res.statusCode}, expected ${expected.status} (code ${String(expected.code)}) for ${type} ${payload}: ${res.body}`)
    if (expected.code !== undefined) expect(body.code === expected.code, `code ${String(body.code)}, expected ${expected.code} for ${type} ${payload}`)
  }), { seed: 103, numRuns: FUZZ_RUNS })
})

t.test('generated methods and paths under /concur: 404 or the route\'s own answer, always in Concur\'s shape', async (t) => {
  const app = await build(t)
  const token = (await concurToken(app, 'company-name-llc')).access_token
  const segment = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('users', '', 'oauth2', 'v0', 'token', 'jwks', 'app-mgmt', 'connections', 'Users', 'USERS', 'user', '%2F', 'api', 'v3', 'api-docs') },
    // Dot segments are left out: app.inject resolves them (a real server does not; admin-safety tests that).
    { weight: 1, arbitrary: nastyString().map((s) => encodeURIComponent(wellFormed(s))).filter((s) => !/^(\.|%2e)+$/i.test(s)) }
  )
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD')
  await check(t, fc.asyncProperty(method, fc.array(segment, { minLength: 1, maxLength: 4 }), fc.boolean(), async (m, segments, authorized) => {
    const path = `/concur/${segments.join('/')}`
    const res = await app.inject({
      method: m as 'GET',
      url: path,
      headers: { ...(authorized ? { authorization: `Bearer ${token}` } : {}), ...(m === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(m === 'POST' || m === 'PUT' || m === 'PATCH' ? { payload: 'a=b' } : {})
    })
    expect(res.statusCode < 500, `${m} ${path}: ${res.statusCode} ${res.body.slice(0, 200)}`)
    if (m === 'HEAD') return
    if (m === 'POST' && path === '/concur/oauth2/v0/token') {
      expectConcurOAuth(res, path)
    } else if (m === 'GET' && path === '/concur/oauth2/v0/jwks') {
      expect(res.statusCode === 200 && Array.isArray((JSON.parse(res.body) as { keys: unknown }).keys), 'JWKS')
    } else {
      expectConcurRest(res, [200, 400, 401, 404], path)
    }
  }), { seed: 104, numRuns: FUZZ_RUNS })
})
