/**
 * The shared state every vendor module reads: resolved config, the mock clock, the tenant store,
 * the page-cursor codec and the page cache. Registered once on the root instance (fastify-plugin, so it is
 * visible inside the encapsulated vendor plugins) as `app.mock`.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { MockConfig } from '../config.js'
import type { Changes } from './changes.js'
import type { MockClock } from './clock.js'
import type { CursorCodec } from './cursor.js'
import type { FaultEngine } from './faults.js'
import type { Journal } from './journal.js'
import type { PageCache } from './page-cache.js'
import type { Tenant, TenantStore } from './tenants.js'
import type { TlsListener } from './tls.js'
import type { RedisChangeLog } from './state.js'

/** What a vendor's authentication hook finds: at least the tenant; each vendor adds its own. */
export interface Caller { tenant: Tenant }

export interface MockContext {
  config: MockConfig
  clock: MockClock
  store: TenantStore
  /** The one change path: every change to the state above goes through `changes.apply`. */
  changes: Changes
  cursors: CursorCodec
  journal: Journal
  faults: FaultEngine
  /** Whole list answers by a key that names their directory's version (page-cache.ts). */
  pages: PageCache
  /** The shared change log when replicas share state (stateUrl), else null. */
  log: RedisChangeLog | null
  /** The HTTPS listener when TLS is on: `listen(port, host)` starts it (server.ts does, after the HTTP listener). */
  tls: TlsListener | null
  /** Real time the app was built (uptime). */
  startedAt: number
}

declare module 'fastify' {
  interface FastifyInstance {
    mock: MockContext
  }
  interface FastifyRequest {
    /** The tenant the request's credentials identified (journal, tenant-matched faults). */
    mockTenant: string | null
    /** Who the credentials name, set by the vendor's authentication hook (a vendor's own subtype of Caller). */
    caller: Caller | null
  }
}

export const mockContextPlugin = fp(async (app: FastifyInstance, context: MockContext) => {
  app.decorate('mock', context)
  app.decorateRequest('mockTenant', null)
  app.decorateRequest('caller', null)
}, { name: 'mock-context', fastify: '5.x' })
