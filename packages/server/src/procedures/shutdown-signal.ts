/**
 * The server's shutdown, as the stop signal every running transfer's body reader listens to. Not an AbortSignal:
 * Node's EventTarget walks its whole list of listeners on each `addEventListener` and `removeEventListener` (to find a
 * duplicate, or the one to remove), so with N transfers running each one that starts or ends cost O(N) there; at
 * 3,000 held uploads that was 156 ms of the server's main thread in one profile (issue 17, docs/benchmarks.md). A Set
 * adds and removes in O(1).
 */
import type { StopSignal } from '../lockers/locker.js'

export class ShutdownSignal implements StopSignal {
  aborted = false
  private readonly listeners = new Set<() => void>()

  /** Once; listeners are called synchronously, in the order they were added, as an AbortController's would be. */
  abort(): void {
    if (this.aborted) return
    this.aborted = true
    for (const fn of this.listeners) fn()
    this.listeners.clear()
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.listeners.add(listener)
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.delete(listener)
  }
}
