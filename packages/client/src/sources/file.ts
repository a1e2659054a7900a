/**
 * A file on disk (Node). Each slice is a fresh `fs.ReadStream` over its byte range, piped to the socket with
 * backpressure: nothing but the stream's read buffer is in memory, whatever the file size.
 */
import { createReadStream } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Body, Slice, Source } from '../core/types.js'
import { UploadError } from '../errors.js'

/** Read size of the file streams: large reads keep syscalls few on the hot path. */
const READ_CHUNK = 512 * 1024

export class FileSource implements Source {
  readonly seekable = true

  private constructor(
    readonly path: string,
    readonly size: number,
    private readonly mtimeMs: number,
    private readonly ino: number,
    private handle: FileHandle | undefined,
  ) {}

  /** Opens the file (kept open, so a rename or delete during the upload does not change what is sent). */
  static async open(path: string): Promise<FileSource> {
    const abs = resolve(path)
    const handle = await open(abs, 'r')
    try {
      const st = await handle.stat()
      if (!st.isFile()) throw new UploadError('ERR_SOURCE', `${path} is not a regular file`)
      return new FileSource(abs, st.size, st.mtimeMs, st.ino, handle)
    } catch (e) {
      await handle.close()
      throw e
    }
  }

  async fingerprint(): Promise<string | undefined> {
    return `file:${this.path}:${this.size}:${Math.floor(this.mtimeMs)}:${this.ino}`
  }

  async slice(start: number, max: number): Promise<Slice> {
    const end = Math.min(this.size, start + max)
    return { body: this.body(start, end), last: end === this.size }
  }

  private body(start: number, end: number): Body {
    const handle = this.handle
    if (!handle) throw new UploadError('ERR_SOURCE', `${this.path} is closed`)
    return {
      size: end - start,
      chunks: () => {
        if (end === start) return (async function* () {})()
        // `fd` of an open FileHandle: the stream must not close the shared handle.
        return createReadStream('', {
          fd: handle.fd,
          autoClose: false,
          start,
          end: end - 1,
          highWaterMark: READ_CHUNK,
        })
      },
    }
  }

  release(_offset: number): void {}

  async close(): Promise<void> {
    const h = this.handle
    this.handle = undefined
    await h?.close()
  }
}
