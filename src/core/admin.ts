/**
 * The admin API under /__admin: tenants (list, create from fixture JSON, read, delete, add and
 * change users), reset, the request journal, fault rules and the mock clock. Test control lives
 * here and never under a vendor prefix (WireMock's /__admin, LocalStack's /_aws). When
 * ADMIN_TOKEN is set every call needs `Authorization: Bearer <token>`.
 */
import { STATUS_CODES } from 'node:http'
import createError from '@fastify/error'
import type { FastifyError, FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { hmac, sameBytes } from './encoding.js'
import { FaultRuleSchema, faultRuleProblem, type FaultRuleInput } from './faults.js'
import { FixtureError, FixtureProblem, jsonPath, schemaMessage, TenantConflictError, type Tenant, type TenantKind } from './tenants.js'
import { PACKAGE_VERSION } from './package-info.js'
import type { VendorModule } from './vendor.js'

export const AdminUnauthorized = createError('MOCK_ADMIN_UNAUTHORIZED', 'Authorization: Bearer <ADMIN_TOKEN> is required for the admin API', 401)
export const TenantNotFound = createError('MOCK_TENANT_NOT_FOUND', 'No %s tenant "%s". GET /__admin/tenants lists them.', 404)
export const UserNotFound = createError('MOCK_USER_NOT_FOUND', 'No user "%s" in %s tenant "%s"', 404)
export const InvalidFixture = createError('MOCK_INVALID_FIXTURE', '%s', 400)
export const TenantConflict = createError('MOCK_TENANT_CONFLICT', '%s', 409)
export const InvalidFault = createError('MOCK_INVALID_FAULT', 'Invalid fault rule: %s', 400)
export const FaultNotFound = createError('MOCK_FAULT_NOT_FOUND', 'No fault rule "%s"', 404)
export const InvalidClock = createError('MOCK_INVALID_CLOCK', 'Send {"advanceSeconds": <number>} or {"now": "<ISO-8601 date-time>"}: %s', 400)

const ErrorSchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
  issues: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() })))
})
const HealthSchema = Type.Object({
  status: Type.Literal('ok'),
  version: Type.String(),
  uptimeSeconds: Type.Integer(),
  tenants: Type.Record(Type.String(), Type.Integer())
})
const TenantSchema = Type.Object({
  vendor: Type.String(),
  id: Type.String(),
  name: Type.String(),
  source: Type.String(),
  userCount: Type.Integer(),
  credentials: Type.Record(Type.String(), Type.Unknown())
}, { additionalProperties: true })
const TenantParams = Type.Object({ vendor: Type.String(), id: Type.String() })
const ClockSchema = Type.Object({ now: Type.String(), epochMs: Type.Number(), startedAt: Type.String(), offsetSeconds: Type.Number() })
/** The latest mock time the admin API accepts: 9999-12-31T23:59:59.999Z. */
const CLOCK_MAX_MS = 253_402_300_799_999
const ClockBody = Type.Object({
  advanceSeconds: Type.Optional(Type.Number()),
  now: Type.Optional(Type.String())
}, { additionalProperties: false })
const JournalQuery = Type.Object({
  vendor: Type.Optional(Type.String()),
  tenant: Type.Optional(Type.String()),
  method: Type.Optional(Type.String()),
  path: Type.Optional(Type.String()),
  status: Type.Optional(Type.Integer({ minimum: 0, maximum: 599 })),
  limit: Type.Optional(Type.Integer({ minimum: 1 })),
  since: Type.Optional(Type.String({ description: 'ISO-8601: only entries at or after this time' }))
}, { additionalProperties: false })

export function healthOf (app: FastifyInstance) {
  const { store, startedAt } = app.mock
  return {
    status: 'ok' as const,
    version: PACKAGE_VERSION,
    uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
    tenants: Object.fromEntries(store.vendors.map((v) => [v, store.list(v).length]))
  }
}

export function adminPlugin (vendors: readonly VendorModule[]) {
  return async function admin (app: FastifyInstance): Promise<void> {
    const { store, clock, journal, faults, config } = app.mock
    const kinds = new Map<string, TenantKind>(vendors.map((v) => [v.name, v.tenantKind]))
    const userChecks = new Map(vendors.map((v) => [v.name, Compile(v.tenantKind.userSchema)]))

    if (config.adminToken !== undefined) {
      const expected = hmac(config.adminToken, 'admin')
      app.addHook('onRequest', async (request) => {
        const m = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')
        if (m === null || !sameBytes(hmac(m[1] as string, 'admin'), expected)) throw new AdminUnauthorized()
      })
    }

    app.setErrorHandler(async (error: FastifyError, request, reply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500
      if (status >= 500) request.log.error({ err: error }, 'admin API error')
      const body: Record<string, unknown> = {
        statusCode: status,
        code: error.code ?? 'MOCK_ERROR',
        error: STATUS_CODES[status] ?? 'Error',
        message: status >= 500 ? 'Internal Server Error' : error.message
      }
      const issues = (error as { issues?: unknown }).issues
      if (issues !== undefined) body.issues = issues
      return await reply.code(status).send(body)
    })
    app.setNotFoundHandler(async (request) => {
      throw Object.assign(new Error(`No admin route ${request.method} ${request.url.split('?')[0]}; see /openapi/admin.json`), { statusCode: 404, code: 'MOCK_ADMIN_NOT_FOUND' })
    })

    const tenantOr404 = (vendor: string, id: string): Tenant => {
      const tenant = store.get(vendor, id)
      if (tenant === undefined) throw new TenantNotFound(vendor, id)
      return tenant
    }
    const view = (t: Tenant) => ({ vendor: t.vendor, id: t.id, name: t.name, source: t.source, ...store.describe(t) })
    const fixtureFailure = (err: FixtureError) => Object.assign(new InvalidFixture(err.issues.map((i) => `${i.path}: ${i.message}`).join('; ')), {
      issues: err.issues.map((i) => ({ path: i.path, message: i.message }))
    })

    const health = { schema: { summary: 'Liveness and tenant counts', response: { 200: HealthSchema } } }
    app.get('/health', health, async () => healthOf(app))

    app.get('/tenants', {
      schema: { summary: 'Every tenant with its credentials (a sandbox: nothing here is secret)', response: { 200: Type.Object({ tenants: Type.Array(TenantSchema) }) } }
    }, async () => ({ tenants: store.vendors.flatMap((v) => store.list(v)).map(view) }))

    app.post('/tenants', {
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        summary: 'Create a tenant at run time from the content of one fixture file',
        description: 'Validated by the same JSON Schema as fixture files; 400 names the JSON path of each problem, 409 when the tenant id or a vendor key (company id, account URL) is taken.',
        body: Type.Object({ vendor: Type.String(), id: Type.String() }, { additionalProperties: true }),
        response: { 201: TenantSchema, 400: ErrorSchema, 409: ErrorSchema }
      }
    }, async (request, reply) => {
      let tenant: Tenant
      try {
        tenant = store.build(request.body, 'runtime')
        store.add(tenant)
      } catch (err) {
        if (err instanceof FixtureError) throw fixtureFailure(err)
        if (err instanceof TenantConflictError) throw new TenantConflict(err.message)
        throw err
      }
      return await reply.code(201).send(view(tenant))
    })

    app.get('/tenants/:vendor/:id', {
      schema: { summary: 'One tenant with its credentials', params: TenantParams, response: { 200: TenantSchema, 404: ErrorSchema } }
    }, async (request) => {
      const { vendor, id } = request.params as { vendor: string, id: string }
      return view(tenantOr404(vendor, id))
    })

    app.delete('/tenants/:vendor/:id', {
      schema: { summary: 'Delete a tenant; its tokens stop working', params: TenantParams, response: { 204: Type.Null(), 404: ErrorSchema } }
    }, async (request, reply) => {
      const { vendor, id } = request.params as { vendor: string, id: string }
      tenantOr404(vendor, id)
      store.remove(vendor, id)
      return await reply.code(204).send()
    })

    app.post('/tenants/:vendor/:id/users', {
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        summary: 'Add hand-written users (fixture format) to a tenant',
        params: TenantParams,
        body: Type.Object({ users: Type.Array(Type.Unknown(), { minItems: 1 }) }, { additionalProperties: false }),
        response: { 201: Type.Object({ added: Type.Array(Type.String()) }), 400: ErrorSchema, 404: ErrorSchema }
      }
    }, async (request, reply) => {
      const { vendor, id } = request.params as { vendor: string, id: string }
      const tenant = tenantOr404(vendor, id)
      const users = (request.body as { users: unknown[] }).users
      const check = userChecks.get(vendor)
      const kind = kinds.get(vendor)
      if (check === undefined || kind === undefined) throw new TenantNotFound(vendor, id)
      const issues = users.flatMap((u, i) => [...check.Errors(u)].slice(0, 1).map((e) => ({
        source: 'request',
        path: jsonPath(['users', i, ...e.instancePath.split('/').slice(1)]),
        message: schemaMessage(e)
      })))
      if (issues.length > 0) throw fixtureFailure(new FixtureError(issues))
      try {
        const added = kind.addUsers(tenant.data, users, { clock, source: 'runtime' })
        return await reply.code(201).send({ added })
      } catch (err) {
        if (err instanceof FixtureProblem) throw fixtureFailure(new FixtureError([{ source: 'request', path: jsonPath(['users', ...err.path]), message: err.message }]))
        throw err
      }
    })

    app.patch('/tenants/:vendor/:id/users/:userId', {
      schema: {
        summary: 'Change one user (e.g. deactivate, end employment, move department)',
        params: Type.Object({ vendor: Type.String(), id: Type.String(), userId: Type.String() }),
        body: Type.Record(Type.String(), Type.Unknown()),
        response: { 200: Type.Object({ updated: Type.String() }), 400: ErrorSchema, 404: ErrorSchema }
      }
    }, async (request) => {
      const { vendor, id, userId } = request.params as { vendor: string, id: string, userId: string }
      const tenant = tenantOr404(vendor, id)
      const kind = kinds.get(vendor) as TenantKind
      let found: boolean
      try {
        found = kind.patchUser(tenant.data, userId, request.body as Record<string, unknown>, { clock, source: 'runtime' })
      } catch (err) {
        if (err instanceof FixtureProblem) throw fixtureFailure(new FixtureError([{ source: 'request', path: jsonPath(err.path), message: err.message }]))
        throw err
      }
      if (!found) throw new UserNotFound(userId, vendor, id)
      return { updated: userId }
    })

    app.post('/reset', {
      schema: { summary: 'Back to the fixture files: run-time tenants and changes dropped, tokens revoked, journal, faults and clock reset' }
    }, async (_request, reply) => {
      store.reset()
      app.mock.pages.clear()
      journal.clear()
      faults.clear()
      clock.reset()
      return await reply.code(204).send()
    })

    app.get('/requests', {
      schema: { summary: 'The request journal, newest first (credentials redacted)', querystring: JournalQuery }
    }, async (request) => {
      const q = request.query as { vendor?: string, tenant?: string, method?: string, path?: string, status?: number, limit?: number, since?: string }
      const since = q.since === undefined ? undefined : Date.parse(q.since)
      if (since !== undefined && Number.isNaN(since)) throw Object.assign(new Error('since must be an ISO-8601 date-time'), { statusCode: 400, code: 'MOCK_INVALID_QUERY' })
      return { requests: journal.list({ ...q, since }) }
    })
    app.delete('/requests', { schema: { summary: 'Clear the request journal' } }, async (_request, reply) => {
      journal.clear()
      return await reply.code(204).send()
    })

    app.post('/faults', {
      schema: { summary: 'Add a fault rule', body: FaultRuleSchema, response: { 201: Type.Object({ id: Type.String() }, { additionalProperties: true }), 400: ErrorSchema } }
    }, async (request, reply) => {
      const input = request.body as FaultRuleInput
      const problem = faultRuleProblem(input)
      if (problem !== undefined) throw new InvalidFault(problem)
      if (input.match?.vendor !== undefined && !kinds.has(input.match.vendor)) throw new InvalidFault(`match.vendor must be one of ${[...kinds.keys()].join(', ')}`)
      return await reply.code(201).send(faults.add(input))
    })
    app.get('/faults', { schema: { summary: 'The fault rules in force' } }, async () => ({ faults: faults.list() }))
    app.delete('/faults', { schema: { summary: 'Remove every fault rule' } }, async (_request, reply) => {
      faults.clear()
      return await reply.code(204).send()
    })
    app.delete('/faults/:id', { schema: { summary: 'Remove one fault rule', params: Type.Object({ id: Type.String() }) } }, async (request, reply) => {
      const { id } = request.params as { id: string }
      if (!faults.remove(id)) throw new FaultNotFound(id)
      return await reply.code(204).send()
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
      const body = request.body as { advanceSeconds?: number, now?: string }
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
      if (body.advanceSeconds !== undefined) clock.advance(body.advanceSeconds)
      else clock.set(target)
      return clockView()
    })
  }
}
