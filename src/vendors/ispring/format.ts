/**
 * iSpring answers in XML unless the client's Accept header asks for JSON; errors follow the same
 * rule. Here are the negotiation, the one place a value becomes JSON or XML (`serialize`) and the
 * envelopes of lists and single records. Every iSpring body goes out through `send` with an
 * explicit content type, so Fastify's JSON serializer never touches it.
 * https://ispringhelpdocs.com/display/ispringlearn/REST+API
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { setBounded } from '../../core/bounded.js'
import { XML_DECLARATION, xmlDocument, xmlElement, xmlFragment, xmlList } from './xml.js'

export type Format = 'json' | 'xml'

export const JSON_TYPE = 'application/json; charset=utf-8'
export const XML_TYPE = 'application/xml; charset=utf-8'

/** JSON when a media range of Accept is exactly application/json and not refused with q=0. */
export function formatOf (request: FastifyRequest): Format {
  return formatOfAccept(request.headers.accept)
}

/** Formats of Accept values seen (clients send the same few values again and again). */
const KNOWN_ACCEPT = new Map<string, Format>()
const KNOWN_ACCEPT_SIZE = 256

/** The same rule on a bare Accept value (for answers written before Fastify has a request). */
export function formatOfAccept (accept: string | undefined): Format {
  if (typeof accept !== 'string') return 'xml'
  return KNOWN_ACCEPT.get(accept) ?? setBounded(KNOWN_ACCEPT, accept, negotiate(accept), KNOWN_ACCEPT_SIZE)
}

function negotiate (accept: string): Format {
  if (!accept.toLowerCase().includes('application/json')) return 'xml'
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';')
    if (type.trim().toLowerCase() !== 'application/json') continue
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='))
    if (q !== undefined && Number(q.slice(2)) === 0) continue
    return 'json'
  }
  return 'xml'
}

/** `value` (a key-ordered object) as JSON, or as the XML element `<name>`. */
export function serialize (format: Format, name: string, value: unknown): string {
  return format === 'json' ? JSON.stringify(value) : xmlFragment(name, value)
}

/** A whole answer whose keys are the top level: the JSON object, or the XML document's `<response>`. */
export function responseBody (format: Format, value: unknown): string {
  return (format === 'xml' ? XML_DECLARATION : '') + serialize(format, 'response', value)
}

export function sendFormatted (reply: FastifyReply, status: number, format: Format, body: string | Buffer): FastifyReply {
  return reply.code(status).type(format === 'json' ? JSON_TYPE : XML_TYPE).send(body)
}

/**
 * A list response from serialized items: `{"<name>":[...],"nextPageToken":"..."}` or
 * `<response><name>...</name><nextPageToken>...</nextPageToken></response>`; the token is left
 * out on the last page.
 */
export function listBody (format: Format, name: string, items: ReadonlyArray<string | Buffer>, next: string | undefined): Buffer {
  const parts: Buffer[] = []
  const add = (item: string | Buffer): void => { parts.push(typeof item === 'string' ? Buffer.from(item) : item) }
  if (format === 'json') {
    add(`{"${name}":[`)
    items.forEach((item, i) => { if (i > 0) parts.push(COMMA); add(item) })
    add(next === undefined ? ']}' : `],"nextPageToken":${JSON.stringify(next)}}`)
  } else {
    const [head, tail] = [`${XML_DECLARATION}<response>`, '</response>']
    if (items.length === 0) {
      add(head + xmlList(name, []))
    } else {
      add(`${head}<${name}>`)
      items.forEach(add)
      add(`</${name}>`)
    }
    add((next === undefined ? '' : xmlElement('nextPageToken', next)) + tail)
  }
  return Buffer.concat(parts)
}

const COMMA = Buffer.from(',')

/** A single record: the bare JSON object, or the element inside `<response>`. */
export function singleBody (format: Format, item: string | Buffer): string | Buffer {
  if (format === 'json') return item
  return typeof item === 'string' ? xmlDocument(item) : Buffer.concat([Buffer.from(`${XML_DECLARATION}<response>`), item, Buffer.from('</response>')])
}
