/**
 * The request bodies of iSpring's write calls, in the three forms clients send: JSON, XML
 * (`<request>...</request>` as in the vendor's samples, read by fast-xml-parser with no document
 * type: a DOCTYPE or ENTITY declaration is refused, so nothing is ever expanded) and form bodies
 * with PHP-style names (`fields[login]=...`, `groupIds[]=...`, `groupIds[0]=...`). Each becomes a
 * plain object; the readers below give each field its one type whatever form it came in.
 * https://ispringhelpdocs.com/display/ispringlearn/REST+API
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { XMLParser } from 'fast-xml-parser'
import { parseQuery } from '../../core/query.js'
import { quote } from './errors.js'
import { isUuid } from './query.js'
import { DATE_PATTERN } from './schemas.js'

export const WRITE_BODY_LIMIT = 1024 * 1024
/** Nesting deeper than this is not a request any iSpring call takes. */
const MAX_DEPTH = 32

export type Body = Record<string, unknown>

const DAY = new RegExp(DATE_PATTERN)

/** A real calendar day written YYYY-MM-DD (no 2026-02-31). */
export function isDay (text: string): boolean {
  return DAY.test(text) && new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) === text
}

/** Why a body is refused, for `Bad Request: <reason>`. */
export class BodyProblem extends Error {}

const xml = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Values stay text: "007" is a login, not a number.
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  // Numeric character references (&#233;) are decoded only with this on.
  htmlEntities: true
})

function depthOf (value: unknown, depth = 0): number {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return depth
  let max = depth
  for (const v of Object.values(value)) max = Math.max(max, depthOf(v, depth + 1))
  return max
}

function checked (body: unknown): Body {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BodyProblem('the body must be an object')
  if (depthOf(body) > MAX_DEPTH) throw new BodyProblem('the body is nested too deeply')
  return body as Body
}

export function parseJsonBody (text: string): Body {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new BodyProblem('the body is not valid JSON')
  }
  return checked(value)
}

/** The content of the document's root element (`<request>` in the vendor's samples). */
export function parseXmlBody (text: string): Body {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new BodyProblem('document type and entity declarations are not accepted')
  let doc: unknown
  try {
    doc = xml.parse(text, true)
  } catch {
    throw new BodyProblem('the body is not well-formed XML')
  }
  const roots = Object.entries(doc as Body)
  if (roots.length !== 1) throw new BodyProblem('the XML body must have one root element')
  const content = (roots[0] as [string, unknown])[1]
  return content === '' ? {} : checked(content)
}

/** PHP-style form names: `a[b][]` → a.b pushed, `a[0]` → a.0. */
export function parseFormBody (text: string): Body {
  const pairs = parseQuery(text)
  if (pairs === undefined) throw new BodyProblem('the form body is malformed')
  const root: Body = {}
  for (const { name, value } of pairs) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(name)
    if (match === null) throw new BodyProblem(`malformed field name ${quote(name)}`)
    const keys = [match[1] as string, ...[...(match[2] as string).matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] as string)]
    if (keys.length > MAX_DEPTH) throw new BodyProblem('the body is nested too deeply')
    let node: Body = root
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string
      const last = i === keys.length - 1
      if (key === '') {
        // `name[]`: the parent is a list (kept as an object with numeric keys, like `name[0]`).
        const list = node
        const index = String(Object.keys(list).length)
        if (last) { list[index] = value; break }
        node = (list[index] = {}) as Body
        continue
      }
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new BodyProblem(`malformed field name ${quote(name)}`)
      if (last) {
        node[key] = value
      } else {
        const next = node[key]
        if (next === undefined || typeof next !== 'object') node[key] = {}
        node = node[key] as Body
      }
    }
  }
  return root
}

/** Replaces the scope's body parsers with JSON, XML and form ones; a parse failure reaches the route as a BodyProblem. */
export function registerWriteBodies (app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  const parser = (parse: (text: string) => Body) => (_request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.trim() === '') { done(null, {}); return }
    try {
      done(null, parse(text))
    } catch (err) {
      done(null, err instanceof BodyProblem ? err : new BodyProblem('the body cannot be read'))
    }
  }
  app.addContentTypeParser(['application/json'], { parseAs: 'string', bodyLimit: WRITE_BODY_LIMIT }, parser(parseJsonBody))
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string', bodyLimit: WRITE_BODY_LIMIT }, parser(parseXmlBody))
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: WRITE_BODY_LIMIT }, parser(parseFormBody))
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WRITE_BODY_LIMIT }, (_request, _body, done) => {
    done(null, new BodyProblem('the body must be JSON (application/json), XML (application/xml) or a form (application/x-www-form-urlencoded)'))
  })
}

/** The request's body as an object (no body: empty); throws its BodyProblem. */
export function bodyOf (request: FastifyRequest): Body {
  const body = request.body
  if (body instanceof BodyProblem) throw body
  return body === undefined || body === null ? {} : body as Body
}

// ---- readers: one type per field, whatever form the body came in ------------------------------

/** A text field; numbers and booleans of a JSON body read as their text. */
export function text (body: Body, name: string, path = name): string | undefined {
  const value = body[name]
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw new BodyProblem(`${path} must be a string`)
}

export function uuid (body: Body, name: string, path = name): string | undefined {
  const value = text(body, name, path)
  if (value === undefined) return undefined
  if (!isUuid(value)) throw new BodyProblem(`${path} must be a UUID, got ${quote(value)}`)
  return value.toLowerCase()
}

/** `true`/`false`, `1`/`0` in any form. */
export function flag (body: Body, name: string): boolean | undefined {
  const value = text(body, name)
  if (value === undefined) return undefined
  if (value === 'true' || value === '1') return true
  if (value === 'false' || value === '0') return false
  throw new BodyProblem(`${name} must be true or false, got ${quote(value)}`)
}

/**
 * A list: a JSON array, repeated or indexed form fields, or an XML wrapper whose children (any
 * name: `<id>`, `<userId>`...) are the items. A single value is a list of one.
 */
export function list (body: Body, name: string): unknown[] | undefined {
  const value = body[name]
  if (value === undefined || value === null) return undefined
  if (Array.isArray(value)) return value
  if (value === '') return []
  if (typeof value !== 'object') return [value]
  const items: unknown[] = []
  for (const child of Object.values(value as Body)) {
    if (Array.isArray(child)) items.push(...child)
    else items.push(child)
  }
  return items
}

/** A list of texts. */
export function texts (body: Body, name: string): string[] | undefined {
  return list(body, name)?.map((v, i) => {
    if (typeof v === 'string') return v
    if (typeof v === 'number') return String(v)
    throw new BodyProblem(`${name}[${i}] must be a string`)
  })
}

/** A list of UUIDs, lower-cased, without repeats. */
export function uuids (body: Body, name: string): string[] | undefined {
  const values = texts(body, name)
  if (values === undefined) return undefined
  return [...new Set(values.map((v) => {
    if (!isUuid(v)) throw new BodyProblem(`${name} must hold UUIDs, got ${quote(v)}`)
    return v.toLowerCase()
  }))]
}

/** A nested object (`fields`), or undefined. */
export function object (body: Body, name: string): Body | undefined {
  const value = body[name]
  if (value === undefined || value === null) return undefined
  if (value === '') return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw new BodyProblem(`${name} must be an object`)
  return value as Body
}

/**
 * A list of objects: a JSON array, indexed form fields (`x[0][userId]=...`), repeated XML
 * elements, one element (an object with text values), or an XML wrapper of item elements.
 */
export function objects (body: Body, name: string): Body[] | undefined {
  const value = body[name]
  if (value === undefined || value === null) return undefined
  let items: unknown[]
  if (Array.isArray(value)) {
    items = value
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Body)
    const indexed = entries.every(([k]) => /^[0-9]+$/.test(k))
    const wrapper = entries.length > 0 && entries.every(([, v]) => v !== null && typeof v === 'object')
    items = indexed || wrapper ? entries.flatMap(([, v]) => Array.isArray(v) ? v : [v]) : [value]
  } else {
    items = [value]
  }
  return items.map((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new BodyProblem(`${name}[${i}] must be an object`)
    return item as Body
  })
}
