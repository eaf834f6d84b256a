/**
 * The iSpring Learn module, mounted at /ispring (and at / for Hosts ending in .ispringlearn.com,
 * .ispring.com, .ispringlearn.eu, .ispring.eu), every route also under the alias prefix /api/v2:
 * the access-token and legacy-header auth, GET /users and /users/v2, the user, department and
 * group look-ups, and the provisioning writes (writes.ts, structure.ts, reads.ts). Encapsulated,
 * so its body parsers, error and 404 handlers stay local. See README.md beside this file for what
 * is emulated.
 * https://ispringhelpdocs.com/display/ispringlearn/REST+API
 */
import { STATE_UNAVAILABLE } from '../../core/errors.js'
import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'
import type { Tenant } from '../../core/tenants.js'
import type { VendorModule } from '../../core/vendor.js'
import { FORM_BODY_LIMIT, IspringAuth, type TokenBody } from './auth.js'
import { ispringTenantKind, type IspringAccount } from './account.js'
import { rawErrorAnswer, sendError } from './errors.js'
import { registerLookupRoutes } from './lookups.js'
import { ispringSandboxCard } from './sandbox.js'
import { ERRORS, negotiated, TokenRequestSchema, TokenResponseSchema } from './schemas.js'
import { registerUserRoutes } from './users.js'
import { registerReadRoutes } from './reads.js'
import { registerStructureRoutes } from './structure.js'
import { registerWriteRoutes } from './writes.js'
import { registerFormBody } from '../../core/form-body.js'

export const MOUNT = '/ispring'
/** Clients call `/api/v2/users` on the account's own domain. */
export const ALIAS_PREFIX = '/api/v2'

interface RoutesOptions {
  auth: IspringAuth
  /** Left out of the OpenAPI document (the alias prefix repeats every route). */
  hide: boolean
}

/** Every route, registered once per prefix with Fastify's `prefix` option. */
async function routes (app: FastifyInstance, { auth, hide }: RoutesOptions): Promise<void> {
  app.post('/api/v3/token', {
    bodyLimit: FORM_BODY_LIMIT,
    schema: {
      summary: 'Access token for an API client (client credentials, 1800 s)',
      description: 'Form body client_id, client_secret, grant_type=client_credentials. The token acts as the user the client is bound to. JSON or XML by Accept.',
      hide,
      consumes: ['application/x-www-form-urlencoded'],
      body: TokenRequestSchema,
      response: { 200: negotiated(TokenResponseSchema, 'A token'), 400: ERRORS[400], 401: ERRORS[401] }
    }
  }, async (request, reply) => await auth.token(request as FastifyRequest<{ Body: TokenBody | undefined }>, reply))
  // Every other route reads the directory: authentication is their common preHandler.
  await app.register(async (directory) => {
    directory.addHook('preHandler', auth.authenticated)
    registerUserRoutes(directory, hide)
    registerLookupRoutes(directory, hide)
    // The writes read JSON, XML and form bodies: parsers of their own, in a scope of their own.
    await directory.register(async (writes) => {
      registerWriteRoutes(writes, hide)
      registerStructureRoutes(writes, hide)
      registerReadRoutes(writes, hide)
    })
  })
}

async function ispringPlugin (app: FastifyInstance): Promise<void> {
  const auth = new IspringAuth(app)

  // Only the token endpoint reads a body; clients also send Content-Type: application/json on
  // body-less GETs, so any other content type is accepted here and refused by the token route.
  await registerFormBody(app, FORM_BODY_LIMIT)
  // Queries are checked on the raw string (repeats, brackets, strict names) by the handlers and
  // bodies are strings rendered per format: the route schemas document, they do not run.
  app.setValidatorCompiler(() => () => true)
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))

  app.setNotFoundHandler(async (request, reply) => sendError(request, reply, 404))
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    // Shared state unreachable (replicas on Redis): the write is refused whole, try again shortly.
    if (error.code === STATE_UNAVAILABLE) return sendError(request, reply.header('retry-after', '1'), 503)
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
    if (status === 500) {
      request.log.error({ err: error }, 'unexpected error in the iSpring module')
      return sendError(request, reply, 500)
    }
    if (status === 400) return sendError(request, reply, 400, 'Bad Request: malformed request')
    // A Content-Type Fastify cannot read ("", "json", "a/b/c") is refused before any parser runs.
    if (status === 415) return sendError(request, reply, 400, 'Bad Request: the body must be JSON (application/json), XML (application/xml) or a form (application/x-www-form-urlencoded)')
    return sendError(request, reply, status)
  })

  // Registered last, so the route plugins inherit the parsers, compilers and handlers above.
  await app.register(routes, { prefix: '', auth, hide: false })
  await app.register(routes, { prefix: ALIAS_PREFIX, auth, hide: true })
}

export const ispringVendor: VendorModule = {
  name: 'ispring',
  title: 'iSpring Learn',
  description: 'Access tokens and legacy X-Auth headers, GET /users and /users/v2 (XML by default, JSON on request), user, department and group look-ups, and the provisioning calls of a user-sync job (users, statuses, work leave, departments, groups) with JSON, XML or form bodies.',
  mount: MOUNT,
  hostSuffixes: ['.ispringlearn.com', '.ispring.com', '.ispringlearn.eu', '.ispring.eu'],
  tlsNames: ['*.ispringlearn.com', '*.ispring.com', '*.ispringlearn.eu', '*.ispring.eu', 'api-learn.ispringlearn.com'],
  aliases: [ALIAS_PREFIX],
  tenantKind: ispringTenantKind,
  // client_secret, passwords (and so the legacy X-Auth-Password header); pageToken is a cursor.
  redaction: { fieldWords: ['secret', 'password', 'token', 'assertion', 'code_verifier'], keepQuery: ['pageToken'] },
  plugin: ispringPlugin,
  sandbox: (tenant, base) => ispringSandboxCard(tenant as Tenant<IspringAccount>, base, MOUNT),
  sendFault (request, reply, { status, retryAfterSeconds, message }) {
    if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds))
    const phrase = STATUS_CODES[status] ?? 'Error'
    // iSpring's 400 messages read "Bad Request: <what is wrong>".
    const text = message === undefined ? phrase : status === 400 && !message.startsWith(phrase) ? `${phrase}: ${message}` : message
    return sendError(request, reply, status, text)
  },
  rawError: (status, request) => rawErrorAnswer(status, request.headers.accept)
}
