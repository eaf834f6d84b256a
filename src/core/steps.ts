/**
 * Long work in steps: a generator that yields between slices of work (for example every thousand
 * generated users) can run to the end at once, or in slices of a few milliseconds with the event
 * loop free in between, so building a 1,000,000-user tenant never holds up other requests.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'

export type Steps<T> = Generator<void, T, void>

export function runAll<T> (steps: Steps<T>): T {
  for (;;) {
    const step = steps.next()
    if (step.done === true) return step.value
  }
}

/** Runs `steps`, giving the event loop a turn whenever `sliceMs` have passed since the last one. */
export async function runInSlices<T> (steps: Steps<T>, sliceMs = 20): Promise<T> {
  let deadline = performance.now() + sliceMs
  for (;;) {
    const step = steps.next()
    if (step.done === true) return step.value
    if (performance.now() >= deadline) {
      await nextTurn()
      deadline = performance.now() + sliceMs
    }
  }
}
