/**
 * The admin API under /__admin: tenants (list, create from fixture JSON, read, delete; add,
 * patch, replace and remove users), reset, the request journal, fault rules and the mock clock.
 * Every call that changes state builds a Change for core/changes.ts. Test control lives
 * here and never under a vendor prefix (WireMock's /__admin, LocalStack's /_aws). When
 * ADMIN_TOKEN is set every call needs `Authorization: Bearer <token>`.
 */
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { CLOCK_MAX_MS } from './clock.js'
import { hmac, sameBytes } from './encoding.js'
import {
  AdminRouteNotFound, AdminUnauthorized, InvalidClock, InvalidFault, InvalidQuery, NoLocalCa, sendMockError, TenantNotFound, TlsDisabled
} from './errors.js'
import { FaultRuleSchema, faultRuleProblem } from './faults.js'
import type { Tenant } from './tenants.js'
import { PACKAGE_VERSION } from './package-info.js'
import type { Json } from './changes.js'
import type { VendorModule } from './vendor.js'
import {
  AddedSchema, AddUsersBody, ClockBody, ClockSchema, CreateTenantBody, ErrorSchema, FaultListSchema, FaultParams, FaultSchema, HealthSchema,
  JournalListSchema, JournalQuery, NoContent, ReplacedSchema, TenantListSchema, TenantParams, TenantSchema, UpdatedSchema, UserBody, UserParams
} from './admin-schemas.js'

export function healthOf (app: FastifyInstance) {
  const { store, startedAt, log } = app.mock
  const state = log?.health()
  return {
    status: state === undefined || state.connected ? 'ok' as const : 'degraded' as const,
    version: PACKAGE_VERSION,
    uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
    tenants: Object.fromEntries(store.vendors.map((v) => [v, store.list(v).length])),
    ...(state === undefined ? {} : { state })
  }
}

export function adminPlugin (vendors: readonly VendorModule[]) {
  return async function admin (fastify: FastifyInstance): Promise<void> {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    const { store, clock, faults, journal, config, changes } = app.mock
    const vendorNames = vendors.map((v) => v.name)

    if (config.adminToken !== undefined) {
      const expected = hmac(config.adminToken, 'admin')
      app.addHook('onRequest', async (request) => {
        const m = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')
        if (m === null || !sameBytes(hmac(m[1] as string, 'admin'), expected)) throw new AdminUnauthorized()
      })
    }

    app.setErrorHandler(sendMockError)
    app.setNotFoundHandler(async (request) => {
      throw new AdminRouteNotFound(request.method, request.url.split('?')[0])
    })

    const tenantOr404 = (vendor: string, id: string): Tenant => {
      const tenant = store.get(vendor, id)
      if (tenant === undefined) throw new TenantNotFound(vendor, id)
      return tenant
    }
    const view = (t: Tenant) => ({ vendor: t.vendor, id: t.id, name: t.name, source: t.source, ...store.describe(t) })

    const health = { schema: { summary: 'Liveness and tenant counts', response: { 200: HealthSchema } } }
    app.get('/health', health, async () => healthOf(app))

    app.get('/tenants', {
      schema: { summary: 'Every tenant with its credentials (a sandbox: nothing here is secret)', response: { 200: TenantListSchema } }
    }, async () => ({ tenants: store.vendors.flatMap((v) => store.list(v)).map(view) }))

    app.post('/tenants', {
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        summary: 'Create a tenant at run time from the content of one fixture file',
        description: 'Validated by the same JSON Schema as fixture files; 400 names the JSON path of each problem, 409 when the tenant id or a vendor key (company id, account URL) is taken, 422 beyond the user budget (MAX_USERS).',
        body: CreateTenantBody,
        response: { 201: TenantSchema, 400: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema }
      }
    }, async (request, reply) => {
      const fixture = request.body as { [key: string]: Json }
      const tenant = await changes.submit({ kind: 'tenant.created', at: changes.now(), fixture })
      return await reply.code(201).send(view(tenant))
    })

    app.get('/tenants/:vendor/:id', {
      schema: { summary: 'One tenant with its credentials', params: TenantParams, response: { 200: TenantSchema, 404: ErrorSchema } }
    }, async (request) => view(tenantOr404(request.params.vendor, request.params.id)))

    app.delete('/tenants/:vendor/:id', {
      schema: { summary: 'Delete a tenant; its tokens stop working', params: TenantParams, response: { 204: NoContent, 404: ErrorSchema } }
    }, async (request, reply) => {
      const { vendor, id } = request.params
      await changes.submit({ kind: 'tenant.deleted', at: changes.now(), vendor, tenant: id })
      return await reply.code(204).send(null)
    })

    app.post('/tenants/:vendor/:id/users', {
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        summary: 'Add hand-written users (fixture format) to a tenant',
        description: 'All or nothing: one bad user refuses the whole request. 422 beyond the user budget (MAX_USERS).',
        params: TenantParams,
        body: AddUsersBody,
        response: { 201: AddedSchema, 400: ErrorSchema, 404: ErrorSchema, 422: ErrorSchema }
      }
    }, async (request, reply) => {
      const { vendor, id } = request.params
      const users = request.body.users
      const added = await changes.submit({ kind: 'users.added', at: changes.now(), vendor, tenant: id, users: users as Json[] })
      return await reply.code(201).send({ added })
    })

    app.patch('/tenants/:vendor/:id/users/:userId', {
      schema: {
        summary: 'Change one user (e.g. deactivate, end employment, move department)',
        params: UserParams,
        body: UserBody,
        response: { 200: UpdatedSchema, 400: ErrorSchema, 404: ErrorSchema }
      }
    }, async (request) => {
      const { vendor, id, userId } = request.params
      await changes.submit({ kind: 'user.patched', at: changes.now(), vendor, tenant: id, userId, patch: request.body as { [key: string]: Json } })
      return { updated: userId }
    })

    app.put('/tenants/:vendor/:id/users/:userId', {
      schema: {
        summary: 'Replace one user with a whole hand-written user (fixture format, same id)',
        params: UserParams,
        body: UserBody,
        response: { 200: ReplacedSchema, 400: ErrorSchema, 404: ErrorSchema }
      }
    }, async (request) => {
      const { vendor, id, userId } = request.params
      await changes.submit({ kind: 'user.replaced', at: changes.now(), vendor, tenant: id, userId, user: request.body as { [key: string]: Json } })
      return { replaced: userId }
    })

    app.delete('/tenants/:vendor/:id/users/:userId', {
      schema: {
        summary: 'Remove one user',
        description: 'The user is gone from every read of the vendor\'s APIs (a change on the one change path).',
        params: UserParams,
        response: { 204: NoContent, 400: ErrorSchema, 404: ErrorSchema }
      }
    }, async (request, reply) => {
      const { vendor, id, userId } = request.params
      await changes.submit({ kind: 'user.removed', at: changes.now(), vendor, tenant: id, userId })
      return await reply.code(204).send(null)
    })

    app.post('/reset', {
      schema: { summary: 'Back to the fixture files: run-time tenants and changes dropped, tokens revoked, journal, faults and clock reset', response: { 204: NoContent } }
    }, async (_request, reply) => {
      await changes.submit({ kind: 'reset', at: changes.now() })
      return await reply.code(204).send(null)
    })

    app.get('/requests', {
      schema: { summary: 'The request journal, newest first (credentials redacted)', querystring: JournalQuery, response: { 200: JournalListSchema, 400: ErrorSchema } }
    }, async (request) => {
      const q = request.query
      const since = q.since === undefined ? undefined : Date.parse(q.since)
      if (since !== undefined && Number.isNaN(since)) throw new InvalidQuery('since must be an ISO-8601 date-time')
      const filter = { ...q, since }
      return { requests: app.mock.log !== null ? await app.mock.log.requests(filter) : journal.list(filter) }
    })
    app.delete('/requests', { schema: { summary: 'Clear the request journal', response: { 204: NoContent } } }, async (_request, reply) => {
      journal.clear()
      await app.mock.log?.clearJournal()
      return await reply.code(204).send(null)
    })

    app.post('/faults', {
      schema: { summary: 'Add a fault rule', body: FaultRuleSchema, response: { 201: FaultSchema, 400: ErrorSchema } }
    }, async (request, reply) => {
      const input = request.body
      const problem = faultRuleProblem(input)
      if (problem !== undefined) throw new InvalidFault(problem)
      if (input.match?.vendor !== undefined && !vendorNames.includes(input.match.vendor)) throw new InvalidFault(`match.vendor must be one of ${vendorNames.join(', ')}`)
      const { rule, seed } = faults.prepare(input)
      await changes.submit({ kind: 'fault.added', at: changes.now(), rule, seed })
      return await reply.code(201).send(rule)
    })
    app.get('/faults', { schema: { summary: 'The fault rules in force', response: { 200: FaultListSchema } } }, async () => ({ faults: faults.list() }))
    app.delete('/faults', { schema: { summary: 'Remove every fault rule', response: { 204: NoContent } } }, async (_request, reply) => {
      await changes.submit({ kind: 'faults.cleared', at: changes.now() })
      return await reply.code(204).send(null)
    })
    app.delete('/faults/:id', { schema: { summary: 'Remove one fault rule', params: FaultParams, response: { 204: NoContent, 404: ErrorSchema } } }, async (request, reply) => {
      await changes.submit({ kind: 'fault.removed', at: changes.now(), id: request.params.id })
      return await reply.code(204).send(null)
    })

    app.get('/ca.pem', {
      schema: {
        summary: 'The local CA certificate the HTTPS listener\'s certificate chains to (PEM): trust it with NODE_EXTRA_CA_CERTS or the system store',
        response: { 200: { description: 'The CA certificate, PEM', content: { 'application/x-pem-file': { schema: { type: 'string' } } } }, 404: ErrorSchema }
      }
    }, async (_request, reply) => {
      const tls = app.mock.tls
      if (tls === null) throw new TlsDisabled()
      if (tls.material.caPem === null) throw new NoLocalCa()
      return await reply.type('application/x-pem-file').header('content-disposition', 'inline; filename="users-api-mock-ca.pem"').send(tls.material.caPem)
    })

    const clockView = () => ({
      now: new Date(clock.now()).toISOString(),
      epochMs: clock.now(),
      startedAt: new Date(clock.startedAt).toISOString(),
      offsetSeconds: Math.round((clock.now() - Date.now()) / 1000)
    })
    app.get('/clock', { schema: { summary: 'The mock clock', response: { 200: ClockSchema } } }, async () => clockView())
    app.post('/clock', {
      schema: { summary: 'Move the mock clock: {"advanceSeconds": n} or {"now": "ISO"}', body: ClockBody, response: { 200: ClockSchema, 400: ErrorSchema } }
    }, async (request) => {
      const body = request.body
      if ((body.advanceSeconds === undefined) === (body.now === undefined)) throw new InvalidClock('give exactly one of them')
      let target: number
      if (body.advanceSeconds !== undefined) {
        target = clock.now() + body.advanceSeconds * 1000
      } else {
        target = Date.parse(body.now as string)
        if (Number.isNaN(target) || !/^\d{4}-\d{2}-\d{2}T/.test(body.now as string)) throw new InvalidClock(`"${body.now}" is not an ISO-8601 date-time`)
      }
      // Dates, JWT NumericDates and journal times must stay printable: 1970 to the end of 9999.
      if (!(target >= 0 && target <= CLOCK_MAX_MS)) throw new InvalidClock(`the clock must stay between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z, this move would reach ${Number.isFinite(target) && Math.abs(target) <= 8.64e15 ? new Date(target).toISOString() : 'beyond any date'}`)
      const offsetMs = body.advanceSeconds !== undefined ? clock.offsetMs + body.advanceSeconds * 1000 : target - Date.now()
      await changes.submit({ kind: 'clock.moved', at: changes.now(), offsetMs })
      return clockView()
    })
  }
}
