/**
 * Small crypto and encoding helpers shared by the vendors: canonical base64url (an edited token
 * must not decode to the same bytes), constant-time HMAC checks, and a fast JSON string escaper
 * used when response bodies are assembled from cached fragments.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

const BASE64URL = /^[A-Za-z0-9_-]*$/

export function toBase64Url (bytes: Buffer): string {
  return bytes.toString('base64url')
}

/** Decodes base64url only if the text is the canonical encoding of the bytes it decodes to. */
export function fromBase64UrlStrict (text: string): Buffer | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined
  const bytes = Buffer.from(text, 'base64url')
  return bytes.toString('base64url') === text ? bytes : undefined
}

export function hmac (secret: string, ...parts: string[]): Buffer {
  const h = createHmac('sha256', secret)
  for (const part of parts) h.update(part).update('\u0000')
  return h.digest()
}

export function sameBytes (a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}
