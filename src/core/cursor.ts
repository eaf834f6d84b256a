/**
 * Opaque, stateless page cursors (iSpring's `pageToken`, and any later vendor that pages by
 * cursor). A cursor names the creation sequence number of the next page's first record, so a
 * walk stays correct when records are added between pages, and carries an HMAC over that
 * position plus a "binding" string (account, endpoint, filters, page size): a cursor replayed
 * against another query, edited, or made up fails `open` and the vendor answers 400.
 * Replicas sharing the secret accept each other's cursors; nothing is stored server-side.
 */
import { setBounded } from './bounded.js'
import { fromBase64UrlStrict, hmac, sameBytes, toBase64Url } from './encoding.js'

const MAC_BYTES = 16
/** Sealed and opened cursors remembered (a client walking pages asks for the same ones again). */
const MEMO_SIZE = 4096

export class CursorCodec {
  readonly #secret: string
  /** position + binding → token; token + binding → position, for valid tokens only. */
  readonly #sealed = new Map<string, string>()
  readonly #opened = new Map<string, number>()

  constructor (secret: string) {
    this.#secret = `cursor:${secret}`
  }

  /** Seals `position` (a non-negative integer) to `binding`. */
  seal (position: number, binding: string): string {
    const key = `${position}\u0000${binding}`
    return this.#sealed.get(key) ?? setBounded(this.#sealed, key, this.#seal(position, binding), MEMO_SIZE)
  }

  #seal (position: number, binding: string): string {
    const body = Buffer.from(String(position), 'utf8')
    const mac = hmac(this.#secret, body.toString('utf8'), binding).subarray(0, MAC_BYTES)
    return toBase64Url(Buffer.concat([body, mac]))
  }

  /** The position sealed in `token` for this `binding`, or undefined for any other token. */
  open (token: string, binding: string): number | undefined {
    const key = `${token}\u0000${binding}`
    const known = this.#opened.get(key)
    if (known !== undefined) return known
    const position = this.#open(token, binding)
    return position === undefined ? undefined : setBounded(this.#opened, key, position, MEMO_SIZE)
  }

  #open (token: string, binding: string): number | undefined {
    const bytes = fromBase64UrlStrict(token)
    if (bytes === undefined || bytes.length <= MAC_BYTES || bytes.length > MAC_BYTES + 16) return undefined
    const body = bytes.subarray(0, bytes.length - MAC_BYTES).toString('utf8')
    if (!/^(0|[1-9][0-9]*)$/.test(body)) return undefined
    const expected = hmac(this.#secret, body, binding).subarray(0, MAC_BYTES)
    if (!sameBytes(expected, bytes.subarray(bytes.length - MAC_BYTES))) return undefined
    const position = Number(body)
    return Number.isSafeInteger(position) ? position : undefined
  }
}
