/**
 * The SAP Concur module, mounted at /concur (and at / for Hosts ending in .concursolutions.com):
 * the company-token OAuth flow and the Get Users Bulk API. Encapsulated, so its body parsers,
 * error handler and 404 handler stay local. See README.md beside this file for what is emulated.
 */
import { STATE_UNAVAILABLE } from '../../core/errors.js'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { FastifyError, FastifyInstance } from 'fastify'
import { JwtIssuer } from '../../core/jwt.js'
import { SHIPPED_FIXTURES_DIR } from '../../core/package-info.js'
import type { VendorModule } from '../../core/vendor.js'
import type { Tenant } from '../../core/tenants.js'
import { concurTenantKind, type ConcurCompany } from './data.js'
import { concurSandboxCard } from './sandbox.js'
import { CORRELATION_HEADER, rawErrorAnswer, sendConcurError, sendMessageError, sendThrownError } from './errors.js'
import { ConcurAuth, FORM_BODY_LIMIT, MOUNT, registerOAuthRoutes } from './oauth.js'
import { registerUserRoutes } from './users.js'
import { IDENTITY_PREFIX, registerIdentityRoutes, sendScimError } from './identity.js'
import { registerFormBody } from '../../core/form-body.js'

export const SIGNING_KEY_FILE = join(SHIPPED_FIXTURES_DIR, 'keys', 'concur-jwt-dev-key.json')

async function concurPlugin (app: FastifyInstance): Promise<void> {
  const issuer = await JwtIssuer.fromFile(SIGNING_KEY_FILE, app.mock.clock)
  const auth = new ConcurAuth(app, issuer)

  await registerFormBody(app, FORM_BODY_LIMIT)

  app.addHook('onRequest', (_request, reply, done) => {
    reply.header(CORRELATION_HEADER, randomUUID())
    done()
  })

  registerOAuthRoutes(app, auth, { keys: [issuer.publicJwk] })
  registerUserRoutes(app, auth)

  app.setNotFoundHandler(async (request, reply) => request.url.includes(IDENTITY_PREFIX)
    ? sendScimError(reply, 404, 'Resource not found.')
    : sendMessageError(reply, 404, 'Resource not found', app.mock.clock.now()))
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    // Shared state unreachable (replicas on Redis): the write is refused whole, try again shortly.
    if (error.code === STATE_UNAVAILABLE) return sendConcurError(request, reply, { status: 503, retryAfterSeconds: 1 })
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500
    if (status >= 500) request.log.error({ err: error }, 'unexpected error in the Concur module')
    if (request.url.includes(IDENTITY_PREFIX)) {
      if (status >= 500) return sendScimError(reply, 500, 'Internal Server Error')
      // A change refused when applied (a race with another write) says why; a body parser's refusal is about JSON.
      const detail = String(error.code ?? '').startsWith('MOCK_') ? error.message : status === 413 ? 'The request body is too large.' : 'The request body is not valid JSON.'
      return sendScimError(reply, status, detail, status === 400 ? 'invalidSyntax' : undefined)
    }
    return sendThrownError(request, reply, status)
  })
  // After the handlers above, so Identity's scope inherits them.
  await registerIdentityRoutes(app, auth)
}

export const concurVendor: VendorModule = {
  name: 'concur',
  title: 'SAP Concur',
  description: 'Company-token OAuth flow (POST /oauth2/v0/token, JWKS, revocation) and the Get Users Bulk API (GET /users/).',
  mount: MOUNT,
  hostSuffixes: ['.concursolutions.com'],
  // The data centres' API hosts (us, us2, emea, eu2, cn, www-us...) are one label under api.
  tlsNames: ['*.api.concursolutions.com', '*.concursolutions.com', 'www-us.api.concursolutions.com'],
  tenantKind: concurTenantKind,
  // OAuth fields: client_secret, password (the request token), refresh_token, assertions, PKCE verifiers.
  redaction: { fieldWords: ['secret', 'password', 'token', 'assertion', 'code_verifier'] },
  plugin: concurPlugin,
  sandbox: (tenant, base) => concurSandboxCard(tenant as Tenant<ConcurCompany>, base),
  sendFault: sendConcurError,
  rawError: (status, request, nowMs) => rawErrorAnswer(status, request.path, nowMs)
}
