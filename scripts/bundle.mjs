// Bundles the CLI entry into one ES module (dist/bundle/server.mjs) and copies Swagger UI's static
// files beside it (dist/swagger-ui). Loading one file instead of a few thousand halves the mock's
// start-up, which every CI run of its users pays, and the Docker image needs no node_modules.
import { cpSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { build } from 'esbuild'

await build({
  entryPoints: ['dist/src/server.js'],
  outfile: 'dist/bundle/server.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // Less source for V8 to parse at every start; names stay readable in logs.
  minifyWhitespace: true,
  minifySyntax: true,
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" }
})

const swaggerUi = join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')), 'static')
rmSync('dist/swagger-ui', { recursive: true, force: true })
cpSync(swaggerUi, 'dist/swagger-ui', { recursive: true })
