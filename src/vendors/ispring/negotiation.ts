/**
 * iSpring answers in XML unless the client's Accept header asks for JSON; errors follow the same
 * rule. Every iSpring body goes out through `send` with an explicit content type, so Fastify's
 * JSON serializer never touches it.
 * https://ispringhelpdocs.com/display/ispringlearn/REST+API
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { xmlDocument, xmlElement, xmlList } from './xml.js'

export type Format = 'json' | 'xml'

export const JSON_TYPE = 'application/json; charset=utf-8'
export const XML_TYPE = 'application/xml; charset=utf-8'

/** JSON when a media range of Accept is exactly application/json and not refused with q=0. */
export function formatOf (request: FastifyRequest): Format {
  const accept = request.headers.accept
  if (typeof accept !== 'string' || !accept.toLowerCase().includes('application/json')) return 'xml'
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';')
    if (type.trim().toLowerCase() !== 'application/json') continue
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='))
    if (q !== undefined && Number(q.slice(2)) === 0) continue
    return 'json'
  }
  return 'xml'
}

export function sendFormatted (reply: FastifyReply, status: number, format: Format, body: string): FastifyReply {
  return reply.code(status).type(format === 'json' ? JSON_TYPE : XML_TYPE).send(body)
}

/**
 * A list response from serialized items: `{"<name>":[...],"nextPageToken":"..."}` or
 * `<response><name>...</name><nextPageToken>...</nextPageToken></response>`; the token is left
 * out on the last page.
 */
export function listBody (format: Format, name: string, items: readonly string[], next: string | undefined): string {
  if (format === 'json') {
    return `{"${name}":[${items.join(',')}]${next === undefined ? '' : `,"nextPageToken":${JSON.stringify(next)}`}}`
  }
  return xmlDocument(xmlList(name, items) + (next === undefined ? '' : xmlElement('nextPageToken', next)))
}

/** A single record: the bare JSON object, or the element inside `<response>`. */
export function singleBody (format: Format, item: string): string {
  return format === 'json' ? item : xmlDocument(item)
}
