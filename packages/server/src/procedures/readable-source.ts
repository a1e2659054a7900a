/**
 * Reads a Node Readable (an http.IncomingMessage, an HTTP/2 request) chunk by chunk without an async generator, and
 * without a promise: `poll` answers at once, `wake` says when to poll again.
 *
 * Node's own `readable[Symbol.asyncIterator]()` is an async generator: while it awaits the next chunk, its suspended
 * frame still holds the chunk it yielded last. A held upload trickling 16 KiB every half second then keeps one
 * 16 KiB buffer alive per upload between chunks, which is most of what a held upload costs in live heap (issue 17,
 * docs/benchmarks.md). This keeps nothing between reads. It ends, and fails, as Node's does: DONE after 'end', the
 * stream's error on 'error', ERR_STREAM_PREMATURE_CLOSE when it closes before its end; after a normal end or a
 * failure it destroys the stream, as Node's does (`destroyOnReturn`).
 *
 * It reads in flowing mode ('data') and pauses the stream only while a chunk waits for its reader. Pulling with
 * 'readable' and `read()` instead lets every 16 KiB chunk fill the request's buffer (its highWaterMark is 16 KiB), so
 * Node stops and restarts reading the socket once per chunk: two `epoll_ctl` calls and a pause and resume in
 * JavaScript per chunk that a piping server does not make (issue 17).
 */
import type { Readable } from 'node:stream'

export const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined }

export function isNodeReadable(x: unknown): x is Readable {
  const r = x as Partial<Readable> | undefined
  return typeof r?.read === 'function' && typeof r.on === 'function' && typeof r.destroy === 'function'
}

class PrematureCloseError extends Error {
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE'
  constructor() {
    super('Premature close')
  }
}

export class ReadableSource {
  /** Called when `poll` may have something new after it answered undefined: a chunk, the end, a failure. */
  wake: (() => void) | undefined
  private ended = false
  private error: unknown
  private failed = false
  private detached = false
  /** `poll` answered undefined and nothing came since: the next event wakes the reader. */
  private waiting = false
  /** Chunks that arrived while the reader was busy; the stream is paused until they are taken. */
  private readonly pending: Uint8Array[] = []
  private paused = false
  private readonly onData = (chunk: Uint8Array) => {
    this.pending.push(chunk)
    if (this.waiting) this.notify()
    else if (!this.paused) {
      this.paused = true
      this.stream.pause()
    }
  }
  private readonly onEnd = () => {
    this.ended = true
    this.notify()
  }
  private readonly onError = (e: unknown) => this.fail(e)
  private readonly onClose = () => {
    if (!this.ended && !this.stream.readableEnded) this.fail(this.stream.errored ?? new PrematureCloseError())
    else this.onEnd()
  }

  constructor(private readonly stream: Readable) {
    stream.on('end', this.onEnd)
    stream.on('error', this.onError)
    stream.on('close', this.onClose)
    if (stream.readableEnded) this.ended = true
    else if (stream.destroyed) this.fail(stream.errored ?? new PrematureCloseError())
    else {
      // Last: from here on chunks flow (resume too, in case someone paused the stream before).
      stream.on('data', this.onData)
      stream.resume()
    }
  }

  /**
   * The next chunk, DONE after the end, or undefined while nothing is buffered (then wait for `wake`); throws the
   * stream's error. Synchronous, so that a reader pays no promise of its own per chunk (body-reader.ts).
   */
  poll(): Uint8Array | typeof DONE | undefined {
    if (this.failed) {
      this.detach()
      throw this.error
    }
    const chunk = this.pending.shift()
    if (chunk !== undefined) {
      if (this.paused && this.pending.length === 0 && !this.ended) {
        this.paused = false
        this.stream.resume()
      }
      return chunk
    }
    if (this.ended) {
      this.detach()
      return DONE
    }
    this.waiting = true
    return undefined
  }

  private notify(): void {
    if (!this.waiting) return
    this.waiting = false
    this.wake?.()
  }

  private fail(e: unknown): void {
    if (this.failed || this.ended) return
    this.failed = true
    this.error = e
    this.notify()
  }

  private detach(): void {
    if (this.detached) return
    this.detached = true
    const s = this.stream
    s.off('data', this.onData)
    s.off('end', this.onEnd)
    s.off('close', this.onClose)
    // Errors after the end must not become uncaught: keep a listener, as Node's iterator does through finished().
    s.off('error', this.onError)
    s.on('error', () => {})
    if (!s.destroyed) s.destroy()
  }
}
