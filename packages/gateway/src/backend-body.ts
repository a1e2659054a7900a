/**
 * The body of a stream-mode backend request, written append after append. A byte counts as taken (and so as the
 * upload's offset) once the connection took it: the write's callback, which runs when the bytes have left this
 * process for the socket. Bytes still queued in the request's buffer are not counted, so the offset told to the
 * client never includes bytes a dying backend request would drop.
 *
 * Back-pressure without a promise per chunk: a write returns at once while less than the socket's highWaterMark is
 * queued; past it the writer waits, woken by the write callbacks, 'drain' and 'close' (one listener each for the
 * request's whole life, not an `events.once` pair per chunk: those piled up on 'close' until the request ended and
 * made every 'drain' cost a scan of them, most of the stream mode's CPU time and part of its memory).
 */
import type { ClientRequest } from 'node:http'

export class BackendBody {
  /** Bytes the connection took. */
  taken: number
  private handed: number
  private wake: (() => void) | undefined
  private released = false
  private readonly notify = () => {
    const w = this.wake
    this.wake = undefined
    w?.()
  }

  constructor(
    private readonly req: ClientRequest,
    offset: number,
    /** Called with `taken` each time it grows. */
    private readonly onTaken: (taken: number) => void,
  ) {
    this.taken = offset
    this.handed = offset
    req.on('drain', this.notify)
    req.on('close', this.notify)
  }

  /** The request can take no more bytes (ended, destroyed or failed). */
  get gone(): boolean {
    return this.req.destroyed || this.req.writableEnded
  }

  /** Writes one chunk; resolves once the queue is below the highWaterMark again (at once when it already is). */
  write(chunk: Uint8Array): Promise<void> | undefined {
    const n = chunk.byteLength
    this.handed += n
    const below = this.req.write(chunk, (err) => {
      if (!err) {
        this.taken += n
        this.onTaken(this.taken)
      }
      this.notify()
    })
    return below ? undefined : this.until(() => !this.req.writableNeedDrain)
  }

  /** Resolves once every byte written so far was taken, or the request is gone. */
  flushed(): Promise<void> | undefined {
    return this.taken === this.handed ? undefined : this.until(() => this.taken === this.handed)
  }

  /** No more waiting for the connection (the upload was closed, e.g. the backend answered early and reads no more). */
  release(): void {
    this.released = true
    this.notify()
  }

  private async until(done: () => boolean): Promise<void> {
    while (!done() && !this.req.destroyed && !this.released) await new Promise<void>((resolve) => (this.wake = resolve))
  }
}
