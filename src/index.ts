/**
 * The package's library entry: build the mock in-process (inject, or listen on port 0) with the
 * same options as the CLI, and read the demo credentials.
 *
 *   import { buildMockServer, DEMO } from 'users-api-mock'
 *   const app = await buildMockServer({ seed: 1 })
 *   const address = await app.listen({ port: 0 })
 */
export { buildMockServer, VENDORS, type MockServer } from './app.js'
export { MockOptionsSchema, type MockConfig, type MockOptions } from './config.js'
export { DEMO, type DemoCredentials } from './demo.js'
export { FixtureError } from './core/tenants.js'
export type { JournalEntry } from './core/journal.js'
export type { FaultRuleInput } from './core/faults.js'
