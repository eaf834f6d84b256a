/**
 * iSpring's page-by-page reading: `pageSize` and the opaque `pageToken` of the previous page
 * (read by query.ts). Pages come from core paginate; the cursor names the next page's first
 * position, sealed to the account, endpoint, filters, page size and the caller's scope.
 * https://ispringhelpdocs.com/display/ispringlearn/Getting+a+List+of+Users+Page-by-Page
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidPageToken, paginate, type PageRequest, type Paginated } from '../../core/paginate.js'
import { sendBadRequest } from './errors.js'

/** What a page token is sealed to: a token replayed with any other of these gives 400. */
export function pageBinding (parts: { tenantId: string, accountUrl: string, endpoint: string, filters: string, pageSize: number, scope: string }): string {
  return JSON.stringify([parts.tenantId, parts.accountUrl, parts.endpoint, parts.filters, parts.pageSize, parts.scope])
}

/** The caller's request for one page of `endpoint` (with its filters in canonical form). */
export function pageRequest (
  caller: { tenant: { id: string }, account: { accountUrl: string }, scope: { key: string } },
  endpoint: string, filters: string, params: { pageSize: number, pageToken: string | undefined }
): PageRequest {
  const binding = pageBinding({ tenantId: caller.tenant.id, accountUrl: caller.account.accountUrl, endpoint, filters, pageSize: params.pageSize, scope: caller.scope.key })
  return { binding, token: params.pageToken, size: params.pageSize }
}

/** The page (core paginate); undefined after answering 400 `Bad Request: invalid pageToken`. */
export function readPage (request: FastifyRequest, reply: FastifyReply, page: PageRequest, list: readonly number[] | undefined, total: number): Paginated | undefined {
  try {
    return paginate(request.server.mock.cursors, page, list, total)
  } catch (err) {
    if (!(err instanceof InvalidPageToken)) throw err
    sendBadRequest(request, reply, 'invalid pageToken')
    return undefined
  }
}
