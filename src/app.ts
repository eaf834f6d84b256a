/**
 * buildMockServer(options): the pure factory. It loads the tenants, wires the shared core and
 * registers each vendor module at its mount, and returns the Fastify app without listening, so
 * tests can `inject` or `listen({ port: 0 })`. server.ts is the only process entry.
 */
import { hostname } from 'node:os'
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify'
import { ConfigError, resolveConfig, type MockConfig, type MockOptions } from './config.js'
import { Changes } from './core/changes.js'
import { MockClock } from './core/clock.js'
import { mockContextPlugin } from './core/context.js'
import { CursorCodec } from './core/cursor.js'
import { adminPlugin, healthOf } from './core/admin.js'
import { MalformedUrl, RouteNotFound, sendMockError } from './core/errors.js'
import { createClientErrorHandler, MAX_HEADER_BYTES } from './core/client-errors.js'
import { vendorScope } from './core/control.js'
import { FaultEngine } from './core/faults.js'
import { lazyCompilersFactory } from './core/lazy-schemas.js'
import { Journal } from './core/journal.js'
import { batchedStdout } from './core/log-stream.js'
import { PageCache } from './core/page-cache.js'
import { SERVER_ID, SHIPPED_FIXTURES_DIR } from './core/package-info.js'
import { createUrlRewriter, vendorFor } from './core/routing.js'
import { RedisChangeLog } from './core/state.js'
import { TenantStore } from './core/tenants.js'
import { certificateNames, defaultStateDir, localCertificates, suppliedCertificate, TlsListener, type TlsMaterial } from './core/tls.js'
import type { VendorModule } from './core/vendor.js'
import { apiDocuments, registerApiDocs, registerOpenApiCollector } from './sandbox/openapi.js'
import { registerSandboxPage } from './sandbox/page.js'
import { concurVendor } from './vendors/concur/index.js'
import { ispringVendor } from './vendors/ispring/index.js'

/** Every emulated vendor; adding one is a folder under vendors/ and a line here. */
export const VENDORS: readonly VendorModule[] = [concurVendor, ispringVendor]

export type MockServer = FastifyInstance

/** The HTTPS listener's certificate: the one given, or the local CA's (made on first use). */
async function tlsMaterial (config: MockConfig): Promise<TlsMaterial> {
  try {
    if (config.tlsCert !== undefined && config.tlsKey !== undefined) return suppliedCertificate(config.tlsCert, config.tlsKey)
    return await localCertificates(config.stateDir ?? defaultStateDir(), certificateNames(VENDORS.flatMap((v) => v.tlsNames)))
  } catch (err) {
    throw new ConfigError(`cannot set up TLS: ${(err as Error).message}`)
  }
}

export async function buildMockServer (options: MockOptions = {}): Promise<MockServer> {
  // In-process use is quiet unless asked; the CLI passes its own level (default "info").
  const config = resolveConfig({ logLevel: 'silent', ...options })
  const clock = new MockClock()
  const store = new TenantStore(VENDORS.map((v) => v.tenantKind), clock)
  const dirs = [
    ...(config.shippedFixtures ? [SHIPPED_FIXTURES_DIR] : []),
    ...(config.fixturesDir !== undefined ? [config.fixturesDir] : [])
  ]
  store.loadDirectories(dirs)
  const tls = config.tls ? await tlsMaterial(config) : undefined

  const logStream = config.logLevel === 'silent' ? undefined : batchedStdout()
  // Node server options shared by the HTTP and HTTPS listeners.
  const serverOptions = {
    maxHeaderSize: MAX_HEADER_BYTES,
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.requestTimeoutMs / 4)))
  }
  const clientErrorHandler = createClientErrorHandler(VENDORS, clock)
  const app = Fastify({
    // Log lines go to stdout in batches (core/log-stream.ts): not one syscall per request.
    logger: logStream === undefined ? false : { level: config.logLevel, stream: logStream },
    logController: new LogController({ disableRequestLogging: true }),
    rewriteUrl: createUrlRewriter(VENDORS),
    forceCloseConnections: 'idle',
    // Slow or oversized requests: the whole request must arrive within requestTimeoutMs (checked
    // often enough to keep that bound), the request line and headers fit in MAX_HEADER_BYTES, and
    // what the HTTP parser refuses is answered in the owning vendor's shape (client-errors.ts).
    requestTimeout: config.requestTimeoutMs,
    http: serverOptions,
    clientErrorHandler,
    // Strict admin bodies: unknown properties are refused, not silently removed.
    ajv: { customOptions: { removeAdditional: false } },
    schemaController: { compilersFactory: lazyCompilersFactory() },
    // A URL that cannot be decoded never reaches a route: answer in the owning vendor's shape.
    frameworkErrors: (_error, request, reply) => {
      const owner = vendorFor(VENDORS, request.headers.host, request.url)
      if (owner !== undefined) return owner.vendor.sendFault(request, reply, { status: 400, message: 'malformed URL' })
      return sendMockError(new MalformedUrl(), request, reply as FastifyReply)
    }
  })

  const journal = new Journal(config.journalSize)
  const faults = new FaultEngine(config.seed)
  const pages = new PageCache(config.pageCacheMb * 1024 * 1024)
  const changes = new Changes({ store, clock, faults, journal, pages, maxUsers: config.maxUsers, onListenerError: (err) => { app.log.error({ err }, 'a change subscriber failed') } })
  const log = config.stateUrl === undefined
    ? null
    : new RedisChangeLog({
      url: config.stateUrl,
      key: 'users-api-mock:changes',
      replica: config.replicaId ?? `${hostname()}-${process.pid}`,
      journalSize: config.journalSize,
      applier: changes,
      onError: (err) => { app.log.warn({ err }, 'shared state (Redis)') }
    })
  await app.register(mockContextPlugin, {
    config,
    clock,
    store,
    changes,
    log,
    cursors: new CursorCodec(config.secret),
    journal,
    faults,
    pages,
    tls: tls === undefined
      ? null
      : new TlsListener({
        material: tls,
        serverOptions: { ...serverOptions, keepAliveTimeout: 72_000 },
        onClientError: clientErrorHandler,
        ready: () => app.ready(),
        handler: (req, res) => { app.routing(req, res) }
      }),
    startedAt: Date.now()
  })
  await registerOpenApiCollector(app)

  // On close, in-flight answers end their keep-alive connection, or close() would wait for it.
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onClose', async () => {
    await log?.close()
    await app.mock.tls?.close()
    logStream?.end()
  })
  // Per-request hooks are callback-style: no promise per request on the hot path.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('x-mock-server', SERVER_ID)
    done()
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ method: request.method, url: request.raw.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request')
    done()
  })

  app.get('/health', { schema: { hide: true } }, async () => healthOf(app))
  await app.register(adminPlugin(VENDORS), { prefix: '/__admin' })

  for (const vendor of VENDORS) {
    await app.register(vendorScope(vendor), { prefix: vendor.mount })
  }
  const documents = apiDocuments(VENDORS)
  await registerApiDocs(app, documents)
  registerSandboxPage(app, VENDORS, documents)

  app.setNotFoundHandler(async (request) => {
    throw new RouteNotFound(request.method, request.url.split('?')[0], VENDORS.map((v) => v.mount).join(' and '))
  })
  app.setErrorHandler(sendMockError)

  if (log !== null) {
    // Ready only once the fleet's changes so far are applied here: a restarted replica loses nothing.
    await log.start()
    changes.useLog(log)
  }
  return app
}
