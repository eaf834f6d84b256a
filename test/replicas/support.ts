/**
 * What the replicas tests share: a redis-server on a free loopback port (its append-only file
 * in a temporary directory, so a restart keeps the stream), and polling with a deadline.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'

export const SECRET = 'a-fleet-secret-for-tests'
export const hasRedis = spawnSync('redis-server', ['--version']).status === 0

export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface RedisProcess { url: string, stop: () => Promise<void>, start: () => Promise<void> }

/** redis-server on a free loopback port, append-only file in a temporary directory (so a restart keeps the stream). */
export async function startRedis (t: Test): Promise<RedisProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'users-api-mock-redis-'))
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async (): Promise<void> => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir, '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
    child = proc
    await new Promise<void>((resolve, reject) => {
      let out = ''
      proc.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes('Ready to accept connections')) resolve()
      })
      proc.on('exit', (code) => { reject(new Error(`redis-server exited ${code}: ${out}`)) })
    })
  }
  const stop = async (): Promise<void> => {
    const proc = child
    child = undefined
    if (proc === undefined || proc.exitCode !== null) return
    const exited = new Promise((resolve) => proc.on('exit', resolve))
    proc.kill('SIGKILL')
    await exited
  }
  await start()
  t.teardown(async () => {
    await stop()
    rmSync(dir, { recursive: true, force: true })
  })
  return { url: `redis://127.0.0.1:${port}/0`, stop, start }
}

/** Polls `check` until it is true; returns the ms it took (fails the test after `limitMs`). */
export async function eventually (t: Test, what: string, check: () => Promise<boolean>, limitMs = 5000): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < limitMs) {
    if (await check()) return performance.now() - started
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  t.fail(`${what}: not within ${limitMs} ms`)
  return limitMs
}
