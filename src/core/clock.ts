/**
 * The mock clock. Every time-dependent rule (token lifetimes, request-token expiry, dates stamped
 * on records created at run time) reads this clock, never Date.now(), so a test can move time
 * forward through the admin API instead of waiting for a token to expire. It moves only by a
 * `clock.moved` change (core/changes.ts), so replicas and replays move together.
 */
/** The latest mock time the mock accepts: 9999-12-31T23:59:59.999Z (dates stay printable). */
export const CLOCK_MAX_MS = 253_402_300_799_999

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
