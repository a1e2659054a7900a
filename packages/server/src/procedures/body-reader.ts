/**
 * Wraps a request body for a store: it ends the stream cleanly instead of failing it, so the store persists every
 * byte it got (draft-04 §4.4: a partly received append keeps its contiguous prefix). It stops when
 * - the client goes away or the body errors (`client`),
 * - another request preempts this one (`preempted`), or the server shuts down (`shutdown`),
 * - the lease can no longer be proven held (`lost`: checked before every chunk, so that a holder whose event loop
 *   stalled past its lock's lifetime passes nothing on once it runs again),
 * - no byte arrives for `idleMs` (`idle`: a half-open connection must not hold the upload forever),
 * - `limit` bytes were passed on and more arrive (`limit`).
 * It never calls the source's `return()`: destroying the request would lose the chance to answer it.
 *
 * A hand-written iterator rather than an async generator: this sits on the path of every body chunk, and a
 * generator adds a promise and a suspended frame per chunk (which also keeps the last chunk alive while the next
 * one is awaited). For the same reason a Node Readable (the request) is pulled through `ReadableSource`, not through
 * Node's async iterator (readable-source.ts), and polled: a chunk costs this iterator's own promise and, when none is
 * buffered yet, one wait; racing the stops against a promise of the source's cost three more promises and two
 * closures per chunk (25 MB of garbage per GiB of a stream-mode gateway upload, docs/benchmarks.md).
 */
import type { StopSignal } from '../lockers/locker.js'
import { DONE, isNodeReadable, ReadableSource } from './readable-source.js'

export type StopReason = 'client' | 'preempted' | 'lost' | 'shutdown' | 'idle' | 'limit'

export interface BodyReaderOptions {
  limit?: number | undefined
  idleMs: number
  /** Absent when the body reports its client's going itself (types.ts `bodyReportsClient`). */
  client?: AbortSignal | undefined
  preempt: StopSignal
  /** Whether the upload's lease is still provably held (lockers/locker.ts `Lease.held`). */
  held?: (() => boolean) | undefined
  shutdown: AbortSignal
  /** Sees every chunk passed on, before the store does (tus checksums). */
  tap?: ((chunk: Uint8Array) => void) | undefined
}

type Read = IteratorResult<Uint8Array> | StopReason

export class BodyReader implements AsyncIterableIterator<Uint8Array> {
  bytes = 0
  stopped: StopReason | undefined
  /** The body ended normally: every byte the client sent was passed on. */
  ended = false
  error: unknown

  /** Made on the first read: attaching to a Node stream starts reading from the socket. */
  private source: AsyncIterator<Uint8Array> | undefined
  /** The body when it is a Node Readable: polled, no promise per chunk (readable-source.ts). */
  private node: ReadableSource | undefined
  private readonly listeners: [StopSignal | undefined, () => void][]
  /** Ends the current wait: with a stop reason, or (the stream woke) undefined. */
  private settle: ((r: Read | undefined) => void) | undefined
  private started = false
  private finished = false
  private lastData = 0
  private idle: NodeJS.Timeout | undefined

  constructor(
    private readonly body: AsyncIterable<Uint8Array>,
    private readonly options: BodyReaderOptions,
  ) {
    const wake = (reason: StopReason) => () => this.settle?.(reason)
    this.listeners = [
      [options.client, wake('client')],
      // The lease's signal also aborts when its lock can no longer be proven held: say which.
      [options.preempt, () => this.settle?.(options.held?.() === false ? 'lost' : 'preempted')],
      [options.shutdown, wake('shutdown')],
    ]
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.finished) return DONE
    if (!this.started) this.start()
    const o = this.options
    for (;;) {
      const already =
        o.held?.() === false ? 'lost' : o.preempt.aborted ? 'preempted' : o.shutdown.aborted ? 'shutdown' : undefined
      if (already) return this.stop(already)
      let read: Read
      const node = this.node
      if (node) {
        let polled: Uint8Array | typeof DONE | undefined
        try {
          polled = node.poll()
        } catch (e) {
          this.error = e
          return this.stop('client')
        }
        if (polled === undefined) {
          // Nothing buffered: wait for the stream (its `wake`) or a stop, then check the stops and poll again.
          const woken = await new Promise<Read | undefined>((resolve) => {
            this.settle = resolve
          })
          this.settle = undefined
          if (typeof woken === 'string') return this.stop(woken)
          continue
        }
        read = polled === DONE ? DONE : { done: false, value: polled as Uint8Array }
      } else {
        try {
          read = await new Promise<Read>((resolve, reject) => {
            this.settle = resolve as (r: Read | undefined) => void
            // If a stop wins, this read may still fail later (the client resets): expected, not a crash.
            ;(this.source as AsyncIterator<Uint8Array>).next().then(resolve, reject)
          })
        } catch (e) {
          this.error = e
          return this.stop('client')
        } finally {
          this.settle = undefined
        }
        if (typeof read === 'string') return this.stop(read)
      }
      if (read.done) {
        this.ended = true
        return this.finish()
      }
      // Read while the lease was proven, maybe handed on after it ran out (a stall): then dropped, never acknowledged.
      if (o.held?.() === false) return this.stop('lost')
      this.lastData = Date.now()
      let chunk = read.value
      if (chunk.byteLength === 0) continue
      if (o.limit !== undefined && this.bytes + chunk.byteLength > o.limit) {
        chunk = chunk.subarray(0, o.limit - this.bytes)
        this.stop('limit')
        if (chunk.byteLength === 0) return DONE
      }
      this.bytes += chunk.byteLength
      o.tap?.(chunk)
      return { done: false, value: chunk }
    }
  }

  /** The consumer stopped early (the store failed): release the timer and the listeners. */
  async return(): Promise<IteratorResult<Uint8Array>> {
    return this.finish()
  }

  /** Arms the stop signals on the first read, so that a reader nobody reads holds nothing. */
  private start(): void {
    this.started = true
    const { body } = this
    if (isNodeReadable(body)) {
      const node = new ReadableSource(body)
      node.wake = () => this.settle?.(undefined)
      this.node = node
    } else this.source = body[Symbol.asyncIterator]()
    for (const [signal, fn] of this.listeners) signal?.addEventListener('abort', fn)
    // One idle timer per body, re-armed lazily from the time of the last chunk (not one timer per chunk).
    const { idleMs } = this.options
    const check = () => {
      const quiet = Date.now() - this.lastData
      if (quiet >= idleMs) this.settle?.('idle')
      else this.idle = setTimeout(check, idleMs - quiet)
    }
    this.lastData = Date.now()
    this.idle = setTimeout(check, idleMs)
  }

  private stop(reason: StopReason): IteratorResult<Uint8Array> {
    this.stopped = reason
    return this.finish()
  }

  private finish(): IteratorResult<Uint8Array> {
    if (!this.finished) {
      this.finished = true
      if (this.started) {
        clearTimeout(this.idle)
        for (const [signal, fn] of this.listeners) signal?.removeEventListener('abort', fn)
      }
    }
    return DONE
  }
}
