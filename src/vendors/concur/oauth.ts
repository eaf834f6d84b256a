/**
 * Concur's company-token flow: `POST /oauth2/v0/token` (password grant with
 * `credtype=authtoken`, refresh grant), the JWKS of the signing key, revocation through
 * `DELETE /app-mgmt/v0/connections`, and the bearer check the REST routes share.
 * https://preview.developer.concur.com/api-reference/authentication/company-auth.html
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Caller } from '../../core/context.js'
import type { JwtIssuer } from '../../core/jwt.js'
import { isHostRouted, publicBase } from '../../core/routing.js'
import type { Tenant } from '../../core/tenants.js'
import type { ConcurCompany, Session, SessionIssued } from './data.js'
import { MOUNT, OAUTH_ERRORS, sendMessageError, sendOAuthError, TOKEN_PATH } from './errors.js'
import { JwksSchema, MessageErrorSchema, OAuthErrorSchema, RevokedSchema, TokenSuccessSchema } from './schemas.js'
import { UNSUPPORTED_BODY, type FormBody } from '../../core/form-body.js'

export const ACCESS_TOKEN_SECONDS = 3600
export const REFRESH_TOKEN_SECONDS = 180 * 86_400
export const REQUEST_TOKEN_SECONDS = 24 * 3600
export const SCOPE = 'user.read company.read'
/** The scopes of an app token (client credentials): the app's own, no company data. */
export const APP_SCOPE = 'app-scopes'
export { MOUNT }
export const FORM_BODY_LIMIT = 64 * 1024

/** What the catch-all body parser hands the token route for a body that is not a form. */
export type TokenBody = FormBody

export interface Authenticated extends Caller { tenant: Tenant<ConcurCompany>, company: ConcurCompany, session: Session }

/** The caller the `authenticated` hook found (only on routes that run it). */
export const callerOf = (request: FastifyRequest): Authenticated => request.caller as Authenticated

function firstValue (value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value
  return typeof v === 'string' && v !== '' ? v : undefined
}

const TOKEN_CHARS = /^[\w.:-]+$/

/** Concur's `geolocation`: the base URL the client must use from now on (concur.md section 1). */
export function geolocation (request: FastifyRequest, publicUrl: string | undefined): string {
  const base = publicBase(request, publicUrl)
  return publicUrl !== undefined || !isHostRouted(request) ? base + MOUNT : base
}

export class ConcurAuth {
  readonly #app: FastifyInstance
  readonly #issuer: JwtIssuer

  constructor (app: FastifyInstance, issuer: JwtIssuer) {
    this.#app = app
    this.#issuer = issuer
  }

  get #store () { return this.#app.mock.store }
  get #clock () { return this.#app.mock.clock }

  /**
   * The preHandler of every route that needs a company token: 401 without a valid one; else the
   * caller is set and identified (journal, tenant-matched faults), once, before the handler runs.
   */
  readonly authenticated = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const found = await this.authenticate(request)
    if (found === undefined) return sendMessageError(reply, 401, 'Authorization Required', this.#clock.now())
    request.caller = found
    if (await this.#app.identify(request, reply, found.tenant.id)) return reply
    return undefined
  }

  /** The company and session of a valid bearer token on the request, or undefined. */
  async authenticate (request: FastifyRequest): Promise<Authenticated | undefined> {
    const header = request.headers.authorization
    if (header === undefined) return undefined
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (match === null) return undefined
    const claims = await this.#issuer.verify(match[1] as string)
    if (claims === undefined || typeof claims.sub !== 'string' || typeof claims.aud !== 'string' || claims['concur.type'] !== 'company') return undefined
    const tenant = this.#store.byKey<ConcurCompany>('concur', claims.sub)
    const session = tenant?.data.sessions.get(claims.aud)
    if (tenant === undefined || session === undefined || session.sid !== claims.sid) return undefined
    return { tenant, company: tenant.data, session }
  }

  /** Known clients across every company: lower-case client id → the secrets it is listed with. */
  #clientSecrets (clientId: string): Set<string> {
    const secrets = new Set<string>()
    for (const tenant of this.#store.list<ConcurCompany>('concur')) {
      const secret = tenant.data.clients.get(clientId)
      if (secret !== undefined) secrets.add(secret)
    }
    return secrets
  }

  async token (request: FastifyRequest<{ Body: TokenBody | undefined }>, reply: FastifyReply): Promise<FastifyReply> {
    const body = request.body
    const type = String(request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
    if (type !== 'application/x-www-form-urlencoded' || body === UNSUPPORTED_BODY) {
      return sendOAuthError(reply, OAUTH_ERRORS.unsupportedFormat)
    }
    const form = body ?? {}
    const clientIdRaw = firstValue(form.client_id)
    if (clientIdRaw === undefined) return sendOAuthError(reply, OAUTH_ERRORS.noClientId)
    const secret = firstValue(form.client_secret)
    if (secret === undefined) return sendOAuthError(reply, OAUTH_ERRORS.noClientSecret)
    const grantType = firstValue(form.grant_type)
    if (grantType === undefined) return sendOAuthError(reply, OAUTH_ERRORS.noGrantType)
    const clientId = clientIdRaw.toLowerCase()
    const secrets = this.#clientSecrets(clientId)
    if (secrets.size === 0) return sendOAuthError(reply, OAUTH_ERRORS.unknownClient)
    if (!secrets.has(secret)) return sendOAuthError(reply, OAUTH_ERRORS.wrongSecret)
    if (grantType === 'password') return await this.#passwordGrant(request, reply, form, clientId)
    if (grantType === 'refresh_token') return await this.#refreshGrant(request, reply, form, clientId)
    if (grantType === 'client_credentials') return await this.#appGrant(request, reply, clientId)
    return sendOAuthError(reply, OAUTH_ERRORS.badGrant)
  }

  async #passwordGrant (request: FastifyRequest, reply: FastifyReply, form: Record<string, unknown>, clientId: string): Promise<FastifyReply> {
    const username = firstValue(form.username)
    if (username === undefined) return sendOAuthError(reply, OAUTH_ERRORS.noUsername)
    const password = firstValue(form.password)
    if (password === undefined) return sendOAuthError(reply, OAUTH_ERRORS.noPassword)
    const credtype = firstValue(form.credtype)
    if (credtype !== undefined && credtype !== 'authtoken' && credtype !== 'password') {
      return sendOAuthError(reply, OAUTH_ERRORS.badCredtype)
    }
    if (credtype !== 'authtoken') return sendOAuthError(reply, OAUTH_ERRORS.badCredentials)
    const tenant: Tenant<ConcurCompany> | undefined = this.#store.byKey<ConcurCompany>('concur', username)
    const company = tenant?.data
    const requestToken = company?.requestTokens.get(password)
    if (company === undefined || requestToken === undefined || !this.#requestTokenLive(requestToken)) {
      return sendOAuthError(reply, OAUTH_ERRORS.badCredentials)
    }
    if (await this.#app.identify(request, reply, (tenant as Tenant).id)) return reply
    if (company.disabled) return sendOAuthError(reply, OAUTH_ERRORS.disabled)
    if (!company.clients.has(clientId)) return sendOAuthError(reply, OAUTH_ERRORS.notEnabled)
    if (requestToken.clientId !== clientId) return sendOAuthError(reply, OAUTH_ERRORS.otherClient)
    const open = company.sessions.get(clientId)
    return await this.#issue(request, reply, tenant as Tenant<ConcurCompany>, 'password', open ?? { clientId, sid: randomUUID(), refreshToken: randomUUID() })
  }

  /**
   * Client credentials: an app token, for the app itself and no company (`concur.type` app, no
   * refresh or id token); APIs that need a company token refuse it.
   */
  async #appGrant (request: FastifyRequest, reply: FastifyReply, clientId: string): Promise<FastifyReply> {
    const geo = geolocation(request, this.#app.mock.config.publicUrl)
    const accessToken = await this.#issuer.sign({ iss: geo, sub: clientId, aud: clientId, 'concur.type': 'app', 'concur.version': 2, scope: APP_SCOPE }, ACCESS_TOKEN_SECONDS)
    // Not the company token's response schema (no refresh or id token): serialized as it is.
    return reply.type('application/json').serializer(JSON.stringify).send({ expires_in: ACCESS_TOKEN_SECONDS, scope: APP_SCOPE, token_type: 'Bearer', access_token: accessToken, geolocation: geo })
  }

  /** Whether the request carries a valid app token (client credentials grant): not a company's. */
  async isAppToken (request: FastifyRequest): Promise<boolean> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
    if (match === null) return false
    const claims = await this.#issuer.verify(match[1] as string)
    return claims?.['concur.type'] === 'app'
  }

  #requestTokenLive (t: { issuedAt: number | undefined, neverExpires: boolean }): boolean {
    if (t.neverExpires) return true
    const issuedAt = t.issuedAt ?? this.#clock.startedAt
    return this.#clock.now() < issuedAt + REQUEST_TOKEN_SECONDS * 1000
  }

  async #refreshGrant (request: FastifyRequest, reply: FastifyReply, form: Record<string, unknown>, clientId: string): Promise<FastifyReply> {
    const refreshToken = firstValue(form.refresh_token)
    if (refreshToken === undefined) return sendOAuthError(reply, OAUTH_ERRORS.noRefreshToken)
    if (TOKEN_CHARS.test(refreshToken)) {
      for (const tenant of this.#store.list<ConcurCompany>('concur')) {
        const session = tenant.data.sessions.get(clientId)
        if (session?.refreshToken === refreshToken && session.refreshExpiresAt > this.#clock.now()) {
          if (await this.#app.identify(request, reply, tenant.id)) return reply
          return await this.#issue(request, reply, tenant, 'refresh_token', session)
        }
      }
    }
    return sendOAuthError(reply, OAUTH_ERRORS.badRefreshToken)
  }

  /**
   * Opens or continues the app's session through the change path (so every replica knows its sid
   * and refresh token) and answers with fresh tokens. A refresh that lost a race with a revocation
   * gets the refresh token's refusal.
   */
  async #issue (request: FastifyRequest, reply: FastifyReply, tenant: Tenant<ConcurCompany>, grant: SessionIssued['grant'],
    draft: Pick<Session, 'clientId' | 'sid' | 'refreshToken'>): Promise<FastifyReply> {
    const geo = geolocation(request, this.#app.mock.config.publicUrl)
    const change: SessionIssued & { vendor: string, tenant: string, at: number } = {
      kind: 'concur.session.issued',
      vendor: 'concur',
      tenant: tenant.id,
      at: this.#clock.now(),
      grant,
      clientId: draft.clientId,
      sid: draft.sid,
      refreshToken: draft.refreshToken,
      // Whole seconds, like refresh_expires_in: the token is refused from exactly that second on.
      refreshExpiresAt: (this.#clock.nowSeconds() + REFRESH_TOKEN_SECONDS) * 1000
    }
    const session = await this.#app.mock.changes.submit(change) as Session | undefined
    if (session === undefined) return sendOAuthError(reply, OAUTH_ERRORS.badRefreshToken)
    const company = tenant.data
    const scope = company.scopes.get(session.clientId)?.join(' ') ?? SCOPE
    const claims = {
      iss: geo,
      sub: company.companyId,
      aud: session.clientId,
      'concur.type': 'company',
      'concur.version': 2,
      scope,
      sid: session.sid
    }
    const [accessToken, idToken] = await Promise.all([
      this.#issuer.sign(claims, ACCESS_TOKEN_SECONDS),
      this.#issuer.sign(claims, ACCESS_TOKEN_SECONDS)
    ])
    return reply.type('application/json').send({
      expires_in: ACCESS_TOKEN_SECONDS,
      scope,
      token_type: 'Bearer',
      access_token: accessToken,
      refresh_token: session.refreshToken,
      refresh_expires_in: Math.floor(session.refreshExpiresAt / 1000),
      id_token: idToken,
      geolocation: geo
    })
  }
}

export function registerOAuthRoutes (app: FastifyInstance, auth: ConcurAuth, jwks: { keys: unknown[] }): void {
  app.post(TOKEN_PATH, {
    bodyLimit: FORM_BODY_LIMIT,
    config: { envelope: 'oauth' },
    schema: {
      summary: 'Company token (password grant with credtype=authtoken, refresh grant) or app token (client credentials grant)',
      description: 'The client credentials grant answers expires_in, scope, token_type, access_token and geolocation only (no refresh or id token).',
      consumes: ['application/x-www-form-urlencoded'],
      response: { 200: TokenSuccessSchema, 400: OAuthErrorSchema, 413: OAuthErrorSchema }
    }
  }, async (request, reply) => await auth.token(request as FastifyRequest<{ Body: TokenBody | undefined }>, reply))

  app.get('/oauth2/v0/jwks', { schema: { summary: 'Public keys that verify access and id tokens', response: { 200: JwksSchema } } }, async () => jwks)

  app.delete('/app-mgmt/v0/connections', {
    schema: { summary: "Revoke the calling app's tokens for the company", response: { 200: RevokedSchema, 401: MessageErrorSchema } },
    preHandler: auth.authenticated
  }, async (request, reply) => {
    const found = callerOf(request)
    await app.mock.changes.submit({ kind: 'tokens.revoked', at: app.mock.clock.now(), vendor: 'concur', tenant: found.tenant.id, clientId: found.session.clientId })
    return reply.type('application/json').send({})
  })
}
