// Bundles the CLI entry into one ES module (dist/bundle/server.mjs). Loading one file instead of
// a few thousand halves the mock's start-up, which every CI run of its users pays.
import { build } from 'esbuild'

await build({
  entryPoints: ['dist/src/server.js'],
  outfile: 'dist/bundle/server.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // Packages that read their own files from disk at run time stay outside the bundle.
  external: ['@fastify/swagger-ui'],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" }
})
