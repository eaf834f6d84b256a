/**
 * Fault injection: rules added through the admin API (or one-off `X-Mock-Fault` request headers)
 * that answer with an error status in the vendor's own shape, a 429 with Retry-After, a delay,
 * or a dropped connection. `probability` draws from a PRNG seeded per rule, so the same seed
 * gives the same sequence of hits in every run (reproducible flakiness, unlike real networks).
 */
import { Type, type Static } from 'typebox'

export const FaultRuleSchema = Type.Object({
  match: Type.Optional(Type.Object({
    vendor: Type.Optional(Type.String({ minLength: 1 })),
    tenant: Type.Optional(Type.String({ minLength: 1 })),
    method: Type.Optional(Type.String({ minLength: 1 })),
    path: Type.Optional(Type.String({ pattern: '^/', description: 'Relative to the vendor mount, exact; a trailing slash is ignored' }))
  }, { additionalProperties: false })),
  action: Type.Object({
    status: Type.Optional(Type.Integer({ minimum: 400, maximum: 599 })),
    retryAfterSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
    delayMs: Type.Optional(Type.Union([
      Type.Integer({ minimum: 0, maximum: 60_000 }),
      Type.Object({ min: Type.Integer({ minimum: 0, maximum: 60_000 }), max: Type.Integer({ minimum: 0, maximum: 60_000 }) }, { additionalProperties: false })
    ])),
    drop: Type.Optional(Type.Literal(true))
  }, { additionalProperties: false }),
  times: Type.Optional(Type.Integer({ minimum: 1, description: 'Fire this many times, then go away (absent: forever)' })),
  probability: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  seed: Type.Optional(Type.Integer({ description: 'Seed of the probability draws (and of ranged delays)' }))
}, { additionalProperties: false })

export type FaultRuleInput = Static<typeof FaultRuleSchema>
export type FaultAction = FaultRuleInput['action']

export interface FaultRule extends FaultRuleInput {
  id: string
  /** Hits left, when `times` was given. */
  remaining?: number
  hits: number
}

export interface FaultTarget { vendor: string, tenant?: string, method: string, path: string }

/** Checks the rules the schema cannot express; returns a problem or undefined. */
export function faultRuleProblem (rule: FaultRuleInput): string | undefined {
  const a = rule.action
  if (a.status === undefined && a.delayMs === undefined && a.drop === undefined) {
    return 'action needs status, delayMs or drop'
  }
  if (a.drop === true && a.status !== undefined) return 'action cannot both drop and answer a status'
  if (a.retryAfterSeconds !== undefined && a.status === undefined) return 'action.retryAfterSeconds needs action.status'
  if (typeof a.delayMs === 'object' && a.delayMs.min > a.delayMs.max) return 'action.delayMs.min must not exceed max'
  return undefined
}

const MULBERRY_STEP = 0x6d2b79f5

function mulberryOutput (state: number): number {
  let t = state
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** mulberry32: a small, fast, seedable PRNG; one stream per rule. */
function prng (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + MULBERRY_STEP) >>> 0
    return mulberryOutput(state)
  }
}

/**
 * The `n`-th draw (1-based) of `prng(seed)` without drawing the ones before: mulberry32's state
 * is a counter, so replicas that number the matching requests fleet-wide (a Redis counter) draw
 * the same sequence one process would.
 */
export function drawAt (seed: number, n: number): number {
  return mulberryOutput((seed + Math.imul(n, MULBERRY_STEP)) >>> 0)
}

/** Decides, for the whole fleet, whether a rule with `times` or `probability` fires (state.ts). */
export type FleetClaim = (claim: { uid: string, rule: FaultRule, seed: number }) => Promise<{ fire: boolean, draw: number }>

const trimSlash = (p: string): string => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p)

/** A fired rule (`id` undefined for the X-Mock-Fault header) and the delay drawn for it. */
export interface FiredFault { id: string | undefined, action: FaultAction, delayMs: number }

interface RuleEntry { rule: FaultRule, random: () => number, seed: number, uid: string | undefined }

export class FaultEngine {
  #rules: RuleEntry[] = []
  #serial = 0
  readonly #seed: number

  constructor (seed: number) {
    this.#seed = seed
  }

  /** The rule `input` becomes when added next: its id and the seed of its draws fixed. */
  prepare (input: FaultRuleInput): { rule: FaultRule, seed: number } {
    const serial = this.#serial + 1
    const rule: FaultRule = { id: `fault-${serial}`, ...structuredClone(input), hits: 0 }
    if (input.times !== undefined) rule.remaining = input.times
    return { rule, seed: input.seed ?? (this.#seed + serial) }
  }

  /**
   * Puts a prepared rule in force (the change path's `fault.added`); `uid` names it fleet-wide
   * when replicas share state (the stream entry that added it).
   */
  insert (rule: FaultRule, seed: number, uid?: string): void {
    const serial = Number(rule.id.slice('fault-'.length))
    if (Number.isSafeInteger(serial) && serial > this.#serial) this.#serial = serial
    this.#rules.push({ rule: structuredClone(rule), random: prng(seed), seed, uid })
  }

  /** Counts one hit of a fired rule; a rule with `times` goes away when they are used up. */
  consume (id: string): void {
    const entry = this.#rules.find((r) => r.rule.id === id)
    if (entry === undefined) return
    const { rule } = entry
    rule.hits++
    if (rule.remaining !== undefined) {
      rule.remaining--
      if (rule.remaining === 0) this.remove(rule.id)
    }
  }

  has (id: string): boolean {
    return this.#rules.some((r) => r.rule.id === id)
  }

  /** How many rules are in force. */
  get size (): number {
    return this.#rules.length
  }

  list (): FaultRule[] {
    return this.#rules.map((r) => r.rule)
  }

  remove (id: string): boolean {
    const before = this.#rules.length
    this.#rules = this.#rules.filter((r) => r.rule.id !== id)
    return this.#rules.length < before
  }

  clear (): void {
    this.#rules = []
  }

  /**
   * The first rule that matches and fires for this request (its hit is counted by the caller, as
   * a `fault.consumed` change). `target.tenant` undefined is the pre-authentication pass (rules
   * without match.tenant); defined, the tenant pass (rules with it).
   */
  fire (target: FaultTarget): FiredFault | undefined {
    for (const entry of this.#matching(target)) {
      const { rule } = entry
      if (rule.probability !== undefined && entry.random() >= rule.probability) continue
      return { id: rule.id, action: rule.action, delayMs: pickDelay(rule.action.delayMs, entry.random) }
    }
    return undefined
  }

  /**
   * `fire` for a fleet: a rule with `times` or `probability` fires only when `claim` says so, so
   * `times: 2` fires twice across all replicas and the seeded draws follow the fleet-wide order
   * of matching requests. Rules added before the log was shared (no uid) decide locally.
   */
  async fireShared (target: FaultTarget, claim: FleetClaim): Promise<FiredFault | undefined> {
    for (const entry of [...this.#matching(target)]) {
      const { rule, uid, seed } = entry
      if (uid === undefined || (rule.times === undefined && rule.probability === undefined)) {
        if (rule.probability !== undefined && entry.random() >= rule.probability) continue
        return { id: rule.id, action: rule.action, delayMs: pickDelay(rule.action.delayMs, entry.random) }
      }
      const decided = await claim({ uid, rule, seed })
      if (!decided.fire) continue
      return { id: rule.id, action: rule.action, delayMs: pickDelay(rule.action.delayMs, () => decided.draw) }
    }
    return undefined
  }

  * #matching (target: FaultTarget): Generator<RuleEntry> {
    for (const entry of this.#rules) {
      const m = entry.rule.match ?? {}
      if ((m.tenant === undefined) !== (target.tenant === undefined)) continue
      if (m.tenant !== undefined && m.tenant !== target.tenant) continue
      if (m.vendor !== undefined && m.vendor !== target.vendor) continue
      if (m.method !== undefined && m.method.toUpperCase() !== target.method) continue
      if (m.path !== undefined && trimSlash(m.path) !== trimSlash(target.path)) continue
      yield entry
    }
  }
}

function pickDelay (delay: FaultAction['delayMs'], random: () => number): number {
  if (delay === undefined) return 0
  if (typeof delay === 'number') return delay
  return delay.min + Math.floor(random() * (delay.max - delay.min + 1))
}

/**
 * Parses the X-Mock-Fault request header: `status=503`, `delay=200`, `status=429; retry-after=1`,
 * `drop`. Returns the action, or a string saying what is wrong.
 */
export function parseFaultHeader (value: string): FaultAction | string {
  const action: FaultAction = {}
  for (const part of value.split(/[;,]/).map((p) => p.trim()).filter((p) => p !== '')) {
    const [rawName, rawValue, ...rest] = part.split('=').map((s) => s.trim())
    const name = (rawName ?? '').toLowerCase()
    if (name === 'drop' && rawValue === undefined) {
      action.drop = true
      continue
    }
    if (rawValue === undefined || rest.length > 0 || !/^[0-9]{1,6}$/.test(rawValue)) return `"${part}" is not name=number`
    const n = Number(rawValue)
    if (name === 'status') {
      if (n < 400 || n > 599) return 'status must be 400..599'
      action.status = n
    } else if (name === 'delay') {
      if (n > 60_000) return 'delay must be at most 60000 ms'
      action.delayMs = n
    } else if (name === 'retry-after') {
      action.retryAfterSeconds = n
    } else {
      return `unknown setting "${name}" (use status, delay, retry-after, drop)`
    }
  }
  return faultRuleProblem({ action }) ?? action
}
