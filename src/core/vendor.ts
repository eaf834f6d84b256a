/**
 * What a vendor module gives the app: its tenant kind, its mount point and host names, and an
 * encapsulated Fastify plugin with its routes. Adding a vendor is one folder plus one line in
 * app.ts's VENDORS list.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
// Route schemas carry OpenAPI fields (summary, description, hide): @fastify/swagger types them.
import type {} from '@fastify/swagger'
import type { RedactionRules } from './journal.js'
import type { Tenant, TenantKind } from './tenants.js'

/** One request of a sandbox "try it" sequence; `{{name}}` takes a value captured earlier. */
export interface SandboxStep {
  method: 'GET' | 'POST'
  /** Path from the server root, e.g. /concur/users/?limit=5 */
  path: string
  headers?: Record<string, string>
  form?: Record<string, string>
  /** Top-level JSON fields of the answer to keep for later steps, e.g. ["access_token"]. */
  capture?: string[]
}

/** How the sandbox page presents one tenant. */
export interface SandboxCard {
  credentials: Array<{ label: string, value: string }>
  curl: string[]
  tryIt: { label: string, steps: SandboxStep[] }
}

export interface VendorModule {
  name: string
  /** Human title, e.g. "SAP Concur" (page, OpenAPI). */
  title?: string
  description?: string
  /** Prefix on the shared listener, e.g. "/concur". */
  mount: string
  /** Host-name suffixes served at root paths, e.g. ".concursolutions.com". */
  hostSuffixes: string[]
  /** Names the HTTPS listener's local certificate covers (wildcards allowed), e.g. "*.api.concursolutions.com". */
  tlsNames: string[]
  /** Prefixes inside the mount that serve the same routes (iSpring's /api/v2); fault paths ignore them. */
  aliases?: string[]
  tenantKind: TenantKind<any>
  /** What the request journal must never show of this vendor's requests. */
  redaction: RedactionRules
  /** Registered with `{ prefix: mount }`; must not use fastify-plugin (stays encapsulated). */
  plugin: FastifyPluginAsync
  /** The sandbox page's card for a tenant, with `base` the server's public base URL. */
  sandbox?: (tenant: Tenant, base: string) => SandboxCard
  /**
   * Answers with an error of `status` in the vendor's own shape (fault rules, X-Mock-Fault, a
   * URL that cannot be decoded), with `Retry-After` when given. `message`, when given, replaces
   * the reason phrase.
   */
  sendFault (request: FastifyRequest, reply: FastifyReply, fault: Fault): FastifyReply
  /**
   * The error answer for a request Node's HTTP parser refused before Fastify saw it (request line
   * or headers too large, malformed HTTP), written on the raw connection: `path` is relative to
   * the mount, `headers` are the header lines the parser had read (names lower-cased).
   */
  rawError?: (status: number, request: { path: string, headers: Record<string, string> }, nowMs: number) => RawAnswer
}

export interface Fault { status: number, retryAfterSeconds?: number | undefined, message?: string }

export interface RawAnswer { headers: Record<string, string>, body: string }
