/**
 * The mock's own errors (admin API, the change path, routing, limits): `@fastify/error` classes
 * with stable `MOCK_*` codes, one body shape (`{statusCode, code, error, message, issues?}`,
 * written by `sendMockError`) and one rule for statuses: the class's status, 500 for anything
 * unexpected (logged, never shown). Vendor APIs answer in their vendor's own shapes instead.
 */
import { STATUS_CODES } from 'node:http'
import createError from '@fastify/error'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FixtureError } from './tenants.js'

export { MockErrorSchema } from './error-schema.js'

export const AdminUnauthorized = createError('MOCK_ADMIN_UNAUTHORIZED', 'Authorization: Bearer <ADMIN_TOKEN> is required for the admin API', 401)
export const AdminRouteNotFound = createError('MOCK_ADMIN_NOT_FOUND', 'No admin route %s %s; see /openapi/admin.json', 404)
export const RouteNotFound = createError('MOCK_NOT_FOUND', 'Not Found: no route for %s %s. Vendor APIs live under %s; GET /health answers when the mock is up.', 404)
export const MalformedUrl = createError('MOCK_MALFORMED_URL', 'Bad Request: malformed URL', 400)
export const InvalidQuery = createError('MOCK_INVALID_QUERY', '%s', 400)
export const TenantNotFound = createError('MOCK_TENANT_NOT_FOUND', 'No %s tenant "%s". GET /__admin/tenants lists them.', 404)
export const UserNotFound = createError('MOCK_USER_NOT_FOUND', 'No user "%s" in %s tenant "%s"', 404)
export const InvalidFixture = createError('MOCK_INVALID_FIXTURE', '%s', 400)
export const TenantConflict = createError('MOCK_TENANT_CONFLICT', '%s', 409)
export const InvalidFault = createError('MOCK_INVALID_FAULT', 'Invalid fault rule: %s', 400)
export const FaultNotFound = createError('MOCK_FAULT_NOT_FOUND', 'No fault rule "%s"', 404)
export const InvalidClock = createError('MOCK_INVALID_CLOCK', 'Send {"advanceSeconds": <number>} or {"now": "<ISO-8601 date-time>"}: %s', 400)
export const TlsDisabled = createError('MOCK_TLS_DISABLED', 'The mock serves no HTTPS, so it has no CA: start it with --tls (or TLS=true)', 404)
export const NoLocalCa = createError('MOCK_NO_LOCAL_CA', 'The mock serves the certificate given by --tls-cert; it has no local CA to hand out', 404)
/** The code of StateUnavailable, which the vendors answer as their own 503. */
export const STATE_UNAVAILABLE = 'MOCK_STATE_UNAVAILABLE'
export const StateUnavailable = createError(STATE_UNAVAILABLE, 'Service Unavailable: %s; reads are served from the last state, writes are refused until it is back', 503)
export const InvalidChange = createError('MOCK_INVALID_CHANGE', 'Invalid change "%s": %s', 400)
export const UnknownChange = createError('MOCK_UNSUPPORTED_CHANGE', 'The change "%s" is not supported for %s', 400)
export const UserBudgetExceeded = createError('MOCK_USER_BUDGET_EXCEEDED',
  'Adding %d users would exceed the mock\'s user budget (%d held, at most %d across all tenants). ' +
  'Delete tenants you no longer need, or raise the budget with MAX_USERS (--max-users) and give Node a larger heap (--max-old-space-size).', 422)

/** A fixture or request body that cannot be loaded, as a 400 that lists each problem's JSON path. */
export function fixtureFailure (err: FixtureError): Error {
  return Object.assign(new InvalidFixture(err.issues.map((i) => `${i.path}: ${i.message}`).join('; ')), {
    issues: err.issues.map((i) => ({ path: i.path, message: i.message }))
  })
}

/** Answers `error` in the mock's own shape. */
export async function sendMockError (error: Error & { statusCode?: unknown, code?: unknown, issues?: unknown }, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode <= 599 ? error.statusCode : 500
  if (status >= 500) request.log.error({ err: error }, 'mock error')
  const body: Record<string, unknown> = {
    statusCode: status,
    code: typeof error.code === 'string' ? error.code : 'MOCK_ERROR',
    error: STATUS_CODES[status] ?? 'Error',
    message: status >= 500 ? 'Internal Server Error' : error.message
  }
  if (error.issues !== undefined) body.issues = error.issues
  return await reply.code(status).send(body)
}
