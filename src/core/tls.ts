/**
 * The HTTPS listener: the same app served over TLS next to plain HTTP, so client code that
 * hard-codes `https://us.api.concursolutions.com` or `https://<account>.ispringlearn.com` runs
 * unchanged once its DNS points at the mock and its trust store holds the mock's CA.
 *
 * On first use a local certificate authority and a server certificate (localhost, 127.0.0.1,
 * ::1 and every vendor's host names) are written to a state directory, so the CA survives
 * restarts and only needs trusting once (replicas that share the directory share the CA); the server certificate is made again when it nears
 * expiry or the host list changes. A certificate the user brings (`tlsCert` / `tlsKey`) is used
 * as it is. Certificates come from `selfsigned` (on @peculiar/x509), not hand-built ASN.1.
 */
import { randomBytes, X509Certificate } from 'node:crypto'
import { chmodSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { homedir } from 'node:os'
import { join } from 'node:path'

/** The key material the HTTPS listener serves with; `caPem` is null for a certificate the user brought. */
export interface TlsMaterial { cert: string, key: string, caPem: string | null }

const CA_DAYS = 3650
const SERVER_DAYS = 397
/** A server certificate this close to expiry is made again at start. */
const RENEW_MS = 30 * 86_400_000
const DAY_MS = 86_400_000
const LOCAL_NAMES = ['localhost', '127.0.0.1', '::1']

/** Where the CA lives when no state directory is configured (the XDG state location). */
export function defaultStateDir (): string {
  return join(homedir(), '.local', 'state', 'users-api-mock')
}

/** The server certificate's names: the loopback names and every vendor's host names, in a stable order. */
export function certificateNames (vendorNames: readonly string[]): string[] {
  return [...new Set([...LOCAL_NAMES, ...vendorNames])]
}

function readIfPresent (file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** Written to a temporary name and renamed: a second process starting at once never reads half a file. */
function writeAtomically (file: string, text: string, mode: number): void {
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, text, { mode })
  chmodSync(temporary, mode)
  renameSync(temporary, file)
}

const isIp = (name: string): boolean => /^[0-9.]+$/.test(name) || name.includes(':')

/** The SAN list as Node prints it, e.g. `DNS:localhost, IP Address:127.0.0.1`, for comparison. */
function sanText (names: readonly string[]): string[] {
  return names.map((n) => isIp(n) ? `IP Address:${n === '::1' ? '0:0:0:0:0:0:0:1' : n}` : `DNS:${n}`).sort()
}

function usable (certPem: string | undefined, keyPem: string | undefined, ca: X509Certificate, names: readonly string[], nowMs: number): boolean {
  if (certPem === undefined || keyPem === undefined) return false
  try {
    const cert = new X509Certificate(certPem)
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false
    if (Date.parse(cert.validTo) - nowMs < RENEW_MS) return false
    const present = (cert.subjectAltName ?? '').split(', ').sort()
    return JSON.stringify(present) === JSON.stringify(sanText(names))
  } catch {
    return false
  }
}

/** The CA's key and certificate, kept together in one file (so they are created in one step). */
function caPair (text: string | undefined): { key: string, cert: string } | undefined {
  const blocks = text?.match(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g) ?? []
  const key = blocks.find((b) => b.includes('PRIVATE KEY-----'))
  const cert = blocks.find((b) => b.startsWith('-----BEGIN CERTIFICATE-----'))
  return key === undefined || cert === undefined ? undefined : { key: `${key}\n`, cert: `${cert}\n` }
}

const EC = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const

/**
 * The local CA and a server certificate for `names`, from `stateDir` when they are there and
 * still good, made (and kept there) otherwise. Real time, not the mock clock: TLS clients check
 * validity against their own clock.
 */
export async function localCertificates (stateDir: string, names: readonly string[], nowMs = Date.now()): Promise<TlsMaterial> {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 })
  // Loaded on first use: a mock without --tls does not pay for the certificate library at start.
  const { default: selfsigned } = await import('selfsigned')
  const files = {
    ca: join(stateDir, 'ca.pem'),
    caKey: join(stateDir, 'ca-key.pem'),
    cert: join(stateDir, 'server.pem'),
    key: join(stateDir, 'server-key.pem')
  }
  let pair = caPair(readIfPresent(files.caKey))
  if (pair === undefined) {
    // A CA of its own name per state directory: clients that trust two mocks' CAs never mix them up.
    const made = await selfsigned.generate([{ name: 'commonName', value: `users-api-mock local CA ${randomBytes(4).toString('hex')}` }, { name: 'organizationName', value: 'users-api-mock' }], {
      ...EC,
      notBeforeDate: new Date(nowMs - DAY_MS),
      notAfterDate: new Date(nowMs + CA_DAYS * DAY_MS),
      extensions: [
        { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }
      ]
    })
    // Replicas sharing a state directory may start together: the first CA linked in wins, and
    // every other replica uses it (a link, unlike a rename, fails when the name exists).
    const temporary = `${files.caKey}.${process.pid}.tmp`
    writeFileSync(temporary, `${made.private.trim()}\n${made.cert.trim()}\n`, { mode: 0o600 })
    try {
      linkSync(temporary, files.caKey)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    } finally {
      unlinkSync(temporary)
    }
    pair = caPair(readIfPresent(files.caKey))
    if (pair === undefined) throw new Error(`${files.caKey} holds no CA key and certificate; remove it to make a new CA`)
  }
  const { key: caKey, cert: caPem } = pair
  if (readIfPresent(files.ca) !== caPem) writeAtomically(files.ca, caPem, 0o644)
  const ca = new X509Certificate(caPem)
  let cert = readIfPresent(files.cert)
  let key = readIfPresent(files.key)
  if (!usable(cert, key, ca, names, nowMs)) {
    const made = await selfsigned.generate([{ name: 'commonName', value: 'users-api-mock' }], {
      ...EC,
      ca: { cert: caPem, key: caKey },
      notBeforeDate: new Date(nowMs - DAY_MS),
      notAfterDate: new Date(nowMs + SERVER_DAYS * DAY_MS),
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: names.map((n) => isIp(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n }) }
      ]
    })
    cert = made.cert
    key = made.private
    writeAtomically(files.key, key, 0o600)
    writeAtomically(files.cert, cert, 0o644)
  }
  return { cert: cert as string, key: key as string, caPem }
}

/** A certificate and key the user brought, read from files; there is no local CA to hand out. */
export function suppliedCertificate (certFile: string, keyFile: string): TlsMaterial {
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), caPem: null }
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void

/**
 * The HTTPS server beside Fastify's own: it hands every request to the app's router (which
 * applies Host routing), with the same timeouts and client-error answers as the HTTP listener.
 */
export interface TlsListenerOptions {
  material: TlsMaterial
  /** Node server options shared with the HTTP listener (timeouts, header size). */
  serverOptions: ServerOptions
  /** Answers what Node's HTTP parser refused (the app's clientErrorHandler). */
  onClientError: (err: any, socket: Socket) => void
  /** Resolves once the app can route (Fastify's ready()). */
  ready: () => PromiseLike<unknown>
  handler: RequestHandler
}

export class TlsListener {
  readonly material: TlsMaterial
  #server: Server | undefined
  readonly #options: TlsListenerOptions

  constructor (options: TlsListenerOptions) {
    this.material = options.material
    this.#options = options
  }

  /** Starts listening once the app is ready; resolves with the bound address (port 0 picks a free port). */
  async listen (port: number, host: string): Promise<AddressInfo> {
    if (this.#server !== undefined) throw new Error('the HTTPS listener is already started')
    await this.#options.ready()
    const server = createServer({ ...this.#options.serverOptions, cert: this.material.cert, key: this.material.key }, this.#options.handler)
    server.on('clientError', this.#options.onClientError)
    this.#server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => {
        this.#server = undefined
        reject(err)
      })
      server.listen(port, host, () => resolve())
    })
    return server.address() as AddressInfo
  }

  /** The bound address, or null before listen() (or after close()). */
  address (): AddressInfo | null {
    return (this.#server?.address() as AddressInfo | null | undefined) ?? null
  }

  /** Stops accepting, closes idle keep-alive connections and waits for requests in flight. */
  async close (): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    this.#server = undefined
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeIdleConnections()
    })
  }
}
