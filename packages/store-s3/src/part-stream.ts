/**
 * One part sent to S3 while its bytes arrive: used for a part the body is known to fill completely (the append knows
 * the body's length, append.ts), so that its bytes go from the request straight into `UploadPart` instead of being
 * held whole first. A part held first and then sent costs, once part memory is used up, a write and a read of its
 * temporary file on the main thread (part-buffer.ts); a streamed part's copy is written but, once S3 holds the part,
 * never read.
 *
 * A copy (in part memory, or a temporary file: the append's `PartBuffer`) is kept when part memory has room, or on
 * disk when the store spools streamed parts (`S3StoreOptions.spoolStreamedParts`), for what can go wrong:
 * - the body ends early or fails inside the part: the request is aborted (S3 got fewer bytes than the part's
 *   Content-Length, so stores nothing under that number), and the bytes received so far, all in the copy, become the
 *   upload's tail exactly as when the part was held (`cut`);
 * - S3 fails the part with a failure worth retrying (`withRetries`, bucket.ts): it is sent again from the copy once
 *   the copy is whole (the body goes on filling it; later bytes are no longer streamed).
 * The copy is released, unread, once S3 has acknowledged the part. A part streamed with no copy (`copied` false:
 * part memory was full and the store does not spool streamed parts) loses, when cut, the bytes it received, none of
 * which was acknowledged (the offset is reported only for parts S3 holds); the client sends them again from the
 * offset. Its failed attempt is not retried: it fails the append, whose offset stays what was committed.
 *
 * Back-pressure: the body is read only while the stream to S3 holds less than `STREAM_AHEAD` bytes S3 has not taken,
 * so a slow or stalled S3 holds up the body's reading (plus one chunk) rather than piling up bytes in memory.
 */
import type { ReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { withRetries } from './bucket.js'
import { partBody, type SpooledPart } from './part-buffer.js'

/**
 * Bytes of a streamed part read from the body ahead of what the S3 request has taken. Enough for a few socket reads
 * (16-64 KiB each) to be in hand whenever the request wants more; 100 appends at once hold at most 25 MiB this way.
 */
export const STREAM_AHEAD = 256 * 1024

/** Sends one attempt of the part with this body; resolves to its ETag. */
export type SendPart = (body: Readable | Buffer | ReadStream, signal: AbortSignal) => Promise<string>

/** A streamed part whose body ended before the part was full: nothing of it is sent (append.ts keeps it as tail). */
export class PartCutError extends Error {
  readonly code = 'part-cut'
  constructor() {
    super('the body ended inside a part being streamed to S3')
  }
}

export class PartStream {
  /** The part's ETag once S3 holds it. Settles only once the copy is released (when it was handed over). */
  readonly done: Promise<string>
  /** Set by `cut`: `done` then rejects, and that is no failure of the append. */
  wasCut = false
  private readonly body: Readable
  private readonly abort = new AbortController()
  private received = 0
  /** The streamed attempt failed: later bytes only fill the copy, which is sent once whole. */
  private dead = false
  private settled = false
  /** Wakes a `write` waiting for S3 to take bytes. */
  private wake: (() => void) | undefined
  private copy: SpooledPart | undefined
  private readonly whole: Promise<SpooledPart>
  private resolveWhole!: (p: SpooledPart) => void
  private rejectWhole!: (e: Error) => void

  constructor(
    readonly size: number,
    send: SendPart,
    private readonly release: (p: SpooledPart) => Promise<void>,
    /** Whether the caller keeps a copy (`handOver`): without one, a failed attempt cannot be sent again. */
    readonly copied = true,
  ) {
    this.body = new Readable({ highWaterMark: STREAM_AHEAD, read: () => this.resume() })
    this.whole = new Promise<SpooledPart>((resolve, reject) => {
      this.resolveWhole = resolve
      this.rejectWhole = reject
    })
    // Awaited only by a resend: a cut part's rejection must not go unhandled when there was none.
    this.whole.catch(() => {})
    const { signal } = this.abort
    let attempt = 0
    const stream = (): Promise<string> =>
      send(this.body, signal).catch((e: unknown) => {
        this.dead = true
        this.body.destroy()
        this.resume()
        throw e
      })
    // Without a copy the one attempt is all there is: its failure fails the append (append.ts).
    const sent = copied
      ? withRetries(() => (attempt++ > 0 ? this.whole.then((p) => send(partBody(p), signal)) : stream()), signal)
      : stream()
    this.done = sent.finally(async () => {
      this.settled = true
      this.body.destroy()
      this.resume()
      if (this.copy) await this.release(this.copy)
    })
  }

  /** Bytes of the part still to come. */
  get remaining(): number {
    return this.size - this.received
  }

  /**
   * Streams the next bytes of the part (the caller has put them in the copy already); returns once S3's request has
   * room for more, or at once when the part is complete or the streamed attempt failed.
   */
  async write(piece: Uint8Array): Promise<void> {
    this.received += piece.byteLength
    if (this.dead || this.settled) return
    const more = this.body.push(piece)
    if (this.received >= this.size) {
      this.body.push(null)
      return
    }
    if (!more)
      await new Promise<void>((r) => {
        this.wake = r
      })
  }

  /** The copy, now holding all the part's bytes: what a resend sends; released once `done` settles. */
  async handOver(copy: SpooledPart): Promise<void> {
    if (this.settled) return this.release(copy)
    this.copy = copy
    this.resolveWhole(copy)
  }

  /** The body ended (or failed) before the part was full: the request is given up; the copy stays the caller's. */
  cut(): void {
    this.wasCut = true
    this.rejectWhole(new PartCutError())
    this.abort.abort(new PartCutError())
    this.body.destroy()
    this.resume()
  }

  private resume(): void {
    const w = this.wake
    this.wake = undefined
    w?.()
  }
}
