/**
 * The one place that builds iSpring error bodies: `{"code":<status>,"message":"<text>"}`, or
 * `<response><code/><message/></response>` in XML, content-negotiated like successes (the
 * OpenAPI `ErrorResponse`). 400 messages say what is wrong: `Bad Request: <what>`.
 * https://ispringhelpdocs.com/display/ispringlearn/REST+API
 */
import { STATUS_CODES } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RawAnswer } from '../../core/vendor.js'
import { formatOf, formatOfAccept, JSON_TYPE, responseBody, sendFormatted, XML_TYPE, type Format } from './format.js'

/** The vendor's wording where it differs from the HTTP reason phrase. */
const MESSAGES: Record<number, string> = { 403: 'Permission Denied' }

export function errorMessage (status: number): string {
  return MESSAGES[status] ?? STATUS_CODES[status] ?? 'Error'
}

export function errorBody (format: Format, status: number, message: string): string {
  return responseBody(format, { code: status, message })
}

/** Answers `status` in the vendor shape; `message` defaults to the status's wording. */
export function sendError (request: FastifyRequest, reply: FastifyReply, status: number, message = errorMessage(status)): FastifyReply {
  const format = formatOf(request)
  return sendFormatted(reply, status, format, errorBody(format, status, message))
}

/** A refused request's answer on the raw connection (no reply object yet), negotiated by the Accept header read. */
export function rawErrorAnswer (status: number, accept: string | undefined): RawAnswer {
  const format = formatOfAccept(accept)
  const message = status === 400 ? 'Bad Request: malformed HTTP request' : errorMessage(status)
  return { headers: { 'content-type': format === 'json' ? JSON_TYPE : XML_TYPE }, body: errorBody(format, status, message) }
}

const MAX_ECHO = 80

/** 400 `Bad Request: <what>`. */
export function sendBadRequest (request: FastifyRequest, reply: FastifyReply, what: string): FastifyReply {
  return sendError(request, reply, 400, `Bad Request: ${what}`)
}

/** Client input quoted in a message, cut to a readable length. */
export function quote (value: string): string {
  return JSON.stringify(value.length > MAX_ECHO ? `${value.slice(0, MAX_ECHO)}...` : value)
}
