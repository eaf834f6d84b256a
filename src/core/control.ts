/**
 * The control plane's request-side half: it knows which vendor a request is for, fires fault
 * rules (before authentication, and once `identify` names the tenant), honours the X-Mock-Fault
 * header, and writes the request journal. The admin routes that steer it live in admin.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { FiredFault } from './faults.js'
import { parseFaultHeader } from './faults.js'
import { pathInMount, underPrefix } from './routing.js'
import type { VendorModule } from './vendor.js'

export function vendorOf (vendors: readonly VendorModule[], request: FastifyRequest): VendorModule | undefined {
  const url = request.url
  return vendors.find((v) => underPrefix(url, v.mount))
}

/** The request path inside the vendor: mount and alias prefixes removed. */
export function vendorPath (vendor: VendorModule, request: FastifyRequest): string {
  return vendorPathOf(vendor, request.url)
}

function vendorPathOf (vendor: VendorModule, url: string): string {
  const path = pathInMount(url, vendor.mount)
  for (const alias of vendor.aliases ?? []) {
    if (underPrefix(path, alias)) return path.slice(alias.length) || '/'
  }
  return path
}

export const controlPlanePlugin = fp(async (app: FastifyInstance, { vendors }: { vendors: readonly VendorModule[] }) => {
  const { faults, journal, clock, changes } = app.mock

  // One path function per vendor, made once, so a journal record holds references only.
  const pathOf = new Map(vendors.map((v) => [v, (url: string) => vendorPathOf(v, url)]))

  function record (request: FastifyRequest, vendor: VendorModule, status: number, durationMs: number): void {
    journal.add(request, vendor.name, pathOf.get(vendor) as (url: string) => string, status, durationMs, clock.now())
  }

  /** Carries out a fired fault; true when it answered or dropped the request. */
  async function apply (fired: FiredFault, vendor: VendorModule, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    if (fired.id !== undefined) changes.apply({ kind: 'fault.consumed', at: clock.now(), id: fired.id })
    if (fired.delayMs > 0) await sleep(fired.delayMs)
    if (fired.action.drop === true) {
      record(request, vendor, 0, reply.elapsedTime)
      reply.hijack()
      request.raw.socket.destroy()
      return true
    }
    if (fired.action.status !== undefined) {
      vendor.sendFault(request, reply, fired.action.status, fired.action.retryAfterSeconds)
      return true
    }
    return false
  }

  app.mock.identify = async (request, reply, tenantId) => {
    request.mockTenant = tenantId
    if (faults.size === 0) return false
    const vendor = vendorOf(vendors, request)
    if (vendor === undefined) return false
    const fired = faults.fire({ vendor: vendor.name, tenant: tenantId, method: request.method, path: vendorPath(vendor, request) })
    return fired !== undefined && await apply(fired, vendor, request, reply)
  }

  /** Fires the X-Mock-Fault header and the pre-authentication rules; true when one answered. */
  async function preAuthFaults (request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const vendor = vendorOf(vendors, request)
    if (vendor === undefined) return false
    const header = request.headers['x-mock-fault']
    if (typeof header === 'string') {
      const action = parseFaultHeader(header)
      if (typeof action === 'string') {
        vendor.sendFault(request, reply, 400, undefined, `invalid X-Mock-Fault header: ${action}`)
        return true
      }
      if (await apply({ id: undefined, action, delayMs: typeof action.delayMs === 'number' ? action.delayMs : 0 }, vendor, request, reply)) return true
    }
    const fired = faults.fire({ vendor: vendor.name, method: request.method, path: vendorPath(vendor, request) })
    return fired !== undefined && await apply(fired, vendor, request, reply)
  }

  // preHandler runs after the vendor's own onRequest hooks (correlation ids) and body parsing.
  // Callback style with a synchronous fast path: no fault rules and no header cost nothing.
  app.addHook('preHandler', (request, reply, done) => {
    if (request.headers['x-mock-fault'] === undefined && faults.size === 0) {
      done()
      return
    }
    preAuthFaults(request, reply).then((answered) => { if (!answered) done() }, done)
  })

  app.addHook('onResponse', (request, reply, done) => {
    if (journal.size > 0) {
      const vendor = vendorOf(vendors, request)
      if (vendor !== undefined) record(request, vendor, reply.statusCode, reply.elapsedTime)
    }
    done()
  })
}, { name: 'control-plane', dependencies: ['mock-context'] })
