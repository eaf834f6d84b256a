/**
 * What a vendor module gives the app: its tenant kind, its mount point and host names, and an
 * encapsulated Fastify plugin with its routes. Adding a vendor is one folder plus one line in
 * app.ts's VENDORS list.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
// Route schemas carry OpenAPI fields (summary, description, hide): @fastify/swagger types them.
import type {} from '@fastify/swagger'
import type { TenantKind } from './tenants.js'

export interface VendorModule {
  name: string
  /** Prefix on the shared listener, e.g. "/concur". */
  mount: string
  /** Host-name suffixes served at root paths, e.g. ".concursolutions.com". */
  hostSuffixes: string[]
  /** Prefixes inside the mount that serve the same routes (iSpring's /api/v2); fault paths ignore them. */
  aliases?: string[]
  tenantKind: TenantKind<any>
  /** Registered with `{ prefix: mount }`; must not use fastify-plugin (stays encapsulated). */
  plugin: FastifyPluginAsync
  /**
   * Answers with an error of `status` in the vendor's own shape (fault rules, X-Mock-Fault), with
   * `Retry-After` when given. `message`, when given, replaces the reason phrase (used for a bad
   * X-Mock-Fault header).
   */
  sendFault (request: FastifyRequest, reply: FastifyReply, status: number, retryAfterSeconds: number | undefined, message?: string): FastifyReply
}
