/**
 * Pulls a Node Readable (an http.IncomingMessage, an HTTP/2 request) chunk by chunk without an async generator.
 *
 * Node's own `readable[Symbol.asyncIterator]()` is an async generator: while it awaits the next chunk, its suspended
 * frame still holds the chunk it yielded last. A held upload trickling 16 KiB every half second then keeps one
 * 16 KiB buffer alive per upload between chunks, which is most of what a held upload costs in live heap (issue 17,
 * docs/benchmarks.md). This iterator keeps nothing between reads. It ends, and fails, as Node's does: `done` after
 * 'end', the stream's error on 'error', ERR_STREAM_PREMATURE_CLOSE when it closes before its end; after a normal end
 * or a failure it destroys the stream, as Node's does (`destroyOnReturn`).
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
  private wake: (() => void) | undefined
  private readonly onReadable = () => this.notify()
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
    stream.on('readable', this.onReadable)
    stream.on('end', this.onEnd)
    stream.on('error', this.onError)
    stream.on('close', this.onClose)
    if (stream.readableEnded) this.ended = true
    else if (stream.destroyed) this.fail(stream.errored ?? new PrematureCloseError())
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      if (this.failed) {
        this.detach()
        throw this.error
      }
      const chunk = this.stream.destroyed ? null : (this.stream.read() as Uint8Array | null)
      if (chunk !== null) return { done: false, value: chunk }
      if (this.ended) {
        this.detach()
        return DONE
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
    }
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private fail(e: unknown): void {
    if (this.failed || this.ended) return
    this.failed = true
    this.error = e
    this.notify()
  }

  private detach(): void {
    const s = this.stream
    s.off('readable', this.onReadable)
    s.off('end', this.onEnd)
    s.off('close', this.onClose)
    // Errors after the end must not become uncaught: keep a listener, as Node's iterator does through finished().
    s.off('error', this.onError)
    s.on('error', () => {})
    if (!s.destroyed) s.destroy()
  }
}
