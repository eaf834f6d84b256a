/**
 * Where changes travel. Without configuration a change is applied where it is made (the
 * embedded default). With `stateUrl` every change is appended to one Redis Stream and every
 * replica applies the stream in order, its own changes included, so all replicas pass through
 * the same sequence of states: a write answers once its change is in the stream and applied
 * here, and other replicas apply it as soon as their blocking read returns it.
 *
 * A replica that starts replays the stream before it serves (buildMockServer waits), so a
 * rolling restart loses nothing; a `reset` trims everything before it, so the replay stays
 * short. While Redis is unreachable, reads keep being served from the last applied state,
 * writes are refused with 503 (nothing half-applied), and the follower catches up when Redis
 * returns. Redis Streams: https://redis.io/docs/latest/develop/data-types/streams/
 */
import { Redis } from 'ioredis'
import type { Change } from './changes.js'
import { StateUnavailable } from './errors.js'
import { drawAt, type FleetClaim } from './faults.js'
import { matches, type JournalEntry, type JournalFilter } from './journal.js'

/** Journal entries wait this long to travel to Redis together (one pipeline per batch). */
const JOURNAL_FLUSH_MS = 5

/** How many entries one read returns while catching up. */
const BATCH = 500
/** How long a blocking read waits before it reads again (it returns at once when an entry arrives). */
const BLOCK_MS = 5000

export interface ChangeApplier {
  /** Applies one change from the log (preparing it first), or throws its refusal; the same on every replica. */
  applyLogged: (change: Change, origin: string) => Promise<unknown>
}

/** Fleet-wide fault counters outlive no rule by long: a week, renewed on each use. */
const FAULT_COUNTER_TTL_S = 7 * 86_400

export interface StateHealth {
  mode: 'redis'
  replica: string
  /** Redis reachable and the stream followed. */
  connected: boolean
  /** Entries applied from the stream since this process started. */
  applied: number
  /** The last stream entry applied. */
  lastId: string
}

type Settle = { resolve: (value: unknown) => void, reject: (err: unknown) => void }

/** The Redis Stream of changes: one writer connection, one blocking reader. */
export class RedisChangeLog {
  readonly key: string
  readonly replica: string
  readonly #url: string
  readonly #applier: ChangeApplier
  readonly #onError: (err: unknown) => void
  #writer: Redis | undefined
  #reader: Redis | undefined
  #lastId = '0-0'
  #applied = 0
  #connected = false
  #closing = false
  #follow: Promise<void> | undefined
  readonly #pending = new Map<string, Settle>()
  /** Outcomes of this replica's entries that the reader applied before the writer's XADD answer arrived. */
  readonly #early = new Map<string, { ok: boolean, value: unknown }>()

  readonly #journalSize: number
  #journalBatch: string[] = []
  #journalTimer: NodeJS.Timeout | undefined

  constructor (options: { url: string, key: string, replica: string, journalSize: number, applier: ChangeApplier, onError: (err: unknown) => void }) {
    this.#url = options.url
    this.#journalSize = options.journalSize
    this.key = options.key
    this.replica = options.replica
    this.#applier = options.applier
    this.#onError = options.onError
  }

  /** Connects and replays the whole stream; resolves when this replica holds the fleet's current state. */
  async start (): Promise<void> {
    const options = { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (times: number) => Math.min(50 * times, 1000) }
    this.#writer = new Redis(this.#url, { ...options, connectionName: `${this.replica}:writer` })
    this.#reader = new Redis(this.#url, { ...options, connectionName: `${this.replica}:reader` })
    for (const connection of [this.#writer, this.#reader]) {
      connection.on('error', (err) => { this.#report(err) })
    }
    await Promise.all([this.#writer.connect(), this.#reader.connect()])
    await this.#catchUp()
    this.#connected = true
    this.#follow = this.#followLoop()
  }

  /** Appends `change` and resolves with the result of applying it here, in stream order; rejects with its refusal. */
  async append (change: Change): Promise<unknown> {
    const writer = this.#writer
    if (writer === undefined || writer.status !== 'ready') throw new StateUnavailable(`the shared state store (Redis) is unreachable: ${writer?.status ?? 'not started'}`)
    let id: string | null
    try {
      id = await writer.xadd(this.key, '*', 'change', JSON.stringify(change), 'replica', this.replica)
    } catch (err) {
      throw new StateUnavailable(`the shared state store (Redis) refused the change: ${(err as Error).message}`)
    }
    if (id === null) throw new StateUnavailable('the shared state store (Redis) did not store the change')
    const appended = id
    const early = this.#early.get(appended)
    this.#early.delete(appended)
    const applied = early !== undefined
      ? (early.ok ? Promise.resolve(early.value) : Promise.reject(early.value))
      : new Promise<unknown>((resolve, reject) => { this.#pending.set(appended, { resolve, reject }) })
    // A reset makes everything before it irrelevant: trim it, so a replica that starts replays
    // little, and empty the fleet's journal as reset empties each replica's.
    if (change.kind === 'reset') {
      applied.then(async () => await writer.multi().xtrim(this.key, 'MINID', appended).del(this.#journalKey).exec(), () => undefined).catch((err: unknown) => { this.#onError(err) })
    }
    return await applied
  }

  /**
   * Whether a fault rule with `times` or `probability` fires for this request, decided for the
   * fleet with Redis counters: the n-th matching request fleet-wide takes draw n of the rule's
   * seed, and a hit counter caps the fires at `times`. Unreachable Redis: the rule does not fire.
   */
  readonly claimFault: FleetClaim = async ({ uid, rule, seed }) => {
    const writer = this.#writer
    if (writer === undefined || writer.status !== 'ready') return { fire: false, draw: 0 }
    const counter = `${this.key}:fault:${uid}`
    try {
      let draw = 0
      if (rule.probability !== undefined) {
        const [[, n]] = await writer.multi().incr(`${counter}:matches`).expire(`${counter}:matches`, FAULT_COUNTER_TTL_S).exec() as [[null, number]]
        draw = drawAt(seed, n)
        if (draw >= rule.probability) return { fire: false, draw }
      }
      if (rule.times !== undefined) {
        const [[, hits]] = await writer.multi().incr(`${counter}:hits`).expire(`${counter}:hits`, FAULT_COUNTER_TTL_S).exec() as [[null, number]]
        if (hits > rule.times) return { fire: false, draw }
      }
      return { fire: true, draw }
    } catch (err) {
      this.#onError(err)
      return { fire: false, draw: 0 }
    }
  }

  get #journalKey (): string {
    return `${this.key}:journal`
  }

  /** Records a journal entry for the fleet: batched, appended to a stream capped near JOURNAL_SIZE. */
  journal (entry: JournalEntry): void {
    this.#journalBatch.push(JSON.stringify({ ...entry, replica: this.replica }))
    this.#journalTimer ??= setTimeout(() => { this.#flushJournal().catch((err: unknown) => { this.#onError(err) }) }, JOURNAL_FLUSH_MS)
  }

  async #flushJournal (): Promise<void> {
    clearTimeout(this.#journalTimer)
    this.#journalTimer = undefined
    const batch = this.#journalBatch
    this.#journalBatch = []
    const writer = this.#writer
    if (batch.length === 0 || writer === undefined || writer.status !== 'ready') return
    const pipeline = writer.pipeline()
    for (const json of batch) pipeline.xadd(this.#journalKey, 'MAXLEN', '~', this.#journalSize, '*', 'entry', json)
    try {
      await pipeline.exec()
    } catch (err) {
      this.#onError(err)
    }
  }

  /** The fleet's journal, newest first (this replica's pending entries sent first). */
  async requests (filter: JournalFilter): Promise<JournalEntry[]> {
    await this.#flushJournal()
    const writer = this.#writer
    if (writer === undefined || writer.status !== 'ready') throw new StateUnavailable('the shared state store (Redis) is unreachable, and with it the fleet\'s journal')
    const raw = await writer.xrevrange(this.#journalKey, '+', '-', 'COUNT', this.#journalSize)
    const out: JournalEntry[] = []
    const limit = filter.limit ?? this.#journalSize
    for (const [, fields] of raw) {
      if (out.length >= limit) break
      const entry = JSON.parse(fields[1] ?? '{}') as JournalEntry
      if (matches(entry, filter, Date.parse(entry.time))) out.push(entry)
    }
    return out
  }

  async clearJournal (): Promise<void> {
    this.#journalBatch = []
    const writer = this.#writer
    if (writer === undefined || writer.status !== 'ready') throw new StateUnavailable('the shared state store (Redis) is unreachable')
    await writer.del(this.#journalKey)
  }

  health (): StateHealth {
    return { mode: 'redis', replica: this.replica, connected: this.#connected && this.#writer?.status === 'ready' && this.#reader?.status === 'ready', applied: this.#applied, lastId: this.#lastId }
  }

  #lastReport = 0

  /** Passes on Redis errors, at most one per 10 s: a Redis that is down fails every reconnect attempt. */
  #report (err: unknown): void {
    if (this.#closing) return
    const now = Date.now()
    if (now - this.#lastReport < 10_000) return
    this.#lastReport = now
    this.#onError(err)
  }

  /** Reads what is already in the stream, in batches, without blocking. */
  async #catchUp (): Promise<void> {
    const reader = this.#reader as Redis
    for (;;) {
      const entries = await reader.xrange(this.key, `(${this.#lastId}`, '+', 'COUNT', BATCH)
      for (const [id, fields] of entries) await this.#applyEntry(id, fields)
      if (entries.length < BATCH) return
    }
  }

  /** Blocking reads from the last applied entry on; after a lost connection it picks up where it was. */
  async #followLoop (): Promise<void> {
    const reader = this.#reader as Redis
    while (!this.#closing) {
      try {
        const answer = await reader.xread('COUNT', BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', this.key, this.#lastId)
        this.#connected = true
        for (const [, entries] of answer ?? []) {
          for (const [id, fields] of entries) await this.#applyEntry(id, fields)
        }
      } catch (err) {
        if (this.#closing) return
        this.#connected = false
        this.#report(err)
        // ioredis reconnects on its own; wait for it rather than spin.
        await new Promise<void>((resolve) => {
          if (reader.status === 'ready') setTimeout(resolve, 100)
          else reader.once('ready', () => { resolve() })
        })
      }
    }
  }

  async #applyEntry (id: string, fields: string[]): Promise<void> {
    this.#lastId = id
    this.#applied++
    const mine = fields[fields.indexOf('replica') + 1] === this.replica
    const pending = this.#pending.get(id)
    this.#pending.delete(id)
    // Our own entry read back before XADD answered: keep the outcome for append() to pick up.
    const settle = pending ?? (mine
      ? { resolve: (value: unknown) => { this.#early.set(id, { ok: true, value }) }, reject: (value: unknown) => { this.#early.set(id, { ok: false, value }) } }
      : undefined)
    let change: Change
    try {
      change = JSON.parse(fields[fields.indexOf('change') + 1] ?? 'null') as Change
    } catch (err) {
      settle?.reject(err)
      this.#onError(new Error(`stream entry ${id} is not a change; skipped`))
      return
    }
    try {
      const result = await this.#applier.applyLogged(change, id)
      settle?.resolve(result)
    } catch (err) {
      // Refused here as on every replica: the state did not change anywhere.
      settle?.reject(err)
    }
  }

  async close (): Promise<void> {
    await this.#flushJournal()
    this.#closing = true
    for (const { reject } of this.#pending.values()) reject(new StateUnavailable('the mock is shutting down'))
    this.#pending.clear()
    this.#reader?.disconnect()
    this.#writer?.disconnect()
    await this.#follow?.catch(() => undefined)
  }
}
