/**
 * OpenAPI documents and Swagger UI. @fastify/swagger collects every route's schema (the TypeBox
 * schemas the routes declare); the collected document is split into one per vendor plus the
 * admin API, and Swagger UI at /docs offers the three. Admin bodies are validated and serialized
 * by those schemas; vendor answers are often pre-serialized bytes (and iSpring checks its raw
 * queries itself), so test/openapi-contract.test.ts sends real requests to every documented
 * operation and checks each answer against its documented schema: that is what keeps the
 * documents from drifting. All assets are served from the package: the page works offline.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { PACKAGE_ROOT, PACKAGE_VERSION } from '../core/package-info.js'
import type { VendorModule } from '../core/vendor.js'

type OpenApiDocument = { paths?: Record<string, unknown>, [key: string]: unknown }

export interface ApiDocument { name: string, title: string, prefix: string, description: string }

export function apiDocuments (vendors: readonly VendorModule[]): ApiDocument[] {
  return [
    ...vendors.map((v) => ({ name: v.name, title: v.title ?? v.name, prefix: v.mount, description: v.description ?? '' })),
    { name: 'admin', title: 'users-api-mock admin API', prefix: '/__admin', description: 'Test control: tenants, reset, request journal, fault rules, mock clock.' }
  ]
}

/** Swagger UI's static files: the installed package's, or the copy the bundle build makes. */
function swaggerUiAssets (): string {
  const copy = join(PACKAGE_ROOT, 'dist', 'swagger-ui')
  try {
    const dir = join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')), 'static')
    if (existsSync(dir)) return dir
  } catch {}
  return copy
}

const LOGO = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="180" height="30"><text x="0" y="22" font-family="sans-serif" font-size="20" fill="#fff">users-api-mock</text></svg>')

/** Registers the schema collector; must run before any route is added. */
export async function registerOpenApiCollector (app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'users-api-mock', version: PACKAGE_VERSION }
    }
  })
}

/** /openapi/{name}.json and /docs. */
export async function registerApiDocs (app: FastifyInstance, documents: ApiDocument[]): Promise<void> {
  const cache = new Map<string, OpenApiDocument>()
  const build = (doc: ApiDocument): OpenApiDocument => {
    const full = app.swagger() as OpenApiDocument
    const paths: Record<string, unknown> = {}
    for (const [path, item] of Object.entries(full.paths ?? {})) {
      if (path === doc.prefix || path.startsWith(`${doc.prefix}/`)) paths[path.slice(doc.prefix.length) || '/'] = item
    }
    return {
      openapi: '3.0.3',
      info: { title: doc.title, version: PACKAGE_VERSION, description: doc.description },
      servers: [{ url: doc.prefix }],
      paths
    }
  }

  for (const doc of documents) {
    app.get(`/openapi/${doc.name}.json`, { schema: { hide: true } }, async () => {
      let document = cache.get(doc.name)
      if (document === undefined) {
        document = build(doc)
        cache.set(doc.name, document)
      }
      return document
    })
  }

  await app.register(swaggerUi, {
    routePrefix: '/docs',
    baseDir: swaggerUiAssets(),
    logo: { type: 'image/svg+xml', content: LOGO },
    staticCSP: true,
    uiConfig: {
      urls: documents.map((d) => ({ url: `/openapi/${d.name}.json`, name: d.title })),
      docExpansion: 'list',
      deepLinking: true
    }
  })
}
