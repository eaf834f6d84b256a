/**
 * Host routing: a request whose Host ends in a vendor's domain (for example a docker-compose alias
 * `us.api.concursolutions.com`) is served by that vendor at root paths, so client code whose base
 * URL cannot carry a path prefix works unchanged. Implemented as Fastify's `rewriteUrl`, which
 * runs before routing; the control plane stays reachable under every Host.
 */
import type { IncomingMessage } from 'node:http'
import type { FastifyRequest } from 'fastify'

const ROUTED_MOUNT = Symbol('users-api-mock.hostRoutedMount')
const RESERVED = ['/__admin', '/health', '/docs', '/openapi']

type RoutedMessage = IncomingMessage & { [ROUTED_MOUNT]?: string }

export function hostName (hostHeader: string | undefined): string {
  if (hostHeader === undefined) return ''
  const host = hostHeader.trim().toLowerCase()
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1)
  const colon = host.indexOf(':')
  return colon === -1 ? host : host.slice(0, colon)
}

/** True when `url` is `prefix` itself or lies under it (`prefix/...` or `prefix?...`); no allocation. */
export function underPrefix (url: string, prefix: string): boolean {
  if (!url.startsWith(prefix)) return false
  const next = url.charCodeAt(prefix.length)
  return Number.isNaN(next) || next === 0x2f || next === 0x3f
}

function isReserved (url: string): boolean {
  return RESERVED.some((p) => underPrefix(url, p))
}

export function createUrlRewriter (vendors: ReadonlyArray<{ mount: string, hostSuffixes: string[] }>) {
  return function rewriteUrl (req: IncomingMessage): string {
    const url = req.url ?? '/'
    const host = hostName(req.headers.host)
    if (host === '' || isReserved(url)) return url
    for (const vendor of vendors) {
      if (vendor.hostSuffixes.some((suffix) => host.endsWith(suffix))) {
        (req as RoutedMessage)[ROUTED_MOUNT] = vendor.mount
        return vendor.mount + (url.startsWith('/') ? url : `/${url}`)
      }
    }
    return url
  }
}

/**
 * The vendor a request is for, from its Host and request target, and its path inside the
 * vendor's mount: only for answers written before routing (the HTTP parser's refusals, URLs that
 * cannot be decoded). Routed requests know their vendor from the scope their hooks live in.
 */
export function vendorFor<V extends { mount: string, hostSuffixes: string[] }> (vendors: readonly V[], hostHeader: string | undefined, target: string): { vendor: V, path: string } | undefined {
  if (!target.startsWith('/')) return undefined
  const path = target.split('?')[0] as string
  const host = hostName(hostHeader)
  for (const vendor of vendors) {
    if (host !== '' && vendor.hostSuffixes.some((s) => host.endsWith(s))) return { vendor, path }
    if (underPrefix(path, vendor.mount)) return { vendor, path: path.slice(vendor.mount.length) || '/' }
  }
  return undefined
}

/** True when the request reached its vendor through Host routing rather than the path prefix. */
export function isHostRouted (request: FastifyRequest): boolean {
  return (request.raw as RoutedMessage)[ROUTED_MOUNT] !== undefined
}

/** The path of `url` (a request's routed URL) relative to the vendor mount, without the query string. */
export function pathInMount (url: string, mount: string): string {
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  return path.startsWith(mount) ? path.slice(mount.length) || '/' : path
}

/** The raw query string (after "?"), needed by vendors whose rules see repeats and case. */
export function rawQuery (request: FastifyRequest): string {
  const url = request.raw.url ?? ''
  const q = url.indexOf('?')
  return q === -1 ? '' : url.slice(q + 1)
}

const HOST_CHARS = /^[A-Za-z0-9.[\]:-]+$/

/**
 * The externally visible base URL (no trailing slash): PUBLIC_URL when set, else the request's
 * protocol and host, honouring X-Forwarded-Proto / X-Forwarded-Host from a TLS-terminating proxy.
 */
export function publicBase (request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl !== undefined) return publicUrl.replace(/\/+$/, '')
  const forwardedProto = String(request.headers['x-forwarded-proto'] ?? '').split(',')[0]?.trim().toLowerCase()
  const proto = forwardedProto === 'https' || forwardedProto === 'http' ? forwardedProto : request.protocol
  const forwardedHost = String(request.headers['x-forwarded-host'] ?? '').split(',')[0]?.trim()
  const host = [forwardedHost, request.headers.host].find((h) => h !== undefined && h !== '' && HOST_CHARS.test(h)) ?? 'localhost'
  return `${proto}://${host}`
}
