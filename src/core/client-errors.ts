/**
 * Answers for requests Node's HTTP parser refuses before Fastify sees them: a request line or
 * header block over the limit (414 / 431), malformed HTTP (400), a request not received within
 * the request timeout (408: the slowloris guard). Node's own answer has no body and Fastify's is
 * in neither vendor's shape, so the bytes the parser did read are searched for the vendor (its
 * mount in the path, or Host routing) and that vendor writes its own error body; anything else
 * gets the mock's `{statusCode, code, error, message}`. A timed-out request has left no bytes to
 * read, so its 408 is always the mock's own.
 */
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { ConnectionError } from 'fastify'
import type { MockClock } from './clock.js'
import { SERVER_ID } from './package-info.js'
import { vendorFor } from './routing.js'
import type { VendorModule } from './vendor.js'

/** Node's limit on the request line and headers together, set explicitly (not left to --max-http-header-size). */
export const MAX_HEADER_BYTES = 16 * 1024

const MESSAGES: Record<number, [code: string, message: string]> = {
  400: ['MOCK_MALFORMED_REQUEST', 'The request is not well-formed HTTP/1.1'],
  408: ['MOCK_REQUEST_TIMEOUT', 'The request (line, headers and body) did not arrive within the request timeout'],
  414: ['MOCK_URI_TOO_LONG', `The request line is longer than the server accepts (${MAX_HEADER_BYTES / 1024} KiB with the headers)`],
  431: ['MOCK_HEADERS_TOO_LARGE', `The request headers are larger than the server accepts (${MAX_HEADER_BYTES / 1024} KiB with the request line)`]
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

interface SeenRequest {
  target: string | undefined
  /** The request line alone is over the limit, or did not end in what the parser read. */
  lineTooLong: boolean
  headers: Record<string, string>
}

/** What the parser had read: the request target (if the line began) and the complete header lines. */
export function readRawRequest (raw: Buffer | undefined): SeenRequest {
  const seen: SeenRequest = { target: undefined, lineTooLong: false, headers: {} }
  if (raw === undefined || raw.length === 0) return seen
  const text = raw.toString('latin1', 0, Math.min(raw.length, 2 * MAX_HEADER_BYTES))
  const lines = text.split(/\r?\n/)
  const [method = '', target] = (lines[0] ?? '').split(' ')
  if (!TOKEN.test(method) || target === undefined) return seen
  seen.target = target
  seen.lineTooLong = lines.length === 1 || (lines[0] as string).length >= MAX_HEADER_BYTES
  for (const line of lines.slice(1, -1)) {
    if (line === '') break
    const colon = line.indexOf(':')
    if (colon > 0) seen.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return seen
}

function statusOf (err: { code?: string }, seen: SeenRequest): number {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408
  if (err.code === 'HPE_HEADER_OVERFLOW') return seen.target !== undefined && seen.lineTooLong ? 414 : 431
  return 400
}

export function createClientErrorHandler (vendors: readonly VendorModule[], clock: MockClock) {
  return function clientErrorHandler (err: ConnectionError, socket: Socket): void {
    if (err.code === 'ECONNRESET' || socket.destroyed) return
    // A response already under way on this connection cannot be followed by raw bytes.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
    if (!socket.writable || inFlight?.headersSent === true) {
      socket.destroy()
      return
    }
    const raw: unknown = err.rawPacket
    const seen = readRawRequest(Buffer.isBuffer(raw) ? raw : undefined)
    const status = statusOf(err, seen)
    const phrase = STATUS_CODES[status] ?? 'Error'
    const owner = status === 408 || seen.target === undefined ? undefined : vendorFor(vendors, seen.headers.host, seen.target)
    const answer = owner?.vendor.rawError?.(status, { path: owner.path, headers: seen.headers }, clock.now()) ?? {
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ statusCode: status, code: MESSAGES[status]?.[0] ?? 'MOCK_CLIENT_ERROR', error: phrase, message: MESSAGES[status]?.[1] ?? phrase })
    }
    const head = [`HTTP/1.1 ${status} ${phrase}`, 'connection: close', `x-mock-server: ${SERVER_ID}`,
      ...Object.entries(answer.headers).map(([k, v]) => `${k}: ${v}`), `content-length: ${Buffer.byteLength(answer.body)}`]
    socket.end(`${head.join('\r\n')}\r\n\r\n${answer.body}`)
  }
}
