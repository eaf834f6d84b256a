/**
 * RS256 JWTs signed with a published development key (fixtures/keys/), verified against the
 * mock clock rather than the real one (jose's `currentDate`), so a test that advances the clock
 * sees a token expire. Only RS256 with our key is accepted: `alg: none`, HS256 and foreign keys
 * fail verification, and so does a re-encoded token (base64url parts must be canonical).
 */
import { readFileSync } from 'node:fs'
import { importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose'
import { setBounded } from './bounded.js'
import type { MockClock } from './clock.js'
import { fromBase64UrlStrict } from './encoding.js'

export class JwtIssuer {
  readonly publicJwk: JWK
  readonly #privateKey: CryptoKey
  readonly #publicKey: CryptoKey
  readonly #kid: string
  readonly #clock: MockClock
  /** Tokens whose signature was verified, so a hot client costs one RSA check, not one per call. */
  readonly #verified = new Map<string, JWTPayload>()
  static readonly CACHE_SIZE = 10_000

  private constructor (privateKey: CryptoKey, publicKey: CryptoKey, publicJwk: JWK, clock: MockClock) {
    this.#privateKey = privateKey
    this.#publicKey = publicKey
    this.publicJwk = publicJwk
    this.#kid = publicJwk.kid ?? 'mock'
    this.#clock = clock
  }

  /** Loads a private RSA JWK (with `kid`) from a file. */
  static async fromFile (file: string, clock: MockClock): Promise<JwtIssuer> {
    const jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK
    const { d, p, q, dp, dq, qi, ...publicJwk } = jwk
    const privateKey = await importJWK(jwk, 'RS256') as CryptoKey
    const publicKey = await importJWK(publicJwk, 'RS256') as CryptoKey
    return new JwtIssuer(privateKey, publicKey, { ...publicJwk, use: 'sig', alg: 'RS256' }, clock)
  }

  /** Signs `claims` with iat/nbf = now and exp = now + lifetime, on the mock clock. */
  async sign (claims: JWTPayload, lifetimeSeconds: number): Promise<string> {
    const now = this.#clock.nowSeconds()
    return await new SignJWT({ ...claims, iat: now, nbf: now, exp: now + lifetimeSeconds })
      .setProtectedHeader({ alg: 'RS256', kid: this.#kid, typ: 'JWT' })
      .sign(this.#privateKey)
  }

  /** The payload of a valid, unexpired token of ours, or undefined. */
  async verify (token: string): Promise<JWTPayload | undefined> {
    const cached = this.#verified.get(token)
    if (cached !== undefined) {
      const now = this.#clock.nowSeconds()
      return (cached.exp ?? 0) > now && (cached.nbf ?? 0) <= now ? cached : undefined
    }
    // base64url leaves spare bits in a segment's last character: an edited token that decodes to
    // the same bytes would still verify, so only the canonical spelling of each part is accepted.
    if (!token.split('.').every((part) => fromBase64UrlStrict(part) !== undefined)) return undefined
    try {
      const { payload } = await jwtVerify(token, this.#publicKey, {
        algorithms: ['RS256'],
        currentDate: new Date(this.#clock.now())
      })
      return setBounded(this.#verified, token, payload, JwtIssuer.CACHE_SIZE)
    } catch {
      return undefined
    }
  }
}
