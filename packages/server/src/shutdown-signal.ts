/**
 * The server's shutdown stop, listened to by every running transfer (procedures/body-reader.ts). An AbortSignal
 * would do, but Node's EventTarget walks its whole listener list on every `addEventListener` and
 * `removeEventListener` (to find a duplicate), so with N held uploads each transfer's start and end costs O(N) and N
 * of them O(N²): at N = 1,000 that was ~150 ms of the server's CPU profile (the list walk alone), more than the transfers' own code (issue
 * 17). A Set adds and removes in constant time and keeps the order listeners were added in.
 */
import type { StopSignal } from './lockers/locker.js'

export class ShutdownSignal implements StopSignal {
  aborted = false
  private readonly listeners = new Set<() => void>()

  /** As AbortSignal's: a listener added twice is called once; one added after the abort is never called. */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.listeners.add(listener)
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.delete(listener)
  }

  /**
   * As AbortController.abort: once, every listener synchronously, in the order they were added; one removed by an
   * earlier one during the abort is not called (a Set's iteration skips deleted entries, as AbortSignal's dispatch
   * does).
   */
  abort(): void {
    if (this.aborted) return
    this.aborted = true
    for (const fn of this.listeners) fn()
    this.listeners.clear()
  }
}
