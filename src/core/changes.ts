/**
 * The one change path. Every change to the mock's state (tenants, users, the clock, fault rules,
 * revoked tokens, reset) is a `Change`: plain JSON data, stamped with the mock time it was made
 * at, applied by `Changes.apply`, which validates it, mutates the store (the store and the
 * tenant kinds' mutations move the directory versions in the same step, so cached pages of the
 * old data are never served, and replace records rather than edit them, so per-object fragments
 * are never stale), and then tells the subscribers. A change that fails validation throws and
 * changes nothing.
 *
 * Not reproduced by a replay: issued access tokens (Concur's sessions are changes, so their
 * refresh tokens are), the request journal, and the position of a fault rule's
 * `probability` draws (a replica draws on its own; the rule and its hit counts replicate).
 *
 * Because a change carries everything its effect depends on (ids, seeds, the time), two
 * processes that build the same fixtures and apply the same sequence of changes hold the same
 * state: subscribers are how a sequence leaves the process (the replicas' Redis Stream).
 */
import type { MockClock } from './clock.js'
import { FaultNotFound, InvalidChange, InvalidFault, TenantConflict, TenantNotFound, UnknownChange, UserBudgetExceeded, UserNotFound, fixtureFailure } from './errors.js'
import { Compile } from 'typebox/compile'
import { CLOCK_MAX_MS } from './clock.js'
import { FaultRuleSchema, faultRuleProblem, type FaultEngine, type FaultRule } from './faults.js'
import type { Journal } from './journal.js'
import { runInSlices } from './steps.js'
import type { PageCache } from './page-cache.js'
import { FixtureError, FixtureProblem, jsonPath, TenantConflictError, type BuildContext, type Tenant, type TenantStore } from './tenants.js'

/** A JSON value as a change carries it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

interface Stamped {
  /** Mock time (epoch ms) the change was made at: dates it stamps on records come from here. */
  at: number
}
interface OfTenant extends Stamped { vendor: string, tenant: string }

/** The changes core knows; a vendor adds kinds of its own as `VendorChange`s. */
export type CoreChange =
  | Stamped & { kind: 'tenant.created', fixture: { [key: string]: Json } }
  | OfTenant & { kind: 'tenant.deleted' }
  | OfTenant & { kind: 'users.added', users: Json[] }
  | OfTenant & { kind: 'user.patched', userId: string, patch: { [key: string]: Json } }
  | OfTenant & { kind: 'user.replaced', userId: string, user: { [key: string]: Json } }
  | OfTenant & { kind: 'user.removed', userId: string }
  | OfTenant & { kind: 'tokens.revoked', clientId: string }
  | Stamped & { kind: 'reset' }
  /** `offsetMs`: mock time minus real time after the move. */
  | Stamped & { kind: 'clock.moved', offsetMs: number }
  | Stamped & { kind: 'fault.added', rule: FaultRule, seed: number }
  | Stamped & { kind: 'fault.removed', id: string }
  | Stamped & { kind: 'faults.cleared' }
  /** A rule fired once: its hit count moves and `times` counts down. */
  | Stamped & { kind: 'fault.consumed', id: string }

/** A vendor's own kind of change (named `<vendor>.<what>`), applied by its tenant kind. */
export interface VendorChange extends OfTenant {
  kind: `${string}.${string}`
  [key: string]: Json | undefined
}

export type Change = CoreChange | VendorChange

/** What `apply` returns per kind. */
export interface ChangeResults {
  'tenant.created': Tenant
  'users.added': string[]
  [kind: string]: unknown
}

const checkFaultRule = Compile(FaultRuleSchema)

export type ChangeListener = (change: Change, seq: number) => void

const CORE_KINDS = new Set(['tenant.created', 'tenant.deleted', 'users.added', 'user.patched', 'user.replaced', 'user.removed',
  'tokens.revoked', 'reset', 'clock.moved', 'fault.added', 'fault.removed', 'faults.cleared', 'fault.consumed'])

export interface ChangeTargets {
  store: TenantStore
  clock: MockClock
  faults: FaultEngine
  journal: Journal
  pages: PageCache
  /** Most users all tenants together may hold; a change beyond it is refused (fixture files are not). */
  maxUsers: number
  /** Told when a subscriber throws (the app logs it). */
  onListenerError?: (err: unknown) => void
}

/** Where changes go when replicas share state (state.ts): `append` resolves once the change is applied here, in log order. */
export interface ChangeLog {
  append: (change: Change) => Promise<unknown>
}

export class Changes {
  readonly #t: ChangeTargets
  readonly #listeners = new Set<ChangeListener>()
  #log: ChangeLog | undefined
  /** How many changes this process has applied. */
  seq = 0

  constructor (targets: ChangeTargets) {
    this.#t = targets
  }

  /** From now on changes are submitted to `log` (shared with other replicas), which applies them through applyLogged. */
  useLog (log: ChangeLog): void {
    this.#log = log
  }

  /**
   * Makes a change: where replicas share state, through their log (it answers once the change is
   * applied here, in the fleet's order); otherwise prepared and applied in this process. Route
   * handlers submit; `apply` is the step every replica runs.
   */
  async submit<K extends Change['kind']> (change: Change & { kind: K }): Promise<ChangeResults[K]> {
    const result = this.#log !== undefined ? await this.#log.append(change) : await this.applyLogged(change)
    return result as ChangeResults[K]
  }

  /**
   * Prepares (in slices) and applies one change: what each replica does with each change of the
   * log. `origin` is the change's place in the log (its stream entry id), the same on every replica.
   */
  async applyLogged (change: Change, origin?: string): Promise<unknown> {
    await this.prepare(change)
    return this.#applyAndNotify(change, origin)
  }

  /** Calls `listener` after every applied change; returns the unsubscribe function. */
  subscribe (listener: ChangeListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The current mock time, for stamping a change about to be made. */
  now (): number {
    return this.#t.clock.now()
  }

  /**
   * Does the slow part of a change ahead of `apply`, in slices that leave the event loop free:
   * the generated records of a new tenant. Refuses early what `apply` would refuse for size.
   * Nothing changes here; a change that turns out invalid is refused by `apply` as usual.
   */
  async prepare (change: Change): Promise<void> {
    if (change.kind !== 'tenant.created') return
    const { store } = this.#t
    const fixture = (change as Extract<CoreChange, { kind: 'tenant.created' }>).fixture
    if (!store.isValid(fixture)) return
    const kind = store.kind(fixture.vendor as string)
    const generate = fixture.generate as { users?: number } | undefined
    const users = (Array.isArray(fixture.users) ? fixture.users.length : 0) + (generate?.users ?? 0)
    this.#checkBudget(users)
    if (kind.prepare === undefined) return
    try {
      await runInSlices(kind.prepare(fixture))
    } catch {
      // A fixture that fails its vendor's own checks is refused, with the reason, by apply.
    }
  }

  /** Validates and applies one change, then notifies; throws (an errors.ts class) and changes nothing when it is refused. */
  apply<K extends Change['kind']> (change: Change & { kind: K }): ChangeResults[K] {
    return this.#applyAndNotify(change) as ChangeResults[K]
  }

  #applyAndNotify (change: Change, origin?: string): unknown {
    const result = this.#apply(change, origin)
    const seq = ++this.seq
    // The change is applied: a listener that fails must not make it look refused, nor starve the others.
    for (const listener of this.#listeners) {
      try {
        listener(change, seq)
      } catch (err) {
        this.#t.onListenerError?.(err)
      }
    }
    return result
  }

  #apply (change: Change, origin?: string): unknown {
    const { store, clock, faults, journal, pages } = this.#t
    if (!CORE_KINDS.has(change.kind)) {
      const vendor = String(change.kind).split('.')[0] as string
      if (!store.vendors.includes(vendor) || (change as VendorChange).vendor !== vendor) throw new UnknownChange(String(change.kind), 'this mock')
      return this.#applyVendor(change as VendorChange)
    }
    const c = change as CoreChange
    switch (c.kind) {
      case 'tenant.created': {
        const tenant = this.#vendorCall([], () => store.build(c.fixture, 'runtime', this.#ctx(c)))
        this.#checkBudget(store.describe(tenant).userCount)
        try {
          store.add(tenant)
        } catch (err) {
          if (err instanceof TenantConflictError) throw new TenantConflict(err.message)
          throw err
        }
        return tenant
      }
      case 'tenant.deleted':
        this.#tenant(c)
        store.remove(c.vendor, c.tenant)
        return undefined
      case 'users.added': {
        const tenant = this.#tenant(c)
        if (!Array.isArray(c.users)) throw new InvalidChange(c.kind, 'users must be an array of users')
        this.#vendorCall([], () => store.checkUsers(c.vendor, c.users, ['users'], 1))
        this.#checkBudget(c.users.length)
        return this.#vendorCall(['users'], () => store.kind(c.vendor).addUsers(tenant.data, c.users, this.#ctx(c)))
      }
      case 'user.patched': {
        const tenant = this.#tenant(c)
        const found = this.#vendorCall([], () => store.kind(c.vendor).patchUser(tenant.data, c.userId, c.patch, this.#ctx(c)))
        if (!found) throw new UserNotFound(c.userId, c.vendor, c.tenant)
        return undefined
      }
      case 'user.replaced': {
        const tenant = this.#tenant(c)
        const kind = store.kind(c.vendor)
        if (kind.replaceUser === undefined) throw new UnknownChange(c.kind, c.vendor)
        this.#vendorCall([], () => store.checkUsers(c.vendor, [c.user], [], 5))
        const replace = kind.replaceUser.bind(kind)
        if (!this.#vendorCall([], () => replace(tenant.data, c.userId, c.user, this.#ctx(c)))) throw new UserNotFound(c.userId, c.vendor, c.tenant)
        return undefined
      }
      case 'user.removed': {
        const tenant = this.#tenant(c)
        const kind = store.kind(c.vendor)
        if (kind.removeUser === undefined) throw new UnknownChange(c.kind, c.vendor)
        if (!kind.removeUser(tenant.data, c.userId, this.#ctx(c))) throw new UserNotFound(c.userId, c.vendor, c.tenant)
        return undefined
      }
      case 'tokens.revoked': {
        const tenant = this.#tenant(c)
        store.kind(c.vendor).revokeTokens?.(tenant.data, c.clientId)
        return undefined
      }
      case 'reset':
        store.reset(c.at)
        pages.clear()
        journal.clear()
        faults.clear()
        clock.reset()
        return undefined
      case 'clock.moved': {
        const target = Date.now() + c.offsetMs
        if (typeof c.offsetMs !== 'number' || !(target >= 0 && target <= CLOCK_MAX_MS)) throw new InvalidChange(c.kind, 'offsetMs must keep the clock between 1970 and the end of 9999')
        clock.setOffset(c.offsetMs)
        return undefined
      }
      case 'fault.added': {
        const { id, hits, remaining, ...input } = c.rule ?? {}
        const problem = !checkFaultRule.Check(input)
          ? 'the rule does not match the fault rule schema'
          : faultRuleProblem(input) ?? (typeof id !== 'string' || !/^fault-[0-9]+$/.test(id) || faults.has(id) ? `id must be a new fault-<n>, got ${JSON.stringify(id)}` : undefined) ??
            (hits !== 0 || (remaining ?? input.times) !== input.times || !Number.isSafeInteger(c.seed) ? 'a new rule starts with hits 0, remaining = times and an integer seed' : undefined)
        if (problem !== undefined) throw new InvalidFault(problem)
        faults.insert(c.rule, c.seed, origin)
        return undefined
      }
      case 'fault.removed':
        if (!faults.remove(c.id)) throw new FaultNotFound(c.id)
        return undefined
      case 'faults.cleared':
        faults.clear()
        return undefined
      case 'fault.consumed':
        faults.consume(c.id)
        return undefined
    }
  }

  #applyVendor (change: VendorChange): unknown {
    const tenant = this.#tenant(change)
    const apply = this.#t.store.kind(change.vendor).applyChange
    if (apply === undefined) throw new UnknownChange(change.kind, change.vendor)
    return this.#vendorCall([], () => apply(tenant.data, change, this.#ctx(change)))
  }

  #tenant (c: { vendor: string, tenant: string }): Tenant {
    const tenant = this.#t.store.get(c.vendor, c.tenant)
    if (tenant === undefined) throw new TenantNotFound(c.vendor, c.tenant)
    return tenant
  }

  #ctx (c: Stamped): BuildContext {
    return { clock: { now: () => c.at }, source: 'runtime' }
  }

  /** Runs a tenant kind's validating mutation; its FixtureProblem becomes a 400 naming the JSON path under `prefix`. */
  #vendorCall<T> (prefix: Array<string | number>, call: () => T): T {
    try {
      return call()
    } catch (err) {
      if (err instanceof FixtureProblem) throw fixtureFailure(new FixtureError([{ source: 'request', path: jsonPath([...prefix, ...err.path]), message: err.message }]))
      if (err instanceof FixtureError) throw fixtureFailure(err)
      throw err
    }
  }

  #checkBudget (adding: number): void {
    const { store, maxUsers } = this.#t
    const held = store.userCount()
    if (held + adding > maxUsers) throw new UserBudgetExceeded(adding, held, maxUsers)
  }
}
