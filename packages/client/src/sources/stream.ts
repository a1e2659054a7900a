/**
 * A one-pass stream (Node Readable, WHATWG ReadableStream, any async iterable). It cannot rewind, so it keeps the bytes
 * the server has not confirmed yet: at most one request's worth plus one read-ahead chunk (used to learn whether the
 * stream ends exactly at a request boundary, so the last request can say `Upload-Complete: ?1`). Slices are views into
 * that window, never copies.
 */
import type { Slice, Source } from '../core/types.js'
import { UploadError } from '../errors.js'
import { bytesBody } from './bytes.js'

export class StreamSource implements Source {
  readonly seekable = false
  private buf: Uint8Array[] = []
  /** Offset of `buf[0][0]`. */
  private start = 0
  /** Offset just past the last buffered byte. */
  private end = 0
  private ended = false

  constructor(
    private readonly it: AsyncIterator<Uint8Array>,
    /** The length, when the caller knows it in advance. */
    private readonly declared?: number | undefined,
  ) {}

  get size(): number | undefined {
    return this.declared ?? (this.ended ? this.end : undefined)
  }

  /** Bytes held in memory now (unconfirmed bytes plus the read-ahead chunk). */
  get buffered(): number {
    return this.end - this.start
  }

  async fingerprint(): Promise<string | undefined> {
    return undefined
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false
    const r = await this.it.next()
    if (r.done) {
      this.ended = true
      if (this.declared !== undefined && this.end !== this.declared)
        throw new UploadError(
          'ERR_SOURCE',
          `the stream ended after ${this.end} bytes, not the declared ${this.declared}`,
        )
      return false
    }
    const chunk = r.value
    if (chunk.byteLength === 0) return true
    this.buf.push(chunk)
    this.end += chunk.byteLength
    if (this.declared !== undefined && this.end > this.declared)
      throw new UploadError('ERR_SOURCE', `the stream is longer than the declared ${this.declared} bytes`)
    return true
  }

  /** Forgets the bytes before `offset` (at most up to what is buffered). */
  private drop(offset: number): void {
    const to = Math.min(offset, this.end)
    while (this.start < to) {
      const head = this.buf[0]!
      const n = to - this.start
      if (head.byteLength <= n) {
        this.buf.shift()
        this.start += head.byteLength
      } else {
        this.buf[0] = head.subarray(n)
        this.start += n
      }
    }
  }

  async slice(from: number, max: number): Promise<Slice> {
    if (from < this.start)
      throw new UploadError(
        'ERR_SOURCE',
        `the server asks for bytes from ${from}, but this stream cannot rewind before ${this.start}`,
      )
    this.drop(from)
    // The server may already hold more than was confirmed (post-11 drafts allow it): skip those bytes.
    while (this.end < from) {
      if (!(await this.pull()))
        throw new UploadError('ERR_SOURCE', `the server holds ${from} bytes but the stream has only ${this.end}`)
      this.drop(from)
    }
    const want = this.declared === undefined ? from + max : Math.min(from + max, this.declared)
    // Read until the window covers `want` and one byte more (or the stream ends), to know if this slice is the last.
    while (this.end <= want && (this.declared === undefined || this.end < want)) if (!(await this.pull())) break
    const to = Math.min(want, this.end)
    const parts: Uint8Array[] = []
    let pos = this.start
    for (const c of this.buf) {
      if (pos >= to) break
      const a = Math.max(0, from - pos)
      const b = Math.min(c.byteLength, to - pos)
      if (b > a) parts.push(a === 0 && b === c.byteLength ? c : c.subarray(a, b))
      pos += c.byteLength
    }
    const size = this.size
    return { body: bytesBody(parts), last: size !== undefined && to === size }
  }

  release(offset: number): void {
    if (offset > this.start) this.drop(offset)
  }

  async close(): Promise<void> {
    await this.it.return?.()
  }
}
