/**
 * One transfer per upload at a time (draft-09 §4.4: the server MUST prevent races). A new request for an upload asks
 * the current holder to stop (its lease's signal aborts), the holder persists what it received and releases, then the
 * new request proceeds — the approach the draft recommends (draft-06 §4.4, "terminate the older request"). Waiting is
 * promise-based and bounded by `timeoutMs`: no request waits forever.
 */
import { UploadLockedError } from '@rufh/protocol'

export interface Lease {
  /** Aborts when another request wants this upload; the holder should stop reading and release. */
  readonly signal: AbortSignal
  /**
   * Whether the holder can still prove that it holds the lock, checked before each write. A locker whose locks expire
   * (Redis) answers false once its last confirmed renewal is too old, and aborts `signal`. Absent: always held.
   */
  held?(): boolean
  release(): Promise<void>
}

export interface AcquireOptions {
  /** Give up with `UploadLockedError` after this long. */
  timeoutMs: number
}

export interface Locker {
  acquire(id: string, options: AcquireOptions): Promise<Lease>
}

interface Holder {
  controller: AbortController
  released: Promise<void>
}

/** A process-local locker. Requests for the same upload on other processes need a shared locker (e.g. Redis). */
export class MemoryLocker implements Locker {
  private readonly holders = new Map<string, Holder>()

  async acquire(id: string, { timeoutMs }: AcquireOptions): Promise<Lease> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const current = this.holders.get(id)
      if (!current) break
      current.controller.abort(new Error('preempted by a newer request for this upload'))
      const left = deadline - Date.now()
      if (left <= 0 || !(await settlesWithin(current.released, left))) throw new UploadLockedError()
      // Several waiters may wake at once: loop, and the first to find the slot empty takes it.
    }
    const controller = new AbortController()
    let done!: () => void
    const holder: Holder = { controller, released: new Promise<void>((r) => (done = r)) }
    this.holders.set(id, holder)
    let releasedOnce = false
    return {
      signal: controller.signal,
      release: async () => {
        if (releasedOnce) return
        releasedOnce = true
        if (this.holders.get(id) === holder) this.holders.delete(id)
        done()
      },
    }
  }
}

function settlesWithin(p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), ms)
    void p.then(() => {
      clearTimeout(t)
      resolve(true)
    })
  })
}
