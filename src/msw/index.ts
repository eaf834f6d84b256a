/**
 * msw request handlers backed by an in-process mock (`import { vendorHandlers } from
 * 'users-api-mock/msw'`): a Node test suite that already uses Mock Service Worker gets the
 * vendors' behaviour (state, tokens, faults, the clock) without a port or a process. A request to
 * a vendor host (us.api.concursolutions.com, demo.ispringlearn.com, ...) or under a base URL the
 * caller names is answered by `app.inject`, exactly as the mock answers it over HTTP; anything
 * else is left to the suite's other handlers. msw is a peer dependency.
 * https://mswjs.io/docs/api/http
 */
import { http, type HttpHandler } from 'msw'
import { VENDORS, type MockServer } from '../app.js'
import { hostName } from '../core/routing.js'

export interface VendorHandlerOptions {
  /**
   * Further base URLs the mock answers under, e.g. `http://mock.test` (then
   * `http://mock.test/concur/users/` is the mock's `/concur/users/`). The vendors' own host
   * names are always answered.
   */
  baseUrls?: string[]
}

const HOST_SUFFIXES = VENDORS.flatMap((v) => v.hostSuffixes)
const BODYLESS = new Set(['GET', 'HEAD'])

/** The handlers to give `setupServer(...)` or `server.use(...)`; `app` from buildMockServer. */
export function vendorHandlers (app: MockServer, options: VendorHandlerOptions = {}): HttpHandler[] {
  const bases = (options.baseUrls ?? []).map((b) => new URL(b))
  return [
    http.all('*', async ({ request }) => {
      const url = new URL(request.url)
      const host = hostName(url.host)
      const vendorHost = HOST_SUFFIXES.some((suffix) => host.endsWith(suffix))
      const base = bases.find((b) => b.origin === url.origin && url.pathname.startsWith(b.pathname.replace(/\/?$/, '/')))
      if (!vendorHost && base === undefined) return undefined
      const path = base === undefined ? url.pathname : `/${url.pathname.slice(base.pathname.replace(/\/?$/, '/').length)}`
      const headers: Record<string, string> = Object.fromEntries(request.headers)
      headers.host = url.host
      // The mock's own links (Concur's geolocation) keep the scheme the client used.
      headers['x-forwarded-proto'] = url.protocol.slice(0, -1)
      const payload = BODYLESS.has(request.method) ? undefined : Buffer.from(await request.arrayBuffer())
      const res = await app.inject({
        method: request.method as 'GET',
        url: path + url.search,
        headers,
        ...(payload === undefined ? {} : { payload })
      })
      const out = new Headers()
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined || name === 'content-length' || name === 'connection' || name === 'transfer-encoding') continue
        for (const v of Array.isArray(value) ? value : [value]) out.append(name, String(v))
      }
      const empty = res.statusCode === 204 || res.statusCode === 304 || request.method === 'HEAD'
      return new Response(empty ? null : res.rawPayload, { status: res.statusCode, headers: out })
    })
  ]
}
