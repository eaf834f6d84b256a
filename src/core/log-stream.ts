/**
 * Where the CLI's log lines go: stdout through pino's asynchronous destination, written in
 * batches of at least 4 KiB (one syscall per ~25 request lines instead of one per line) and
 * flushed at the latest every 100 ms, so a quiet server's lines still show up promptly. pino
 * flushes what is pending when the process exits; `flush()` pushes it out at once (after listen).
 */
import { pino } from 'pino'

const BATCH_BYTES = 4096
const FLUSH_EVERY_MS = 100

export interface LogStream {
  write (line: string): boolean
  flush (): void
  flushSync (): void
  /** Writes what is pending and stops the flush timer (the app closed). */
  end (): void
}

export function batchedStdout (): LogStream {
  const destination = pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES })
  let pending = false
  const flush = (): void => {
    if (!pending) return
    pending = false
    destination.flush()
  }
  const timer = setInterval(flush, FLUSH_EVERY_MS).unref()
  return {
    write (line: string): boolean {
      pending = true
      return destination.write(line)
    },
    flush,
    flushSync (): void {
      pending = false
      destination.flushSync()
    },
    end (): void {
      clearInterval(timer)
      flush()
    }
  }
}
