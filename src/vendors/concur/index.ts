/**
 * The SAP Concur module, mounted at /concur (and at / for Hosts ending in .concursolutions.com):
 * the company-token OAuth flow and the Get Users Bulk API. Encapsulated, so its body parsers,
 * error handler and 404 handler stay local. See README.md beside this file for what is emulated.
 */
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import { join } from 'node:path'
import formbody from '@fastify/formbody'
import type { FastifyError, FastifyInstance } from 'fastify'
import { JwtIssuer } from '../../core/jwt.js'
import { SHIPPED_FIXTURES_DIR } from '../../core/package-info.js'
import type { VendorModule } from '../../core/vendor.js'
import type { Tenant } from '../../core/tenants.js'
import { concurTenantKind, type ConcurCompany } from './data.js'
import { concurSandboxCard } from './sandbox.js'
import { CORRELATION_HEADER, OAUTH_ERRORS, rawErrorAnswer, sendMessageError, sendOAuthError, sendRateLimited } from './errors.js'
import { pathInMount } from '../../core/routing.js'
import { ConcurAuth, FORM_BODY_LIMIT, MOUNT, registerOAuthRoutes, UNSUPPORTED_BODY } from './oauth.js'
import { registerUserRoutes } from './users.js'

export const SIGNING_KEY_FILE = join(SHIPPED_FIXTURES_DIR, 'keys', 'concur-jwt-dev-key.json')

async function concurPlugin (app: FastifyInstance): Promise<void> {
  const issuer = await JwtIssuer.fromFile(SIGNING_KEY_FILE, app.mock.clock)
  const auth = new ConcurAuth(app, issuer)

  app.removeAllContentTypeParsers()
  await app.register(formbody, { bodyLimit: FORM_BODY_LIMIT })
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: FORM_BODY_LIMIT }, (_request, _body, done) => {
    done(null, UNSUPPORTED_BODY)
  })

  app.addHook('onRequest', (_request, reply, done) => {
    reply.header(CORRELATION_HEADER, randomUUID())
    done()
  })

  registerOAuthRoutes(app, auth, { keys: [issuer.publicJwk] })
  registerUserRoutes(app, auth)

  app.setNotFoundHandler(async (_request, reply) => sendMessageError(reply, 404, 'Resource not found', app.mock.clock.now()))
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500
    if (status >= 500) request.log.error({ err: error }, 'unexpected error in the Concur module')
    if (request.routeOptions.url?.endsWith('/oauth2/v0/token') === true) {
      if (status === 413) return sendOAuthError(reply, OAUTH_ERRORS.bodyTooLarge)
      if (status < 500) return sendOAuthError(reply, OAUTH_ERRORS.unsupportedFormat)
      return sendOAuthError(reply, { status: 500, error: 'server_error', description: 'Internal Server Error', code: 500 })
    }
    if (status === 413) return sendMessageError(reply, 413, 'Request Entity Too Large', app.mock.clock.now())
    if (status < 500) return sendMessageError(reply, status, 'Bad Request', app.mock.clock.now())
    return sendMessageError(reply, 500, 'Internal Server Error', app.mock.clock.now())
  })
}

export const concurVendor: VendorModule = {
  name: 'concur',
  title: 'SAP Concur',
  description: 'Company-token OAuth flow (POST /oauth2/v0/token, JWKS, revocation) and the Get Users Bulk API (GET /users/).',
  mount: MOUNT,
  hostSuffixes: ['.concursolutions.com'],
  tenantKind: concurTenantKind,
  // OAuth fields: client_secret, password (the request token), refresh_token, assertions, PKCE verifiers.
  redaction: { fieldWords: ['secret', 'password', 'token', 'assertion', 'code_verifier'] },
  plugin: concurPlugin,
  sandbox: (tenant, base) => concurSandboxCard(tenant as Tenant<ConcurCompany>, base),
  sendFault (request, reply, { status, retryAfterSeconds, message }) {
    const now = request.server.mock.clock.now()
    if (!reply.hasHeader(CORRELATION_HEADER)) reply.header(CORRELATION_HEADER, randomUUID())
    if (status === 429) return sendRateLimited(reply, pathInMount(request.url, MOUNT), retryAfterSeconds ?? 1, now)
    if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds))
    const phrase = message ?? STATUS_CODES[status] ?? 'Error'
    if (request.routeOptions.url?.endsWith('/oauth2/v0/token') === true) {
      return sendOAuthError(reply, { status, error: 'server_error', description: phrase, code: status })
    }
    return sendMessageError(reply, status, phrase, now)
  },
  rawError: (status, request, nowMs) => rawErrorAnswer(status, request.path, nowMs)
}
