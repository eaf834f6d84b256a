/**
 * The mock clock. Every time-dependent rule (token lifetimes, request-token expiry, dates stamped
 * on records created at run time) reads this clock, never Date.now(), so a test can move time
 * forward through the admin API instead of waiting for a token to expire.
 */
export class MockClock {
  readonly startedAt: number
  #offsetMs = 0
  readonly #realNow: () => number

  constructor (realNow: () => number = Date.now) {
    this.#realNow = realNow
    this.startedAt = realNow()
  }

  /** Mock time in epoch milliseconds. */
  now (): number {
    return this.#realNow() + this.#offsetMs
  }

  /** Mock time in whole epoch seconds (JWT NumericDate). */
  nowSeconds (): number {
    return Math.floor(this.now() / 1000)
  }

  advance (seconds: number): void {
    this.#offsetMs += seconds * 1000
  }

  set (epochMs: number): void {
    this.#offsetMs = epochMs - this.#realNow()
  }

  /** Mock time minus real time, in ms. */
  get offsetMs (): number {
    return this.#offsetMs
  }

  setOffset (offsetMs: number): void {
    this.#offsetMs = offsetMs
  }

  reset (): void {
    this.#offsetMs = 0
  }
}
