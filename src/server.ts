#!/usr/bin/env node
/**
 * The process entry: the only file that reads process.env and argv, listens, and handles
 * signals. Exit codes: 0 after a graceful shutdown, 1 when fixtures or config cannot be loaded,
 * 2 for a bad command line.
 */
import closeWithGrace from 'close-with-grace'
import { buildMockServer } from './app.js'
import { parseCli, helpText, UsageError, type CliResult } from './cli.js'
import { ConfigError, resolveConfig } from './config.js'
import { PACKAGE_VERSION } from './core/package-info.js'
import { FixtureError } from './core/tenants.js'

async function main (): Promise<void> {
  let cli: CliResult
  try {
    cli = parseCli(process.argv.slice(2), process.env)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`users-api-mock: ${err.message}\nRun users-api-mock --help for the options.\n`)
    process.exit(2)
  }
  if (cli.kind === 'help') {
    process.stdout.write(helpText())
    return
  }
  if (cli.kind === 'version') {
    process.stdout.write(`${PACKAGE_VERSION}\n`)
    return
  }

  let app
  try {
    const config = resolveConfig({ logLevel: 'info', ...cli.options })
    app = await buildMockServer(config)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`users-api-mock: ${err.message}\n`)
      process.exit(2)
    }
    if (err instanceof FixtureError) {
      process.stderr.write(`users-api-mock: cannot load tenant fixtures:\n${err.message}\n`)
      process.exit(1)
    }
    throw err
  }

  closeWithGrace({ delay: 5000 }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })

  const config = app.mock.config
  await app.listen({ port: config.port, host: config.host })
  if (app.mock.tls !== null) {
    try {
      const { port } = await app.mock.tls.listen(config.tlsPort, config.host)
      app.log.info(`HTTPS listening at https://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`)
    } catch (err) {
      process.stderr.write(`users-api-mock: cannot listen for HTTPS on port ${config.tlsPort}: ${(err as Error).message}\n`)
      await app.close()
      process.exit(1)
    }
  }
  // "Server listening at ..." is what scripts wait for: out now, not with the next batch.
  ;(app.log as typeof app.log & { flush?: () => void }).flush?.()
}

await main()
