/**
 * One transfer per upload at a time (draft-09 §4.4: the server MUST prevent races). A new request for an upload asks
 * the current holder to stop (its lease's signal aborts), the holder persists what it received and releases, then the
 * new request proceeds — the approach the draft recommends (draft-06 §4.4, "terminate the older request"). Waiting is
 * promise-based and bounded by `timeoutMs`: no request waits forever.
 */
import { UploadLockedError } from '@rufh/protocol'

/** What a transfer listens to for its stop: an AbortSignal, or anything with these members of one. */
export interface StopSignal {
  readonly aborted: boolean
  addEventListener(type: 'abort', listener: () => void): void
  removeEventListener(type: 'abort', listener: () => void): void
}

export interface Lease {
  /** Aborts when another request wants this upload; the holder should stop reading and release. */
  readonly signal: AbortSignal
  /**
   * The same stop as `signal`, cheaper to listen to where the locker offers it: an AbortSignal costs about 0.7 KB,
   * and every held upload holds a lease (issue 17).
   */
  readonly stop?: StopSignal
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

/**
 * A lease of the memory locker, and its own stop signal: the AbortSignal is made only if someone asks for `signal`
 * (the server's transfers listen to `stop`).
 */
class MemoryLease implements Lease, StopSignal {
  aborted = false
  readonly released: Promise<void>
  private reason: Error | undefined
  private controller: AbortController | undefined
  private listeners: (() => void)[] | undefined
  private done!: () => void
  private releasedOnce = false

  constructor(
    private readonly id: string,
    private readonly holders: Map<string, MemoryLease>,
  ) {
    this.released = new Promise<void>((r) => {
      this.done = r
    })
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController()
      if (this.aborted) this.controller.abort(this.reason)
    }
    return this.controller.signal
  }

  get stop(): StopSignal {
    return this
  }

  /** As AbortController.abort: once, listeners called synchronously, in the order they were added. */
  abort(reason: Error): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    this.controller?.abort(reason)
    const listeners = this.listeners
    this.listeners = undefined
    for (const fn of listeners ?? []) fn()
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return
    this.listeners ??= []
    if (!this.listeners.includes(listener)) this.listeners.push(listener)
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners?.indexOf(listener) ?? -1
    if (i >= 0) this.listeners?.splice(i, 1)
  }

  async release(): Promise<void> {
    if (this.releasedOnce) return
    this.releasedOnce = true
    if (this.holders.get(this.id) === this) this.holders.delete(this.id)
    this.done()
  }
}

/** A process-local locker. Requests for the same upload on other processes need a shared locker (e.g. Redis). */
export class MemoryLocker implements Locker {
  private readonly holders = new Map<string, MemoryLease>()

  async acquire(id: string, { timeoutMs }: AcquireOptions): Promise<Lease> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const current = this.holders.get(id)
      if (!current) break
      current.abort(new Error('preempted by a newer request for this upload'))
      const left = deadline - Date.now()
      if (left <= 0 || !(await settlesWithin(current.released, left))) throw new UploadLockedError()
      // Several waiters may wake at once: loop, and the first to find the slot empty takes it.
    }
    const lease = new MemoryLease(id, this.holders)
    this.holders.set(id, lease)
    return lease
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
