/**
 * The one place that builds Concur error bodies. Concur uses three envelopes: the OAuth
 * envelope on the token endpoint, the v3 `Message` envelope on Get Users and the other REST
 * routes, and a documented body for 429 rate limiting (concur.md, "Other statuses").
 * https://preview.developer.concur.com/api-reference/platform/http-status-codes.html
 */
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { pathInMount } from '../../core/routing.js'
import type { Fault, RawAnswer } from '../../core/vendor.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The error envelope of a Concur route: `oauth` on the token endpoint, `message` (the default) elsewhere. */
    envelope?: 'oauth' | 'message'
  }
}

export const CORRELATION_HEADER = 'concur-correlationid'
export const MOUNT = '/concur'
export const TOKEN_PATH = '/oauth2/v0/token'

export interface OAuthError { status: number, error: string, description: string, code: number }

/** The token endpoint's error table (concur.md section 1), keyed by a short name. */
export const OAUTH_ERRORS = {
  unsupportedFormat: { status: 400, error: 'invalid_request', code: 135, description: 'unsupported request format' },
  bodyTooLarge: { status: 413, error: 'invalid_request', code: 135, description: 'request body too large' },
  noClientId: { status: 400, error: 'invalid_request', code: 62, description: 'client_id was not supplied' },
  noClientSecret: { status: 400, error: 'invalid_request', code: 63, description: 'client_secret was not supplied' },
  noGrantType: { status: 400, error: 'invalid_request', code: 65, description: 'grant_type was not supplied' },
  unknownClient: { status: 400, error: 'invalid_client', code: 61, description: 'client not found' },
  wrongSecret: { status: 400, error: 'invalid_client', code: 64, description: 'Incorrect Credentials. Please Retry' },
  badGrant: { status: 400, error: 'invalid_grant', code: 60, description: 'these are not the grants you are looking for' },
  noUsername: { status: 400, error: 'invalid_request', code: 51, description: 'username was not supplied' },
  noPassword: { status: 400, error: 'invalid_request', code: 52, description: 'password was not supplied' },
  badCredtype: { status: 400, error: 'invalid_request', code: 120, description: 'credtype is invalid' },
  badCredentials: { status: 400, error: 'invalid_grant', code: 5, description: 'Incorrect Credentials. Please Retry' },
  disabled: { status: 400, error: 'invalid_request', code: 123, description: 'principal is disabled' },
  notEnabled: { status: 400, error: 'invalid_client', code: 53, description: 'company is not enabled for this client' },
  otherClient: { status: 400, error: 'invalid_request', code: 136, description: 'Authtoken was not issued for you' },
  noRefreshToken: { status: 400, error: 'invalid_request', code: 106, description: 'refresh_token was not supplied' },
  badRefreshToken: { status: 400, error: 'invalid_grant', code: 108, description: 'bad or expired refresh token' }
} as const satisfies Record<string, OAuthError>

export function sendOAuthError (reply: FastifyReply, e: OAuthError): FastifyReply {
  return reply.code(e.status).type('application/json').send({ error: e.error, error_description: e.description, code: e.code })
}

/** `{"Message","Server-Time","Id"}` with the response's correlation id. */
export function sendMessageError (reply: FastifyReply, status: number, message: string, nowMs: number): FastifyReply {
  return reply.code(status).type('application/json').send({
    Message: message,
    'Server-Time': new Date(nowMs).toISOString(),
    Id: String(reply.getHeader(CORRELATION_HEADER) ?? '')
  })
}

export function sendRateLimited (reply: FastifyReply, path: string, retryAfterSeconds: number, nowMs: number): FastifyReply {
  return reply.code(429).header('retry-after', String(retryAfterSeconds)).type('application/json').send({
    timestamp: new Date(nowMs).toISOString(),
    httpStatus: '429 - Too Many Requests',
    error: { id: 'security.rate.limit.reached', message: 'Too many requests' },
    path
  })
}

/** Identity's routes (both versions) answer SCIM errors, faults and framework refusals included. */
export const IDENTITY_PREFIX = '/profile/identity/'
const SCIM_ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error'

/** Identity's Error Response: `status` is a string; `scimType` only where SCIM names one. */
export function scimErrorBody (status: number, detail: string, scimType?: string): Record<string, unknown> {
  return { schemas: [SCIM_ERROR_URN], status: String(status), ...(scimType === undefined ? {} : { scimType }), detail }
}

/**
 * Any error that is not a rule of a route's own (faults, framework errors, unexpected failures),
 * in the envelope the route declares: the OAuth envelope with a `server_error` (or, below 500,
 * the format error of the token table), else the Message envelope; 429 has its own body.
 */
export function sendConcurError (request: FastifyRequest, reply: FastifyReply, { status, retryAfterSeconds, message }: Fault): FastifyReply {
  const now = request.server.mock.clock.now()
  if (!reply.hasHeader(CORRELATION_HEADER)) reply.header(CORRELATION_HEADER, randomUUID())
  if (status === 429) return sendRateLimited(reply, pathInMount(request.url, MOUNT), retryAfterSeconds ?? 1, now)
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds))
  const phrase = message ?? STATUS_CODES[status] ?? 'Error'
  if (request.url.includes(IDENTITY_PREFIX)) return reply.code(status).type('application/json; charset=utf-8').send(scimErrorBody(status, phrase))
  if (request.routeOptions.config.envelope === 'oauth') return sendOAuthError(reply, { status, error: 'server_error', description: phrase, code: status })
  return sendMessageError(reply, status, phrase, now)
}

/** What an error thrown while handling a request (a body parser, a limit, a bug) is answered with. */
export function sendThrownError (request: FastifyRequest, reply: FastifyReply, status: number): FastifyReply {
  if (request.routeOptions.config.envelope === 'oauth' && status < 500) {
    return sendOAuthError(reply, status === 413 ? OAUTH_ERRORS.bodyTooLarge : OAUTH_ERRORS.unsupportedFormat)
  }
  const phrase = status === 413 ? 'Request Entity Too Large' : status < 500 ? 'Bad Request' : 'Internal Server Error'
  return sendConcurError(request, reply, { status: status < 500 ? status : 500, message: phrase })
}

/**
 * A refused request's answer on the raw connection (no reply object yet): the OAuth envelope on
 * the token endpoint, else the Message envelope, with a fresh correlation id.
 */
export function rawErrorAnswer (status: number, path: string, nowMs: number): RawAnswer {
  const id = randomUUID()
  const phrase = STATUS_CODES[status] ?? 'Error'
  const body = path === TOKEN_PATH
    ? { error: 'invalid_request', error_description: phrase, code: status }
    : path.includes(IDENTITY_PREFIX)
      ? scimErrorBody(status, phrase)
      : { Message: phrase, 'Server-Time': new Date(nowMs).toISOString(), Id: id }
  return { headers: { 'content-type': 'application/json; charset=utf-8', [CORRELATION_HEADER]: id }, body: JSON.stringify(body) }
}
