/**
 * The tenant store: every Concur company and iSpring account the mock serves, loaded from JSON
 * fixture files (validated by each vendor's JSON Schema) or created at run time through the admin
 * API with the same schema. The store is vendor-neutral: a vendor contributes a `TenantKind` that
 * validates and builds its own tenant data, and the store keeps ids and vendor keys (company ids,
 * account URLs) unique and can go back to the fixture files on reset.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import type { MockClock } from './clock.js'
import type { Steps } from './steps.js'

/** A problem at a JSON path of a fixture (`path` as property names and array indexes). */
export class FixtureProblem extends Error {
  constructor (readonly path: ReadonlyArray<string | number>, message: string) {
    super(message)
  }
}

export interface FixtureIssue { source: string, path: string, message: string }

/** A fixture file or admin request body that cannot be loaded; the message names every issue. */
export class FixtureError extends Error {
  readonly issues: FixtureIssue[]
  constructor (issues: FixtureIssue[]) {
    super(issues.map((i) => `${i.source}: ${i.path}: ${i.message}`).join('\n'))
    this.issues = issues
  }
}

/** A tenant id or vendor key (company id, account URL) already in use. */
export class TenantConflictError extends Error {}

export interface BuildContext {
  /** The time of the change being applied (records it creates are dated from it). */
  clock: Pick<MockClock, 'now'>
  /** Where the fixture came from (file path relative to the working directory, or "runtime"). */
  source: string
}

export interface TenantSummary {
  userCount: number
  credentials: Record<string, unknown>
  [key: string]: unknown
}

/** What a vendor tells the store about its tenants. */
export interface TenantKind<D = unknown> {
  vendor: string
  /** JSON Schema of a whole fixture file of this vendor (including `vendor`, `id`, `name`). */
  schema: TSchema
  /** Builds the runtime tenant from a schema-valid fixture; throws FixtureProblem. */
  build (fixture: unknown, ctx: BuildContext): D
  /** Keys that must be unique among this vendor's tenants (e.g. companyId). */
  keys (data: D): string[]
  describe (data: D): TenantSummary
  /**
   * Makes the expensive part of building a schema-valid fixture (generated records) in steps and
   * keeps it for `build` of the same fixture object, so big tenants are made without holding the
   * event loop. Optional: without it, `build` makes everything on first use.
   */
  prepare? (fixture: unknown): Steps<unknown>
  /** JSON Schema of one hand-written user (as in the fixture file), for the admin API. */
  userSchema: TSchema
  /**
   * Admin API: appends schema-valid hand-written users (throws FixtureProblem, with paths
   * relative to the users array, for duplicates or dangling references). Returns their ids.
   */
  addUsers (data: D, users: unknown[], ctx: BuildContext): string[]
  /**
   * Admin API: changes one user. `patch` holds fixture-user fields to replace; throws
   * FixtureProblem for a bad field. Returns false when no user has that id.
   */
  patchUser (data: D, userId: string, patch: Record<string, unknown>, ctx: BuildContext): boolean
  /** Replaces one user with a whole fixture user (same id); throws FixtureProblem; false when no user has that id. */
  replaceUser? (data: D, userId: string, user: unknown, ctx: BuildContext): boolean
  /** Removes one user; false when no user has that id. */
  removeUser? (data: D, userId: string, ctx: BuildContext): boolean
  /** Revokes every token of one API client (lower-case id) of the tenant. */
  revokeTokens? (data: D, clientId: string): void
  /** Applies a vendor change (`<vendor>.<what>`); validates first and throws FixtureProblem, changing nothing. */
  applyChange? (data: D, change: { kind: string, at: number, [key: string]: unknown }, ctx: BuildContext): unknown
}

export interface Tenant<D = unknown> {
  vendor: string
  id: string
  name: string
  source: string
  data: D
  /**
   * The mock time the change that made this instance of the tenant was stamped with (0 for the
   * fixture files loaded at start): the same on every replica, and different for a tenant of the
   * same id made again, so stateless credentials that carry it die with their instance.
   */
  epoch: number
}

interface RawFixture { source: string, content: unknown }

/** `/users/3/LoginID` → `$.users[3].LoginID` */
export function jsonPath (path: ReadonlyArray<string | number>): string {
  let out = '$'
  for (const part of path) {
    if (typeof part === 'number' || /^\d+$/.test(part)) out += `[${part}]`
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += `.${part}`
    else out += `[${JSON.stringify(part)}]`
  }
  return out
}

/** A schema error in words that say what is allowed (the allowed values of an enum, not just "one of the allowed values"). */
export function schemaMessage (e: { keyword: string, message: string, params: unknown }): string {
  if (e.keyword === 'boolean') return 'is not an allowed property'
  const allowed = (e.params as { allowedValues?: unknown[] } | undefined)?.allowedValues
  if (e.keyword === 'enum' && Array.isArray(allowed)) return `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`
  return e.message
}

function pointerToPath (pointer: string): string[] {
  if (pointer === '') return []
  return pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
}

export class TenantStore {
  readonly #kinds = new Map<string, { kind: TenantKind, check: ReturnType<typeof Compile>, userCheck: ReturnType<typeof Compile> }>()
  readonly #tenants = new Map<string, Map<string, Tenant>>()
  readonly #keys = new Map<string, Tenant>()
  readonly #clock: MockClock
  #fixtures: RawFixture[] = []
  /** Bumped on every add or remove, so vendors can memoize derived indexes. */
  version = 0

  constructor (kinds: TenantKind<any>[], clock: MockClock) {
    this.#clock = clock
    for (const kind of kinds) {
      this.#kinds.set(kind.vendor, { kind, check: Compile(kind.schema), userCheck: Compile(kind.userSchema) })
      this.#tenants.set(kind.vendor, new Map())
    }
  }

  get vendors (): string[] {
    return [...this.#kinds.keys()]
  }

  /** Reads every `*.json` file of the directories (in name order) and loads them, all or nothing. */
  loadDirectories (dirs: string[]): void {
    const raws: RawFixture[] = []
    const issues: FixtureIssue[] = []
    for (const dir of dirs) {
      let names: string[]
      try {
        names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort()
      } catch (err) {
        issues.push({ source: dir, path: '$', message: `cannot read fixtures directory (${(err as NodeJS.ErrnoException).code ?? String(err)})` })
        continue
      }
      for (const name of names) {
        const file = join(dir, name)
        const source = relative(process.cwd(), file) || file
        let text: string
        try {
          text = readFileSync(file, 'utf8')
        } catch (err) {
          issues.push({ source, path: '$', message: `cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})` })
          continue
        }
        try {
          raws.push({ source, content: JSON.parse(text) })
        } catch (err) {
          issues.push({ source, path: '$', message: `invalid JSON: ${(err as Error).message}` })
        }
      }
    }
    if (issues.length > 0) throw new FixtureError(issues)
    this.#loadAll(raws)
    this.#fixtures = raws
  }

  /** Back to the fixture files: run-time tenants and every change to loaded ones are dropped. */
  /** Back to the fixture files; `at` is the reset's time, the new instances' epoch. */
  reset (at = 0): void {
    this.#loadAll(this.#fixtures, at)
  }

  #loadAll (raws: RawFixture[], epoch = 0): void {
    const built: Tenant[] = []
    const issues: FixtureIssue[] = []
    for (const raw of raws) {
      try {
        built.push(this.build(raw.content, raw.source, undefined, epoch))
      } catch (err) {
        if (!(err instanceof FixtureError)) throw err
        issues.push(...err.issues)
      }
    }
    if (issues.length > 0) throw new FixtureError(issues)
    for (const map of this.#tenants.values()) map.clear()
    this.#keys.clear()
    for (const tenant of built) {
      try {
        this.add(tenant)
      } catch (err) {
        if (!(err instanceof TenantConflictError)) throw err
        issues.push({ source: tenant.source, path: '$', message: err.message })
      }
    }
    if (issues.length > 0) throw new FixtureError(issues)
  }

  /**
   * Throws FixtureError naming the first `perUser` schema problems of each hand-written user of
   * `vendor` (paths under `prefix`, with the user's index when `prefix` is given).
   */
  checkUsers (vendor: string, users: readonly unknown[], prefix: Array<string | number>, perUser: number): void {
    const check = this.#kinds.get(vendor)?.userCheck
    if (check === undefined) throw new Error(`unknown vendor ${vendor}`)
    const issues = users.flatMap((u, i) => [...check.Errors(u)].slice(0, perUser).map((e) => ({
      source: 'request',
      path: jsonPath([...prefix, ...(prefix.length > 0 ? [i] : []), ...pointerToPath(e.instancePath)]),
      message: schemaMessage(e)
    })))
    if (issues.length > 0) throw new FixtureError(issues)
  }

  /** True when `content` is a schema-valid fixture of a known vendor (no other checks). */
  isValid (content: unknown): boolean {
    const vendor = (content as { vendor?: unknown } | null)?.vendor
    const entry = typeof vendor === 'string' ? this.#kinds.get(vendor) : undefined
    return entry !== undefined && entry.check.Check(content)
  }

  /** Validates a fixture (file content or admin request body) and builds its tenant, unstored. */
  build (content: unknown, source: string, ctx?: BuildContext, epoch = ctx?.clock.now() ?? 0): Tenant {
    const vendor = (content !== null && typeof content === 'object' && !Array.isArray(content))
      ? (content as Record<string, unknown>).vendor
      : undefined
    const entry = typeof vendor === 'string' ? this.#kinds.get(vendor) : undefined
    if (entry === undefined) {
      const message = (content === null || typeof content !== 'object' || Array.isArray(content))
        ? 'must be a JSON object (one tenant per file)'
        : `vendor must be one of ${this.vendors.map((v) => `"${v}"`).join(', ')}`
      throw new FixtureError([{ source, path: typeof content === 'object' && content !== null && !Array.isArray(content) ? '$.vendor' : '$', message }])
    }
    if (!entry.check.Check(content)) {
      const seen = new Set<string>()
      const issues: FixtureIssue[] = []
      for (const e of entry.check.Errors(content)) {
        const path = jsonPath(pointerToPath(e.instancePath))
        if (seen.has(path)) continue
        seen.add(path)
        issues.push({ source, path, message: schemaMessage(e) })
        if (issues.length === 5) break
      }
      throw new FixtureError(issues)
    }
    try {
      const data = entry.kind.build(content, ctx ?? { clock: this.#clock, source })
      const c = content as { id: string, name: string }
      return { vendor: vendor as string, id: c.id, name: c.name, source, data, epoch }
    } catch (err) {
      if (err instanceof FixtureProblem) throw new FixtureError([{ source, path: jsonPath(err.path), message: err.message }])
      throw err
    }
  }

  /** Stores a built tenant; throws TenantConflictError when its id or a vendor key is taken. */
  add (tenant: Tenant): void {
    const kind = this.#kinds.get(tenant.vendor)?.kind
    const tenants = this.#tenants.get(tenant.vendor)
    if (kind === undefined || tenants === undefined) throw new Error(`unknown vendor ${tenant.vendor}`)
    if (tenants.has(tenant.id)) {
      throw new TenantConflictError(`${tenant.vendor} tenant "${tenant.id}" already exists`)
    }
    const keys = kind.keys(tenant.data).map((k) => `${tenant.vendor}\u0000${k.toLowerCase()}`)
    for (const key of keys) {
      const owner = this.#keys.get(key)
      if (owner !== undefined) {
        throw new TenantConflictError(`${key.split('\u0000')[1]} is already used by ${tenant.vendor} tenant "${owner.id}"`)
      }
    }
    tenants.set(tenant.id, tenant)
    for (const key of keys) this.#keys.set(key, tenant)
    this.version++
  }

  remove (vendor: string, id: string): boolean {
    const tenant = this.#tenants.get(vendor)?.get(id)
    const kind = this.#kinds.get(vendor)?.kind
    if (tenant === undefined || kind === undefined) return false
    this.#tenants.get(vendor)?.delete(id)
    for (const k of kind.keys(tenant.data)) this.#keys.delete(`${vendor}\u0000${k.toLowerCase()}`)
    this.version++
    return true
  }

  get<D = unknown> (vendor: string, id: string): Tenant<D> | undefined {
    return this.#tenants.get(vendor)?.get(id) as Tenant<D> | undefined
  }

  /** The tenant of `vendor` that owns a vendor key (case-insensitive), e.g. a company id. */
  byKey<D = unknown> (vendor: string, key: string): Tenant<D> | undefined {
    return this.#keys.get(`${vendor}\u0000${key.toLowerCase()}`) as Tenant<D> | undefined
  }

  list<D = unknown> (vendor: string): Tenant<D>[] {
    return [...(this.#tenants.get(vendor)?.values() ?? [])] as Tenant<D>[]
  }

  /** The tenant kind of `vendor` (throws for an unknown vendor). */
  kind (vendor: string): TenantKind {
    const kind = this.#kinds.get(vendor)?.kind
    if (kind === undefined) throw new Error(`unknown vendor ${vendor}`)
    return kind
  }

  /** Users held by every tenant together (generated ones counted before they are made). */
  userCount (): number {
    let count = 0
    for (const [vendor, tenants] of this.#tenants) {
      const kind = this.kind(vendor)
      for (const tenant of tenants.values()) count += kind.describe(tenant.data).userCount
    }
    return count
  }

  describe (tenant: Tenant): TenantSummary {
    const kind = this.#kinds.get(tenant.vendor)?.kind
    if (kind === undefined) throw new Error(`unknown vendor ${tenant.vendor}`)
    return kind.describe(tenant.data)
  }
}
