/**
 * Delivery of completed uploads to the backend. `Delivery` is what the gateway asks of a mode: the backend's answer
 * for a completed upload, delivering it first if needed.
 *
 * Spool mode: one forward per upload at a time (single flight in this process; a lock named after the upload across
 * processes sharing a locker), and never again once the answer is in the journal. A delivery that failed for a
 * retryable reason is tried again in the background every `redeliverIntervalMs`, and uploads completed but never
 * delivered (a crash while forwarding) are delivered at start (`recover`).
 */
import { UploadLockedError } from '@rufh/protocol'
import type { Logger } from '@rufh/server'
import { isListable, type Locker, type ReadableStore } from '@rufh/server'
import { GatewayError } from './errors.js'
import { type ForwardOptions, forward } from './forward.js'
import { backendFields } from './head.js'
import type { BackendResponse, Journal } from './journal.js'

export interface Delivery {
  /** The backend's answer for the completed upload `id`; throws `GatewayError` when the backend cannot be reached. */
  deliver(id: string): Promise<BackendResponse>
  /** The kept answer, if the upload was delivered. */
  delivered(id: string): Promise<BackendResponse | undefined>
  /** Delivers in the background (nobody waits for the answer). */
  kick(id: string): void
  /** Delivers what a previous process left undelivered. */
  recover(): Promise<number>
  close(): Promise<void>
}

export interface SpoolDeliveryOptions {
  backend: URL
  store: ReadableStore
  journal: Journal
  locker: Locker
  forward: ForwardOptions
  lockTimeoutMs: number
  redeliverIntervalMs: number
  logger: Logger | undefined
}

export class SpoolDelivery implements Delivery {
  private readonly running = new Map<string, Promise<BackendResponse>>()
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private closed = false

  constructor(private readonly o: SpoolDeliveryOptions) {}

  delivered(id: string): Promise<BackendResponse | undefined> {
    return this.o.journal.response(id)
  }

  deliver(id: string): Promise<BackendResponse> {
    let p = this.running.get(id)
    if (!p) {
      p = this.run(id).finally(() => this.running.delete(id))
      this.running.set(id, p)
    }
    return p
  }

  kick(id: string): void {
    if (this.running.has(id) || this.closed) return
    this.deliver(id).catch(() => {})
  }

  async recover(): Promise<number> {
    const { store, journal } = this.o
    if (!isListable(store)) return 0
    let n = 0
    for await (const info of store.list()) {
      if (!info.complete || info.concat?.kind === 'partial' || info.invalid) continue
      if ((await journal.response(info.id)) || !(await journal.head(info.id))) continue
      this.kick(info.id)
      n++
    }
    return n
  }

  async close(): Promise<void> {
    this.closed = true
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
    await Promise.allSettled([...this.running.values()])
  }

  private async run(id: string): Promise<BackendResponse> {
    const { journal, locker, store, logger } = this.o
    const kept = await journal.response(id)
    if (kept) return kept
    let lease: Awaited<ReturnType<Locker['acquire']>>
    try {
      lease = await locker.acquire(`${id}.delivery`, { timeoutMs: this.o.lockTimeoutMs })
    } catch (e) {
      if (e instanceof UploadLockedError)
        throw new GatewayError('ERR_DELIVERY_IN_PROGRESS', 'the upload is being delivered by another gateway', true)
      throw e
    }
    try {
      // Another gateway may have delivered it while this one waited.
      const again = await journal.response(id)
      if (again) return again
      const head = await journal.head(id)
      if (!head)
        throw new GatewayError('ERR_NO_REQUEST_HEAD', 'no creation request was recorded for this upload', false)
      const info = await store.get(id)
      const length = info.length ?? info.offset
      const request = { method: head.method, path: head.path, headers: backendFields(head, id, length, info.metadata) }
      logger?.info({ id, length, path: head.path }, 'forwarding upload')
      const answer = await forward(
        this.o.backend,
        request,
        () => store.read(id, 0, length),
        this.o.forward,
        (n, err) => logger?.warn({ id, attempt: n, code: err.code, err: err.message }, 'forward attempt failed'),
      )
      await journal.saveResponse(id, answer)
      logger?.info({ id, status: answer.status }, 'upload delivered')
      return answer
    } catch (e) {
      if (e instanceof GatewayError && e.retryable) this.later(id)
      throw e
    } finally {
      await lease.release()
    }
  }

  /** Tries again in the background; nobody waits, so the timer does not hold the process open. */
  private later(id: string): void {
    if (this.closed || this.o.redeliverIntervalMs <= 0 || this.timers.has(id)) return
    const t = setTimeout(() => {
      this.timers.delete(id)
      this.kick(id)
    }, this.o.redeliverIntervalMs)
    t.unref()
    this.timers.set(id, t)
  }
}
