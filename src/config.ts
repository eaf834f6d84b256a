/**
 * The mock's options: one TypeBox schema with the defaults, validated once at boot. The CLI
 * (server.ts) maps flags and environment variables onto it; library users pass the same object
 * to buildMockServer().
 */
import { Type, type Static } from 'typebox'
import { Compile } from 'typebox/compile'
import { Value } from 'typebox/value'

/** The default page-token secret: fine for one process, refused for a fleet. */
export const DEVELOPMENT_SECRET = 'users-api-mock-development-secret'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export const MockOptionsSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'TCP port to listen on (0: any free port)' }),
  host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Interface to listen on (0.0.0.0 in containers)' }),
  publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^/?#]+(/[^?#]*)?$', description: 'Externally visible base URL, e.g. https://mock.example.test (used in Concur geolocation and the sandbox page)' })),
  fixturesDir: Type.Optional(Type.String({ minLength: 1, description: 'Extra directory of tenant fixture files, loaded after the shipped ones' })),
  shippedFixtures: Type.Boolean({ default: true, description: 'Load the demo tenants shipped in fixtures/' }),
  logLevel: Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')], { default: 'info', description: 'pino log level' }),
  adminToken: Type.Optional(Type.String({ minLength: 1, description: 'When set, every /__admin call needs Authorization: Bearer <token>' })),
  journalSize: Type.Integer({ minimum: 0, maximum: 100_000, default: 1000, description: 'Request journal entries kept (0 disables the journal)' }),
  pageCacheMb: Type.Integer({ minimum: 0, maximum: 4096, default: 16, description: 'Memory budget in MiB for whole list pages kept for repeated requests (0 disables the page cache)' }),
  maxUsers: Type.Integer({ minimum: 0, default: 2_000_000, description: 'User budget: most users all tenants together may hold (about 500 bytes each); creating a tenant or adding users beyond it is refused with 422. Fixture files count but are never refused. Raise it together with Node\'s heap (--max-old-space-size).' }),
  seed: Type.Integer({ default: 0, description: 'Base seed for fault rules that give no seed of their own' }),
  requestTimeoutMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000, description: 'A request (line, headers and body) must arrive within this many ms, or it is answered 408 and its connection closed (slowloris guard)' }),
  tls: Type.Boolean({ default: false, description: 'Also serve HTTPS (on tlsPort) with a certificate from a local CA kept in stateDir, or the one given by tlsCert/tlsKey' }),
  tlsPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8443, description: 'HTTPS port when tls is on (0: any free port)' }),
  tlsCert: Type.Optional(Type.String({ minLength: 1, description: 'PEM certificate (chain) file to serve instead of the local CA\'s; needs tlsKey and implies tls' })),
  tlsKey: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key file for tlsCert' })),
  stateDir: Type.Optional(Type.String({ minLength: 1, description: 'Directory for state that survives restarts (the local CA); default ~/.local/state/users-api-mock' })),
  stateUrl: Type.Optional(Type.String({ pattern: '^rediss?://', description: 'Redis URL (redis://host:6379/0): replicas share state through a Redis Stream of changes; unset, state stays in this process' })),
  replicaId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'This replica\'s name in the shared journal and on the Redis connections (default host name and process id)' })),
  secret: Type.String({ minLength: 8, default: DEVELOPMENT_SECRET, description: 'Secret for HMAC-signed page tokens; replicas that share it accept each other\'s page tokens' })
}, { additionalProperties: false })

export type MockConfig = Static<typeof MockOptionsSchema>
/** What buildMockServer() accepts: every option may be left out. */
export type MockOptions = Partial<MockConfig>

const check = Compile(MockOptionsSchema)

export class ConfigError extends Error {}

/** Fills in defaults and validates; throws ConfigError naming the first bad option. */
export function resolveConfig (options: MockOptions = {}): MockConfig {
  const withDefaults = Value.Default(MockOptionsSchema, structuredClone(options)) as MockConfig
  const [error] = check.Errors(withDefaults)
  if (error !== undefined) {
    const name = error.instancePath.slice(1) || (error.params as { additionalProperties?: string[] }).additionalProperties?.[0] || 'options'
    throw new ConfigError(`invalid option ${name}: ${error.message}`)
  }
  if ((withDefaults.tlsCert === undefined) !== (withDefaults.tlsKey === undefined)) {
    throw new ConfigError('invalid option tlsCert/tlsKey: give both the certificate and its key, or neither (the local CA then makes one)')
  }
  if (withDefaults.tlsCert !== undefined) withDefaults.tls = true
  if (withDefaults.stateUrl !== undefined && withDefaults.secret === DEVELOPMENT_SECRET) {
    throw new ConfigError('invalid option secret: replicas sharing state (stateUrl) must share a SECRET of their own, not the development default, or one could forge the others\' page tokens')
  }
  return withDefaults
}
