/**
 * iSpring's XML, the API's default format: the one module that uses xmlbuilder2. Each record
 * (user profile, department, group) is turned into an XML fragment once, from the same
 * key-ordered object its JSON comes from, and cached by the directory; response documents are
 * then assembled by string concatenation, which keeps a 1,000-user page cheap (building a DOM
 * per request runs at about 2% of that speed).
 * https://ispringhelpdocs.com/display/ispringlearn/REST+API
 */
import { fragment } from 'xmlbuilder2'

type XMLBuilder = ReturnType<typeof fragment>

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

/** The element name of one item of each list-valued key (`<fields><field>`, `<groups><id>`...). */
const ITEM_NAMES: Record<string, string> = {
  fields: 'field',
  manageableDepartmentIds: 'id',
  userRoles: 'userRole',
  groups: 'id',
  userIds: 'id'
}

/** Characters XML 1.0 cannot carry (controls, lone surrogates) become U+FFFD, so output stays well-formed. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u
const NOT_XML_CHARS = new RegExp(NOT_XML_CHAR.source, 'gu')

function text (value: string | number | boolean): string {
  const raw = String(value)
  const s = NOT_XML_CHAR.test(raw) ? raw.replace(NOT_XML_CHARS, '\uFFFD') : raw
  // xmlbuilder2 leaves text that looks like an entity reference ("&A;", "&#60;") unescaped; every
  // "&" escaped first comes out as "&amp;", which it keeps: the text reads back as it was.
  return s.includes('&') ? s.replace(/&/g, '&amp;') : s
}

function append (parent: XMLBuilder, name: string, value: unknown): void {
  if (value === undefined || value === null) return
  const element = parent.ele(name)
  if (Array.isArray(value)) {
    const itemName = ITEM_NAMES[name] ?? 'item'
    for (const item of value) append(element, itemName, item)
  } else if (typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) append(element, key, child)
  } else {
    const s = text(value as string | number | boolean)
    if (s !== '') element.txt(s)
  }
}

/**
 * `<name>...</name>` for a key-ordered object (or a scalar): nested objects become elements in
 * key order, arrays a list of item elements, numbers and booleans their text (`1`, `true`),
 * undefined keys are left out, special characters escaped.
 */
export function xmlFragment (name: string, value: unknown): string {
  const root = fragment()
  append(root, name, value)
  // xmlbuilder2 returns a rope of many small strings, which every later join would walk again;
  // a flat copy makes a cached fragment cheap to assemble into pages.
  return Buffer.from(root.end(), 'utf8').toString('utf8')
}

const TEXT_NEEDS_NO_ESCAPING = /^[A-Za-z0-9_.-]*$/

/** `<name>value</name>` for a short per-request value (a page token): plain concatenation when it needs no escaping. */
export function xmlElement (name: string, value: string): string {
  return TEXT_NEEDS_NO_ESCAPING.test(value) && value !== '' ? `<${name}>${value}</${name}>` : xmlFragment(name, value)
}

/** A whole document: the declaration, then `<response>` around `inner` (already XML). */
export function xmlDocument (inner: string): string {
  return `${XML_DECLARATION}<response>${inner}</response>`
}

/** `<name>` around already-serialized items, or `<name/>` when there are none. */
export function xmlList (name: string, items: readonly string[]): string {
  return items.length === 0 ? `<${name}/>` : `<${name}>${items.join('')}</${name}>`
}
