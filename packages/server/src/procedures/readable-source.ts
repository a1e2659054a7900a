/**
 * Pulls a Node Readable (an http.IncomingMessage, an HTTP/2 request) chunk by chunk without an async generator.
 *
 * Node's own `readable[Symbol.asyncIterator]()` is an async generator: while it awaits the next chunk, its suspended
 * frame still holds the chunk it yielded last. A held upload trickling 16 KiB every half second then keeps one
 * 16 KiB buffer alive per upload between chunks, which is most of what a held upload costs in live heap (issue 17,
 * docs/benchmarks.md). This iterator keeps nothing between reads. It ends, and fails, as Node's does: `done` after
 * 'end', the stream's error on 'error', ERR_STREAM_PREMATURE_CLOSE when it closes before its end; after a normal end
 * or a failure it destroys the stream, as Node's does (`destroyOnReturn`).
 *
 * It reads in flowing mode ('data'), handing each chunk straight to the waiting read, and pauses the stream only
 * while a chunk waits for a read. Pulling with 'readable' and `read()` instead lets every 16 KiB chunk fill the
 * request's buffer (its highWaterMark is 16 KiB), so Node stops and restarts reading the socket once per chunk: two
 * `epoll_ctl` calls and a pause and resume in JavaScript per chunk that a piping server does not make (issue 17).
 */
import type { Readable } from 'node:stream'

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined }

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

export class ReadableSource implements AsyncIterator<Uint8Array> {
  private ended = false
  private error: unknown
  private failed = false
  /** The read waiting for a chunk: given one, or woken with none to look again (an end, a failure). */
  private waiter: ((chunk: Uint8Array | undefined) => void) | undefined
  /** Chunks that arrived while no read waited; the stream is paused until they are taken. */
  private readonly pending: Uint8Array[] = []
  private readonly onData = (chunk: Uint8Array) => {
    const waiter = this.waiter
    if (waiter) {
      this.waiter = undefined
      waiter(chunk)
      return
    }
    this.pending.push(chunk)
    this.stream.pause()
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

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      if (this.failed) {
        this.detach()
        throw this.error
      }
      const queued = this.pending.shift()
      if (queued !== undefined) {
        if (this.pending.length === 0 && !this.ended) this.stream.resume()
        return { done: false, value: queued }
      }
      if (this.ended) {
        this.detach()
        return DONE
      }
      const chunk = await new Promise<Uint8Array | undefined>((resolve) => {
        this.waiter = resolve
      })
      if (chunk !== undefined) return { done: false, value: chunk }
    }
  }

  private notify(): void {
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.(undefined)
  }

  private fail(e: unknown): void {
    if (this.failed || this.ended) return
    this.failed = true
    this.error = e
    this.notify()
  }

  private detach(): void {
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
