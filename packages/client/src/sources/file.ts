/**
 * A file on disk (Node). Each slice is a byte range of the file, which the Node transports read into two reused
 * buffers (transports/node-file-body.ts), or a fresh `fs.ReadStream` over it for any other consumer: nothing but a
 * read buffer or two is in memory, whatever the file size. Before each slice the file is checked to be the one
 * fingerprinted (same size, mtime and inode): a file changed mid-upload fails with `ERR_SOURCE` rather than sending
 * mixed content.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
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
  ) {}

  static async open(path: string): Promise<FileSource> {
    const abs = resolve(path)
    const st = await stat(abs).catch((e: NodeJS.ErrnoException) => {
      throw new UploadError('ERR_SOURCE', `cannot read ${path}: ${e.code ?? e.message}`, { cause: e })
    })
    if (!st.isFile()) throw new UploadError('ERR_SOURCE', `${path} is not a regular file`)
    return new FileSource(abs, st.size, st.mtimeMs, st.ino)
  }

  async fingerprint(): Promise<string | undefined> {
    return `file:${this.path}:${this.size}:${Math.floor(this.mtimeMs)}:${this.ino}`
  }

  async slice(start: number, max: number): Promise<Slice> {
    const st = await stat(this.path).catch(() => undefined)
    if (!st || st.size !== this.size || st.mtimeMs !== this.mtimeMs || st.ino !== this.ino)
      throw new UploadError('ERR_SOURCE', `${this.path} changed or disappeared during the upload`)
    const end = Math.min(this.size, start + max)
    return { body: this.body(start, end), last: end === this.size }
  }

  private body(start: number, end: number): Body {
    const path = this.path
    return {
      size: end - start,
      chunks: () => {
        if (end === start) return (async function* () {})()
        return createReadStream(path, { start, end: end - 1, highWaterMark: READ_CHUNK })
      },
      fileRange: () => ({ path, start, end }),
    }
  }

  release(_offset: number): void {}

  async close(): Promise<void> {}
}
