/**
 * Token and tenant isolation: an access token, refresh token or page token of one tenant never
 * works for another (whatever Host, X-Auth-Account-Url or alias it is presented under, and not
 * for a new tenant that takes a deleted one's company id); tampered JWTs (payload edited,
 * alg none, HS256 with the public key, another key, re-encoded bytes) are 401; tokens expire
 * exactly when their lifetime ends on the mock clock, to the millisecond.
 */
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose'
import t from 'tap'
import type { MockServer } from '../../src/app.js'
import { advanceClock, build, CONCUR, form, ISPRING, ispringToken } from '../helper.js'
import { check, expect, expectConcurOAuth, expectConcurRest, expectIspring, FUZZ_RUNS } from './support.js'

const TENANTS = 3
const companyId = (i: number): string => `b0b0000${i}-0000-4000-8000-000000000000`
const accountUrl = (i: number): string => `https://iso-${i}.ispringlearn.com`
const OWNER = (i: number): string => `b1000000-0000-4000-8000-00000000000${i}`
const ROOT = (i: number): string => `b2000000-0000-4000-8000-00000000000${i}`
/** Every account lists the same API client id and secret: only the account URL tells them apart. */
const SHARED_CLIENT = { clientId: 'b3000000-0000-4000-8000-000000000000', clientSecret: 'shared-secret' }

function concurTenant (i: number): unknown {
  return {
    vendor: 'concur',
    id: `iso-${i}`,
    name: `Iso ${i}`,
    companyId: companyId(i),
    company: { name: `Iso ${i}`, address: '', city: '', state: '', zip: '', country: 'US' },
    clients: [{ clientId: CONCUR.clientId, clientSecret: CONCUR.clientSecret }],
    requestTokens: [{ token: `at-iso-${i}`, clientId: CONCUR.clientId, neverExpires: true }],
    users: [{ ID: `B400000${i}-0000-4000-8000-000000000000`, LoginID: `only-${i}@iso.test`, PrimaryEmail: `only-${i}@iso.test`, EmployeeID: `E${i}`, FirstName: 'Only', LastName: String(i) }]
  }
}

function ispringTenant (i: number): unknown {
  return {
    vendor: 'ispring',
    id: `iso-${i}`,
    name: `Iso ${i}`,
    accountUrl: accountUrl(i),
    departments: [{ id: ROOT(i), name: 'Root' }],
    users: [{ userId: OWNER(i), login: 'owner', email: 'owner@iso.test', password: 'same-password', firstName: 'O', lastName: String(i), role: 'owner', departmentId: ROOT(i) }],
    apiClients: [{ ...SHARED_CLIENT, actsAs: OWNER(i) }],
    generate: { seed: i, users: 5 }
  }
}

async function create (app: MockServer, body: unknown): Promise<void> {
  const res = await app.inject({ method: 'POST', url: '/__admin/tenants', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) })
  if (res.statusCode !== 201) throw new Error(`create: ${res.statusCode} ${res.body}`)
}

async function concurGrant (app: MockServer, fields: Record<string, string>) {
  return await app.inject({ method: 'POST', url: '/concur/oauth2/v0/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form(fields) })
}

const passwordFields = (i: number) => ({ client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'password', username: companyId(i), password: `at-iso-${i}`, credtype: 'authtoken' })

async function ispringGrant (app: MockServer, i: number): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/ispring/api/v3/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'x-auth-account-url': accountUrl(i) },
    payload: form({ client_id: SHARED_CLIENT.clientId, client_secret: SHARED_CLIENT.clientSecret, grant_type: 'client_credentials' })
  })
  return (res.json() as { access_token: string }).access_token
}

t.test('no credential of one tenant works for another, however it is presented', async (t) => {
  const app = await build(t, { journalSize: 0 })
  const concur: Array<{ access: string, refresh: string }> = []
  const ispring: Array<{ token: string, pageToken: string }> = []
  for (let i = 0; i < TENANTS; i++) {
    await create(app, concurTenant(i))
    await create(app, ispringTenant(i))
    const grant = (await concurGrant(app, passwordFields(i))).json() as { access_token: string, refresh_token: string }
    concur.push({ access: grant.access_token, refresh: grant.refresh_token })
    const token = await ispringGrant(app, i)
    const page = await app.inject({ method: 'GET', url: '/ispring/users?pageSize=2', headers: { authorization: `Bearer ${token}`, accept: 'application/json' } })
    ispring.push({ token, pageToken: (page.json() as { nextPageToken: string }).nextPageToken })
  }
  t.equal(new Set(concur.map((c) => c.refresh)).size, TENANTS, 'each company has its own refresh token')

  const pair = fc.tuple(fc.nat({ max: TENANTS - 1 }), fc.nat({ max: TENANTS - 1 })).filter(([a, b]) => a !== b)
  const kind = fc.constantFrom('concur-access', 'concur-refresh', 'ispring-token', 'ispring-page-token')
  // How the other tenant is named: its account header, its own domain (Host routing), or the alias.
  const presentation = fc.constantFrom('header', 'host', 'host-alias', 'mount-alias', 'both')

  await check(t, fc.asyncProperty(pair, kind, presentation, async ([from, to], k, how) => {
    if (k === 'concur-access') {
      // A Concur token names its company: presented anywhere, it reads that company only.
      const headers: Record<string, string> = { authorization: `Bearer ${(concur[from] as { access: string }).access}` }
      if (how === 'host' || how === 'both') headers.host = 'us.api.concursolutions.com'
      headers['x-auth-account-url'] = accountUrl(to)
      const res = await app.inject({ method: 'GET', url: how === 'host' || how === 'both' ? '/users/' : '/concur/users/', headers })
      const body = expectConcurRest(res, [200], k) as { Items: Array<{ LoginID: string }> }
      expect(JSON.stringify(body.Items.map((u) => u.LoginID)) === JSON.stringify([`only-${from}@iso.test`]), `token of ${from} read ${JSON.stringify(body.Items)}`)
      return
    }
    if (k === 'concur-refresh') {
      const res = await concurGrant(app, { client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'refresh_token', refresh_token: (concur[from] as { refresh: string }).refresh, username: companyId(to) })
      const body = expectConcurOAuth(res, k)
      expect(res.statusCode === 200 && decodeJwt(body.access_token as string).sub === companyId(from), `refresh token of ${from} gave ${res.body.slice(0, 200)}`)
      return
    }
    const headers: Record<string, string> = { accept: 'application/json' }
    let url = '/ispring/users'
    if (how === 'header' || how === 'both') headers['x-auth-account-url'] = accountUrl(to)
    if (how === 'host' || how === 'both') { headers.host = `iso-${to}.ispringlearn.com`; url = '/users' }
    if (how === 'host-alias') { headers.host = `iso-${to}.ispringlearn.com`; url = '/api/v2/users' }
    if (how === 'mount-alias') { headers['x-auth-account-url'] = `${accountUrl(to).toUpperCase()}/`; url = '/ispring/api/v2/users' }
    if (k === 'ispring-token') {
      headers.authorization = (ispring[from] as { token: string }).token
      const res = await app.inject({ method: 'GET', url, headers })
      expectIspring(res, [401], k, 'json')
      return
    }
    // The other tenant's own owner, presenting the first tenant's page token with the same query.
    const res = await app.inject({
      method: 'GET',
      url: `${url}?pageSize=2&pageToken=${(ispring[from] as { pageToken: string }).pageToken}`,
      headers: { ...headers, authorization: `Bearer ${(ispring[to] as { token: string }).token}` }
    })
    const { body } = expectIspring(res, [400], k, 'json')
    expect(body.message === 'Bad Request: invalid pageToken', `page token of ${from} in ${to}: ${res.body}`)
  }), { seed: 601, numRuns: FUZZ_RUNS })
})

t.test('a new tenant that takes a deleted tenant\'s company id or account URL does not inherit its tokens', async (t) => {
  const app = await build(t)
  await create(app, concurTenant(0))
  await create(app, ispringTenant(0))
  const grant = (await concurGrant(app, passwordFields(0))).json() as { access_token: string, refresh_token: string }
  const token = await ispringGrant(app, 0)
  for (const vendor of ['concur', 'ispring']) {
    t.equal((await app.inject({ method: 'DELETE', url: `/__admin/tenants/${vendor}/iso-0` })).statusCode, 204)
  }
  await create(app, { ...concurTenant(0) as object, id: 'iso-0-again' })
  await create(app, { ...ispringTenant(0) as object, id: 'iso-0-again' })
  expectConcurRest(await app.inject({ method: 'GET', url: '/concur/users/', headers: { authorization: `Bearer ${grant.access_token}` } }), [401])
  const refreshed = expectConcurOAuth(await concurGrant(app, { client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'refresh_token', refresh_token: grant.refresh_token }))
  t.equal(refreshed.code, 108, 'the old refresh token is unknown to the new company')
  expectIspring(await app.inject({ method: 'GET', url: '/ispring/users', headers: { authorization: token } }), [401])
  t.pass('old access, refresh and iSpring tokens are refused')
})

t.test('tampered Concur JWTs are 401', async (t) => {
  const app = await build(t)
  await create(app, concurTenant(0))
  await create(app, concurTenant(1))
  const good = ((await concurGrant(app, passwordFields(0))).json() as { access_token: string, id_token: string }).access_token
  const [header, payload, signature] = good.split('.') as [string, string, string]
  const claims = decodeJwt(good)
  const enc = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const jwks = (await app.inject({ method: 'GET', url: '/concur/oauth2/v0/jwks' })).json() as { keys: Array<Record<string, unknown>> }
  const publicJwk = jwks.keys[0] as Record<string, unknown>

  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const foreign = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'RS256', kid: String(publicJwk.kid), typ: 'JWT' }).sign(privateKey)
  const hs256 = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', kid: String(publicJwk.kid) }).sign(new TextEncoder().encode(JSON.stringify(publicJwk)))
  const hs256n = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(createHash('sha256').update(String(publicJwk.n)).digest())
  const embedded = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'RS256', jwk: await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey) }).sign(privateKey)

  /** The same bytes, written differently: the unused low bits of the last base64url character flipped. */
  const reencoded = (segment: string): string => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = alphabet.indexOf(segment.slice(-1))
    const spare = segment.length % 4 === 2 ? 15 : segment.length % 4 === 3 ? 3 : 0
    return spare === 0 ? `${segment}` : segment.slice(0, -1) + (alphabet[(last & ~spare) | ((last & spare) ^ 1)] as string)
  }
  t.equal(Buffer.from(reencoded(signature), 'base64url').equals(Buffer.from(signature, 'base64url')), true, 'the re-encoded signature decodes to the same bytes')

  const cases: Array<[string, string]> = [
    ['payload edited to another company', `${header}.${enc({ ...claims, sub: companyId(1) })}.${signature}`],
    ['payload edited to live longer', `${header}.${enc({ ...claims, exp: (claims.exp as number) + 86_400 })}.${signature}`],
    ['alg: none, no signature', `${enc({ alg: 'none', typ: 'JWT' })}.${payload}.`],
    ['alg: none, the old signature', `${enc({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`],
    ['alg: HS256 keyed with the public JWK', hs256],
    ['alg: HS256 keyed with the modulus', hs256n],
    ['signed by another key under our kid', foreign],
    ['another key embedded in the header', embedded],
    ['signature removed', `${header}.${payload}.`],
    ['signature of another token', `${header}.${payload}.${(((await concurGrant(app, passwordFields(1))).json() as { access_token: string }).access_token.split('.')[2]) as string}`],
    ['header re-encoded', `${reencoded(header)}.${payload}.${signature}`],
    ['payload re-encoded', `${header}.${reencoded(payload)}.${signature}`],
    ['signature re-encoded', `${header}.${payload}.${reencoded(signature)}`],
    ['padding added', `${header}.${payload}.${signature}==`],
    ['two tokens glued', `${good}.${good}`],
    ['the id_token header with the access token body', `${(((await concurGrant(app, passwordFields(0))).json() as { id_token: string }).id_token.split('.')[0]) as string}x.${payload}.${signature}`]
  ]
  for (const [name, token] of cases) {
    if (token === good) continue
    const res = await app.inject({ method: 'GET', url: '/concur/users/', headers: { authorization: `Bearer ${token}` } })
    t.equal(res.statusCode, 401, name)
    expectConcurRest(res, [401], name)
  }
  t.equal((await app.inject({ method: 'GET', url: '/concur/users/', headers: { authorization: `Bearer ${good}` } })).statusCode, 200, 'the untouched token still works')
})

t.test('tokens expire exactly when their lifetime ends on the mock clock', async (t) => {
  // Frozen time (the mock clock reads Date.now through the function it was built with), so the
  // boundary is tested to the millisecond instead of racing the real clock.
  const realNow = Date.now
  const T0 = 1_800_000_000_000
  let now = T0 + 500
  Date.now = () => now
  t.teardown(() => { Date.now = realNow })
  const app = await build(t)
  Date.now = realNow
  // Only the app's own clock keeps the frozen function from here on.
  await create(app, concurTenant(0))
  await create(app, ispringTenant(0))

  const concur = (await concurGrant(app, passwordFields(0))).json() as { access_token: string, refresh_token: string, refresh_expires_in: number, expires_in: number }
  const fresh = (await concurGrant(app, passwordFields(0))).json() as { access_token: string }
  const ispringAccess = await ispringGrant(app, 0)
  const exp = decodeJwt(concur.access_token).exp as number
  t.equal(exp, Math.floor((T0 + 500) / 1000) + 3600, 'exp is the issue second plus 3600')
  const concurStatus = async (token: string) => (await app.inject({ method: 'GET', url: '/concur/users/', headers: { authorization: `Bearer ${token}` } })).statusCode
  const ispringStatus = async () => (await app.inject({ method: 'GET', url: '/ispring/users', headers: { authorization: ispringAccess } })).statusCode

  t.equal(await concurStatus(concur.access_token), 200, 'Concur token used (and cached) while live')
  now = exp * 1000 - 1
  t.equal(await concurStatus(concur.access_token), 200, 'Concur: live in the last millisecond of its last second')
  now = exp * 1000
  t.equal(await concurStatus(concur.access_token), 401, 'Concur: 401 from the second exp names (cached verification)')
  t.equal(await concurStatus(fresh.access_token), 401, 'Concur: 401 from that second on a first verification too')

  now = T0 + 500 + 1800 * 1000 - 1
  t.equal(await ispringStatus(), 200, 'iSpring: live 1 ms before 1800 s')
  now = T0 + 500 + 1800 * 1000
  t.equal(await ispringStatus(), 401, 'iSpring: 401 at 1800 s')

  now = concur.refresh_expires_in * 1000 - 1500
  const refresh = async () => await concurGrant(app, { client_id: CONCUR.clientId, client_secret: CONCUR.clientSecret, grant_type: 'refresh_token', refresh_token: concur.refresh_token })
  t.equal((await refresh()).statusCode, 200, 'refresh token live before refresh_expires_in (and extended by using it)')
  const extended = (await refresh()).json() as { refresh_expires_in: number }
  now = extended.refresh_expires_in * 1000
  const expired = await refresh()
  t.equal((expired.json() as { code: number }).code, 108, 'refresh token refused from the second refresh_expires_in names')
})

t.test('an iSpring token stays valid until it expires, however many tokens are issued after it', async (t) => {
  const app = await build(t, { journalSize: 0 })
  const first = await ispringToken(app)
  // More than the 10,000 live tokens per account the mock used to keep (it then refused the oldest).
  const payload = form({ client_id: ISPRING.demo.clients.owner.clientId, client_secret: ISPRING.demo.clients.owner.clientSecret, grant_type: 'client_credentials' })
  for (let i = 0; i < 10_050; i++) {
    await app.inject({ method: 'POST', url: '/ispring/api/v3/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload })
  }
  t.equal((await app.inject({ method: 'GET', url: '/ispring/users?pageSize=1', headers: { authorization: first } })).statusCode, 200, 'the first token still works')
  await advanceClock(app, 1800)
  t.equal((await app.inject({ method: 'GET', url: '/ispring/users?pageSize=1', headers: { authorization: first } })).statusCode, 401, 'and expires on time')
})
