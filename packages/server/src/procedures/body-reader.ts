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
 * Node's async iterator (readable-source.ts), and polled without an async function: a read that finds a chunk costs
 * one settled promise, and one that waits costs one pending promise and its resolvers, resumed from a microtask when
 * the stream or a stop wakes it. On a held upload that wait spans the half second between chunks, long enough for
 * what it holds to outlive a young-generation collection and be copied to the old one, where it stays as garbage
 * until a full collection: every object kept across the wait is heap a held upload pays for (issue 17). A store that
 * takes pushed chunks (stores/push-body.ts: the disk store) makes no object per wait at all. Racing the
 * stops against a promise of the source's costs three more promises and two closures per chunk (25 MB of garbage
 * per GiB of a stream-mode gateway upload, docs/benchmarks.md); that path is left to other bodies (web streams).
 */
import type { StopSignal } from '../lockers/locker.js'
import type { ChunkSink, PushBody } from '../stores/push-body.js'
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
  shutdown: StopSignal
  /** Sees every chunk passed on, before the store does (tus checksums). */
  tap?: ((chunk: Uint8Array) => void) | undefined
}

type Read = IteratorResult<Uint8Array> | StopReason

export class BodyReader implements AsyncIterableIterator<Uint8Array>, PushBody {
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
  /** Ends the current wait of a read from an async iterator: with a stop reason, or its result. */
  private settle: ((r: Read) => void) | undefined
  /** The pending read from a Node stream, resumed by `wake`. */
  private resolveWait: ((r: IteratorResult<Uint8Array>) => void) | undefined
  private rejectWait: ((e: unknown) => void) | undefined
  /** Where chunks go when they are pushed (`pushTo`), and whether it takes them now (`take` answered false). */
  private sink: ChunkSink | undefined
  private flowing = false
  /** A push found nothing buffered: `wake` goes on with it. */
  private pushWaiting = false
  /** What woke the pending read (a stop, or `true`: the stream may have more); it resumes in a microtask. */
  private woken: StopReason | true | undefined
  private readonly resumeWoken = () => this.resumeWait()
  private started = false
  private finished = false
  private lastData = 0
  private idle: NodeJS.Timeout | undefined
  /**
   * The idle check: one timer per body, re-armed from the time of the last chunk (not one timer per chunk). When it
   * goes off while no read waits (the store is busy: a slow open, a full write queue), the stop would be lost; the
   * next read that waits arms it again instead (`armIdle`), so a client gone silent still ends the body.
   */
  private readonly checkIdle = () => {
    this.idle = undefined
    const { idleMs } = this.options
    const quiet = Date.now() - this.lastData
    if (quiet < idleMs) this.idle = setTimeout(this.checkIdle, idleMs - quiet)
    else this.wake('idle')
  }

  constructor(
    private readonly body: AsyncIterable<Uint8Array>,
    private readonly options: BodyReaderOptions,
  ) {
    const wake = (reason: StopReason) => () => this.wake(reason)
    this.listeners = [
      [options.client, wake('client')],
      // The lease's signal also aborts when its lock can no longer be proven held: say which.
      [options.preempt, () => this.wake(options.held?.() === false ? 'lost' : 'preempted')],
      [options.shutdown, wake('shutdown')],
    ]
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  /** Chunks can be pushed only from a Node stream (the path without a promise per read). */
  get canPush(): boolean {
    return isNodeReadable(this.body)
  }

  /** Hands every chunk to `sink` as it comes, then calls its `done` (push-body.ts); instead of `next`. */
  pushTo(sink: ChunkSink): void {
    if (!this.canPush) throw new TypeError('only a Node stream body can be pushed')
    this.sink = sink
    this.flowing = true
    if (!this.started && !this.finished) this.start()
    this.pump(undefined)
  }

  resume(): void {
    if (this.sink === undefined || this.flowing) return
    this.flowing = true
    this.pump(undefined)
  }

  /** Passes on what is buffered while the sink takes it; `stopped`: the stop that woke a waiting push. */
  private pump(stopped: StopReason | undefined): void {
    const sink = this.sink
    while (sink !== undefined && this.sink === sink && this.flowing) {
      let r: IteratorResult<Uint8Array> | undefined
      try {
        r = this.finished ? DONE : stopped !== undefined ? this.stop(stopped) : this.step()
      } catch (e) {
        // What the tap threw ends the body: the stop signals' listeners go now, not with the request.
        this.sink = undefined
        this.finish()
        sink.done(e)
        return
      }
      if (r === undefined) {
        this.pushWaiting = true
        this.armIdle()
        return
      }
      if (r.done) {
        this.sink = undefined
        sink.done()
        return
      }
      if (!sink.take(r.value)) this.flowing = false
    }
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.finished) return Promise.resolve(DONE)
    if (!this.started) this.start()
    if (!this.node) return this.nextIterated()
    let r: IteratorResult<Uint8Array> | undefined
    try {
      r = this.step()
    } catch (e) {
      return Promise.reject(e)
    }
    if (r !== undefined) return Promise.resolve(r)
    this.armIdle()
    return new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
      this.resolveWait = resolve
      this.rejectWait = reject
    })
  }

  /**
   * Reads a Node stream as far as it can without waiting: a result, or undefined when nothing is buffered (then
   * `wake` resumes the read). Throws only what the tap throws.
   */
  private step(): IteratorResult<Uint8Array> | undefined {
    const node = this.node as ReadableSource
    for (;;) {
      const already = this.alreadyStopped()
      if (already) return this.stop(already)
      let polled: Uint8Array | typeof DONE | undefined
      try {
        polled = node.poll()
      } catch (e) {
        this.error = e
        return this.stop('client')
      }
      if (polled === undefined) return undefined
      const r = this.pass(polled)
      if (r !== undefined) return r
    }
  }

  /** A stop, the idle timer or the stream ended the wait: the first reason wins until the read resumes. */
  private wake(reason: StopReason | undefined): void {
    if (!this.node) {
      if (reason !== undefined) this.settle?.(reason)
      return
    }
    if ((this.resolveWait === undefined && !this.pushWaiting) || this.woken !== undefined) return
    this.woken = reason ?? true
    // Resumed after the event that woke it, as an awaited read would be, not inside the stream's or signal's emit.
    queueMicrotask(this.resumeWoken)
  }

  /** The idle check went off while nothing waited (the store was busy): armed again when a read waits. */
  private armIdle(): void {
    if (this.idle !== undefined || this.finished) return
    this.idle = setTimeout(this.checkIdle, Math.max(0, this.options.idleMs - (Date.now() - this.lastData)))
  }

  private resumeWait(): void {
    const woken = this.woken
    const resolve = this.resolveWait
    const reject = this.rejectWait
    this.woken = undefined
    if (this.pushWaiting) {
      this.pushWaiting = false
      if (woken !== undefined) this.pump(typeof woken === 'string' ? woken : undefined)
      return
    }
    if (woken === undefined || resolve === undefined || reject === undefined) return
    let r: IteratorResult<Uint8Array> | undefined
    try {
      r = this.finished ? DONE : typeof woken === 'string' ? this.stop(woken) : this.step()
    } catch (e) {
      this.resolveWait = this.rejectWait = undefined
      reject(e)
      return
    }
    if (r === undefined) {
      this.armIdle()
      return // still nothing buffered: keep waiting
    }
    this.resolveWait = this.rejectWait = undefined
    resolve(r)
  }

  /** A body that is not a Node stream: each read raced against the stops. */
  private async nextIterated(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      const already = this.alreadyStopped()
      if (already) return this.stop(already)
      let read: Read
      try {
        read = await new Promise<Read>((resolve, reject) => {
          this.settle = resolve
          this.armIdle()
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
      const r = this.pass(read.done ? DONE : read.value)
      if (r !== undefined) return r
    }
  }

  private alreadyStopped(): StopReason | undefined {
    const o = this.options
    return o.held?.() === false ? 'lost' : o.preempt.aborted ? 'preempted' : o.shutdown.aborted ? 'shutdown' : undefined
  }

  /** What a read passes on: the chunk (cut at the limit), DONE, or undefined for an empty chunk (read again). */
  private pass(read: Uint8Array | typeof DONE): IteratorResult<Uint8Array> | undefined {
    if (read === DONE) {
      this.ended = true
      return this.finish()
    }
    const o = this.options
    // Read while the lease was proven, maybe handed on after it ran out (a stall): then dropped, never acknowledged.
    if (o.held?.() === false) return this.stop('lost')
    this.lastData = Date.now()
    let chunk = read as Uint8Array
    if (chunk.byteLength === 0) return undefined
    if (o.limit !== undefined && this.bytes + chunk.byteLength > o.limit) {
      chunk = chunk.subarray(0, o.limit - this.bytes)
      this.stop('limit')
      if (chunk.byteLength === 0) return DONE
    }
    this.bytes += chunk.byteLength
    o.tap?.(chunk)
    return { done: false, value: chunk }
  }

  /** The consumer stopped early (the store failed): release the timer and the listeners. */
  async return(): Promise<IteratorResult<Uint8Array>> {
    // A read still waiting ends too (not from finish(): a stop by the limit still passes its cut chunk on).
    const resolve = this.resolveWait
    this.resolveWait = this.rejectWait = undefined
    this.sink = undefined
    this.pushWaiting = this.flowing = false
    this.finish()
    resolve?.(DONE)
    return DONE
  }

  /** Arms the stop signals on the first read, so that a reader nobody reads holds nothing. */
  private start(): void {
    this.started = true
    const { body } = this
    if (isNodeReadable(body)) {
      const node = new ReadableSource(body)
      node.wake = () => this.wake(undefined)
      this.node = node
    } else this.source = body[Symbol.asyncIterator]()
    for (const [signal, fn] of this.listeners) signal?.addEventListener('abort', fn)
    this.lastData = Date.now()
    this.idle = setTimeout(this.checkIdle, this.options.idleMs)
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
