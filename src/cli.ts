/**
 * Command-line and environment options → MockOptions. Flags mirror the environment variables;
 * a flag wins over its variable. Kept apart from server.ts so it can be tested without a process.
 */
import { parseArgs } from 'node:util'
import { LOG_LEVELS, type MockOptions } from './config.js'

interface OptionSpec { flag: string, env: string, key: keyof MockOptions, kind: 'string' | 'integer' | 'boolean', help: string }

export const CLI_OPTIONS: OptionSpec[] = [
  { flag: 'port', env: 'PORT', key: 'port', kind: 'integer', help: 'TCP port (default 8080; 0 picks a free one)' },
  { flag: 'host', env: 'HOST', key: 'host', kind: 'string', help: 'interface to listen on (default 127.0.0.1; 0.0.0.0 in containers)' },
  { flag: 'public-url', env: 'PUBLIC_URL', key: 'publicUrl', kind: 'string', help: 'externally visible base URL (Concur geolocation, sandbox page)' },
  { flag: 'fixtures', env: 'FIXTURES_DIR', key: 'fixturesDir', kind: 'string', help: 'extra directory of tenant files, loaded after the shipped ones' },
  { flag: 'shipped-fixtures', env: 'SHIPPED_FIXTURES', key: 'shippedFixtures', kind: 'boolean', help: 'load the shipped demo tenants (default true)' },
  { flag: 'log-level', env: 'LOG_LEVEL', key: 'logLevel', kind: 'string', help: `one of ${LOG_LEVELS.join(', ')} (default info)` },
  { flag: 'admin-token', env: 'ADMIN_TOKEN', key: 'adminToken', kind: 'string', help: 'protect /__admin with Authorization: Bearer <token> (default: open)' },
  { flag: 'journal-size', env: 'JOURNAL_SIZE', key: 'journalSize', kind: 'integer', help: 'request journal entries kept (default 1000; 0 disables)' },
  { flag: 'page-cache-mb', env: 'PAGE_CACHE_MB', key: 'pageCacheMb', kind: 'integer', help: 'MiB of list pages kept for repeated requests (default 16; 0 disables)' },
  { flag: 'max-users', env: 'MAX_USERS', key: 'maxUsers', kind: 'integer', help: 'user budget across all tenants (default 2000000, about 1 GB of heap)' },
  { flag: 'seed', env: 'SEED', key: 'seed', kind: 'integer', help: 'base seed of fault rules without a seed of their own (default 0)' },
  { flag: 'request-timeout-ms', env: 'REQUEST_TIMEOUT_MS', key: 'requestTimeoutMs', kind: 'integer', help: 'a request must arrive within this many ms, else 408 and the connection closes (default 30000)' },
  { flag: 'tls', env: 'TLS', key: 'tls', kind: 'boolean', help: 'also serve HTTPS with a local CA\'s certificate (GET /__admin/ca.pem)' },
  { flag: 'tls-port', env: 'TLS_PORT', key: 'tlsPort', kind: 'integer', help: 'HTTPS port (default 8443)' },
  { flag: 'tls-cert', env: 'TLS_CERT', key: 'tlsCert', kind: 'string', help: 'serve this PEM certificate instead (implies --tls)' },
  { flag: 'tls-key', env: 'TLS_KEY', key: 'tlsKey', kind: 'string', help: 'the PEM private key of --tls-cert' },
  { flag: 'state-dir', env: 'STATE_DIR', key: 'stateDir', kind: 'string', help: 'where the local CA is kept (default ~/.local/state/users-api-mock)' },
  { flag: 'state-url', env: 'STATE_URL', key: 'stateUrl', kind: 'string', help: 'redis://host:6379/0: replicas share state through Redis (needs --secret)' },
  { flag: 'replica-id', env: 'REPLICA_ID', key: 'replicaId', kind: 'string', help: 'this replica\'s name in the shared journal (default host-pid)' },
  { flag: 'secret', env: 'SECRET', key: 'secret', kind: 'string', help: 'HMAC secret for page tokens (a fixed development default)' }
]

export class UsageError extends Error {}

export function helpText (): string {
  const rows = CLI_OPTIONS.map((o) => `  --${o.flag}${o.kind === 'boolean' ? '[=true|false]' : ' <value>'}`.padEnd(34) + `${o.env.padEnd(18)}${o.help}`)
  return [
    'users-api-mock: SAP Concur and iSpring Learn user-directory APIs, emulated',
    '',
    'Usage: users-api-mock [options]',
    '',
    '  flag'.padEnd(34) + 'environment'.padEnd(18) + 'meaning',
    ...rows,
    '  --help'.padEnd(52) + 'show this help',
    '  --version'.padEnd(52) + 'print the version',
    ''
  ].join('\n')
}

function convert (spec: OptionSpec, raw: string, origin: string): string | number | boolean {
  if (spec.kind === 'integer') {
    if (!/^[0-9]+$/.test(raw)) throw new UsageError(`${origin} must be a whole number, got "${raw}"`)
    return Number(raw)
  }
  if (spec.kind === 'boolean') {
    if (raw === 'true' || raw === '1') return true
    if (raw === 'false' || raw === '0') return false
    throw new UsageError(`${origin} must be true or false, got "${raw}"`)
  }
  return raw
}

export type CliResult = { kind: 'run', options: MockOptions } | { kind: 'help' } | { kind: 'version' }

const BOOLEAN_FLAGS = new Set(CLI_OPTIONS.filter((o) => o.kind === 'boolean').map((o) => `--${o.flag}`))

/** A boolean flag given bare (`--tls`, not `--tls=true` or `--tls false`) means true. */
function withBareBooleans (argv: readonly string[]): string[] {
  return argv.map((arg, i) => {
    const next = argv[i + 1]
    return BOOLEAN_FLAGS.has(arg) && (next === undefined || next.startsWith('-')) ? `${arg}=true` : arg
  })
}

export function parseCli (argv: string[], env: NodeJS.ProcessEnv): CliResult {
  let parsed
  try {
    parsed = parseArgs({
      args: withBareBooleans(argv),
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        ...Object.fromEntries(CLI_OPTIONS.map((o) => [o.flag, { type: 'string' as const }]))
      }
    })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  if (parsed.values.help === true) return { kind: 'help' }
  if (parsed.values.version === true) return { kind: 'version' }
  const options: Record<string, unknown> = {}
  for (const spec of CLI_OPTIONS) {
    const flag = (parsed.values as Record<string, unknown>)[spec.flag]
    const fromEnv = env[spec.env]
    if (typeof flag === 'string') options[spec.key] = convert(spec, flag, `--${spec.flag}`)
    else if (fromEnv !== undefined && fromEnv !== '') options[spec.key] = convert(spec, fromEnv, spec.env)
  }
  return { kind: 'run', options: options as MockOptions }
}
