/**
 * The control plane's request-side half, registered inside each vendor's scope (so every hook
 * here is made for one vendor and never looks the vendor up): it fires fault rules (before
 * authentication, and once `identify` names the tenant), honours the X-Mock-Fault header, and
 * writes the request journal. The admin routes that steer it live in admin.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { FaultTarget, FiredFault } from './faults.js'
import { parseFaultHeader } from './faults.js'
import { journalSource } from './journal.js'
import { pathInMount, underPrefix } from './routing.js'
import type { VendorModule } from './vendor.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Vendors call this once a request's credentials identify its tenant: the journal is tagged
     * and tenant-matched fault rules fire. True when a fault answered (or dropped) the request,
     * and the vendor must stop handling it.
     */
    identify: (request: FastifyRequest, reply: FastifyReply, tenantId: string) => Promise<boolean>
  }
}

/** The path of `url` inside the vendor: mount and alias prefixes removed. */
export function vendorPath (vendor: VendorModule, url: string): string {
  const path = pathInMount(url, vendor.mount)
  for (const alias of vendor.aliases ?? []) {
    if (underPrefix(path, alias)) return path.slice(alias.length) || '/'
  }
  return path
}

export const controlPlanePlugin = fp(async (app: FastifyInstance, { vendor }: { vendor: VendorModule }) => {
  const { faults, journal, clock, changes, log } = app.mock
  const fire = (target: FaultTarget): FiredFault | undefined | Promise<FiredFault | undefined> =>
    log === null ? faults.fire(target) : faults.fireShared(target, log.claimFault)
  const pathOf = (url: string): string => vendorPath(vendor, url)
  // Made once, so a journal record holds references only.
  const source = journalSource(vendor.name, pathOf, vendor.redaction)

  function record (request: FastifyRequest, status: number, durationMs: number): void {
    journal.add(request, source, status, durationMs, clock.now())
    if (log !== null) {
      const entry = journal.last()
      if (entry !== undefined) log.journal(entry)
    }
  }

  /** Carries out a fired fault; true when it answered or dropped the request. */
  async function apply (fired: FiredFault, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    if (fired.id !== undefined) {
      const consumed = { kind: 'fault.consumed' as const, at: clock.now(), id: fired.id }
      // Shared state: the hit travels to every replica; the decision to fire was already the fleet's.
      if (log === null) changes.apply(consumed)
      else changes.submit(consumed).catch((err: unknown) => { request.log.warn({ err }, 'a fault hit did not reach the other replicas') })
    }
    if (fired.delayMs > 0) await sleep(fired.delayMs)
    if (fired.action.drop === true) {
      record(request, 0, reply.elapsedTime)
      reply.hijack()
      request.raw.socket.destroy()
      return true
    }
    if (fired.action.status !== undefined) {
      vendor.sendFault(request, reply, { status: fired.action.status, retryAfterSeconds: fired.action.retryAfterSeconds })
      return true
    }
    return false
  }

  app.decorate('identify', async (request: FastifyRequest, reply: FastifyReply, tenantId: string): Promise<boolean> => {
    request.mockTenant = tenantId
    if (faults.size === 0) return false
    const fired = await fire({ vendor: vendor.name, tenant: tenantId, method: request.method, path: pathOf(request.url) })
    return fired !== undefined && await apply(fired, request, reply)
  })

  /** Fires the X-Mock-Fault header and the pre-authentication rules; true when one answered. */
  async function preAuthFaults (request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const header = request.headers['x-mock-fault']
    if (typeof header === 'string') {
      const action = parseFaultHeader(header)
      if (typeof action === 'string') {
        vendor.sendFault(request, reply, { status: 400, message: `invalid X-Mock-Fault header: ${action}` })
        return true
      }
      if (await apply({ id: undefined, action, delayMs: typeof action.delayMs === 'number' ? action.delayMs : 0 }, request, reply)) return true
    }
    const fired = await fire({ vendor: vendor.name, method: request.method, path: pathOf(request.url) })
    return fired !== undefined && await apply(fired, request, reply)
  }

  // preHandler runs after the vendor's own onRequest hooks (correlation ids) and body parsing,
  // and before its authentication hook. Callback style with a synchronous fast path: no fault
  // rules and no header cost nothing.
  app.addHook('preHandler', (request, reply, done) => {
    if (request.headers['x-mock-fault'] === undefined && faults.size === 0) {
      done()
      return
    }
    preAuthFaults(request, reply).then((answered) => { if (!answered) done() }, done)
  })

  app.addHook('onResponse', (request, reply, done) => {
    if (journal.size > 0) record(request, reply.statusCode, reply.elapsedTime)
    done()
  })
}, { name: 'control-plane', dependencies: ['mock-context'] })

/** One vendor's scope: the control plane's hooks for that vendor, then the vendor's own routes. */
export function vendorScope (vendor: VendorModule) {
  return async function scope (app: FastifyInstance): Promise<void> {
    await app.register(controlPlanePlugin, { vendor })
    await app.register(vendor.plugin)
  }
}
