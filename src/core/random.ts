/**
 * Deterministic generation. Every generated record comes from @faker-js/faker (pinned to an exact
 * version in package.json) seeded per tenant, with a fixed reference date, so the same fixture
 * file gives byte-identical data on any machine, any day (faker docs, "Reproducible results").
 *
 * Only the English locale module is loaded (the all-locales entry costs ~150 ms of start-up), and
 * per-record work uses faker's seeded integer source directly: 100,000 users in a few hundred
 * milliseconds instead of seconds.
 */
import { faker as englishFaker } from '@faker-js/faker/locale/en'

/** Fixed "today" of generated data (hire dates, last logins...). Never the real clock. */
export const REFERENCE_DATE = new Date('2026-01-01T00:00:00.000Z')

export type Faker = typeof englishFaker

export interface SeededRandom {
  /** The seeded faker instance, for anything richer than the helpers below. */
  readonly faker: Faker
  /** Integer in [0, max]. */
  int (max: number): number
  /** True with probability p. */
  chance (p: number): boolean
  pick<T> (items: readonly T[]): T
  /** Random RFC 4122 version-4 UUID, lower case. */
  uuid (): string
  /** String of `length` decimal digits, not starting with 0. */
  digits (length: number): string
  /** A date `daysBack` days or less before the reference date, as YYYY-MM-DD. */
  dayBefore (daysBack: number): string
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0')

/**
 * A seeded generator. faker's module instance is shared, so a generator must be used to the end
 * before the next one is created (generation is synchronous, so this always holds).
 */
export function seededRandom (seed: number): SeededRandom {
  const faker = englishFaker
  faker.seed(seed)
  faker.setDefaultRefDate(REFERENCE_DATE)
  const int = (max: number): number => faker.number.int(max)
  return {
    faker,
    int,
    chance: (p) => int(999_999) < p * 1_000_000,
    pick: <T>(items: readonly T[]): T => items[int(items.length - 1)] as T,
    uuid () {
      const a = hex8(int(0xffffffff))
      const b = hex8(int(0xffffffff))
      const c = hex8((int(0x3fffffff) | 0x80000000) >>> 0)
      const d = hex8(int(0xffffffff))
      return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-${c.slice(0, 4)}-${c.slice(4)}${d}`
    },
    digits (length) {
      let out = String(1 + int(8))
      while (out.length < length) out += String(int(9))
      return out
    },
    dayBefore (daysBack) {
      return new Date(REFERENCE_DATE.getTime() - int(daysBack) * 86_400_000).toISOString().slice(0, 10)
    }
  }
}

/** First and last names of faker's English locale, for generators that pick names themselves. */
export function namePools (faker: Faker): { first: readonly string[], last: readonly string[] } {
  const person = faker.definitions.person
  const first = person.first_name
  const last = person.last_name
  return {
    first: Array.isArray(first) ? first : first?.generic ?? [],
    last: Array.isArray(last) ? last : last?.generic ?? []
  }
}
