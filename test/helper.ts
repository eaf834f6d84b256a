/**
 * Test helpers: build(t) gives each test its own app (state is mutable) and closes it after;
 * the Concur helpers walk the token flow the way a client does.
 */
import type { Test } from 'tap'
import { buildMockServer, type MockServer } from '../src/app.js'
import type { MockOptions } from '../src/config.js'

export async function build (t: Test, options: MockOptions = {}): Promise<MockServer> {
  const app = await buildMockServer(options)
  t.teardown(async () => { await app.close() })
  await app.ready()
  return app
}

export const CONCUR = {
  clientId: '1d3b8a2e-6c0f-4e7a-9b5d-0a1c2e3f4d5e',
  clientSecret: 'demo-concur-secret',
  otherClientId: '2f4e6a8c-0b1d-4f3e-8a5c-7e9b1d3f5a7c',
  otherClientSecret: 'other-concur-secret',
  companies: {
    'company-name-llc': { companyId: '7c2b6e4a-1f0d-4c8b-9a3e-5d6f7a8b9c01', requestToken: 'at-demo-request-token' },
    acme: { companyId: '3a9c5e7b-2d4f-4b6a-8c0e-1f3a5b7d9e02', requestToken: 'at-acme-request-token' },
    globex: { companyId: '5b7d9f1a-3c5e-4d7f-9a1b-2c4e6a8c0e03', requestToken: 'at-globex-request-token' }
  }
} as const

export type ConcurCompanyName = keyof typeof CONCUR.companies

export function form (fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString()
}

/** POST /concur/oauth2/v0/token with a form body. */
export async function concurTokenRequest (app: MockServer, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return await app.inject({
    method: 'POST',
    url: '/concur/oauth2/v0/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: form(fields)
  })
}

export function passwordGrant (company: ConcurCompanyName = 'company-name-llc'): Record<string, string> {
  const c = CONCUR.companies[company]
  return {
    client_id: CONCUR.clientId,
    client_secret: CONCUR.clientSecret,
    grant_type: 'password',
    username: c.companyId,
    password: c.requestToken,
    credtype: 'authtoken'
  }
}

export interface ConcurTokens { access_token: string, refresh_token: string, id_token: string, geolocation: string, expires_in: number, refresh_expires_in: number }

export async function concurToken (app: MockServer, company: ConcurCompanyName = 'company-name-llc'): Promise<ConcurTokens> {
  const res = await concurTokenRequest(app, passwordGrant(company))
  if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

export async function concurUsers (app: MockServer, token: string, query = '') {
  return await app.inject({ method: 'GET', url: `/concur/users/${query === '' ? '' : `?${query}`}`, headers: { authorization: `Bearer ${token}` } })
}
