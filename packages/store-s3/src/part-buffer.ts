/**
 * Bytes held until they make up one part, cut exactly at part boundaries: in memory while the store's part memory
 * (`PartMemory`, shared by all its appends) has room for one more part, else in a temporary file (one per part). A
 * part waits there until it is sent, and is sent from there (the buffer itself, or a file stream).
 *
 * Why both: a part spooled to disk costs a write and a read of its bytes (on Node 20 with io_uring, both run on the
 * main thread: about 2.5 s of CPU per GiB on this project's bench machine, a third of the server's CPU, docs/
 * benchmarks.md `s3`), and the 64 KiB buffers of the file stream keep the garbage collector busy. But parts held in
 * memory without bound made 100 concurrent 8 MiB uploads on a busy S3 service hold 800+ MiB (4.5× @tus/s3-store,
 * which spools to disk). So a fixed amount of memory (default 5 parts, `S3StoreOptions.partMemory`) is reused for
 * part after part, and what does not fit goes to disk: memory per store is bounded by that amount plus a few chunks
 * per running append; temporary disk is at most `PARTS_IN_FLIGHT` + 1 parts per append (append.ts).
 *
 * A part streamed to S3 while it fills (part-stream.ts) is held here too, as its copy: the bytes a cut body leaves
 * (they become the tail) and what a resend sends. Such a copy is written but, once S3 holds the part, never read; it
 * goes to a file only when the store spools streamed parts (`startInMemory` says whether memory had room), since
 * those file writes were the largest cost of 100 concurrent uploads (issue 15).
 *
 * Files are named `rufh-s3-<random>` in the given folder and removed once sent or when the append ends (`discard`).
 */
import { randomUUID } from 'node:crypto'
import { createReadStream, type ReadStream } from 'node:fs'
import { type FileHandle, open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'

/** A full part, or the rest: in memory (`bytes`, of which the first `size` are the part's) or in its own file. */
export type SpooledPart = { size: number } & ({ bytes: Buffer; path?: undefined } | { path: string; bytes?: undefined })

/**
 * Memory for parts, shared by every append of one store: buffers of at most `bytes` in all, handed out whole and
 * reused when given back while parts are still in use (so a running upload does not allocate and collect a part's
 * worth of buffers per part); once none is in use they are let go, so an idle server does not keep them resident.
 */
export class PartMemory {
  private used = 0
  private readonly free: Buffer[] = []

  constructor(readonly bytes: number) {}

  /** A buffer of `size` bytes (its content is stale), or undefined when the memory is used up. */
  take(size: number): Buffer | undefined {
    const i = this.free.findIndex((b) => b.byteLength === size)
    if (i >= 0) {
      this.used += size
      return this.free.splice(i, 1)[0]
    }
    // Buffers of other sizes (uploads with larger parts) make room for this one.
    while (this.free.length > 0 && this.used + this.freeBytes() + size > this.bytes) this.free.shift()
    if (this.used + this.freeBytes() + size > this.bytes) return undefined
    this.used += size
    return Buffer.allocUnsafeSlow(size)
  }

  give(b: Buffer): void {
    this.used -= b.byteLength
    if (this.used > 0) this.free.push(b)
    else this.free.length = 0
  }

  /** Bytes kept for reuse (not handed out). */
  get kept(): number {
    return this.freeBytes()
  }

  /** Bytes handed out and not given back yet. */
  get inUse(): number {
    return this.used
  }

  private freeBytes(): number {
    return this.free.reduce((n, b) => n + b.byteLength, 0)
  }
}

/**
 * A file's bytes are written in batches of about this many (one `writev` of the chunks as they came, not copied):
 * 8 MiB files written 4 at a time in 64 KiB chunks cost 1.0 s of CPU per GiB with one write per chunk, 0.54 s with
 * 256 KiB batches, 0.41 s with 1 MiB ones (this project's bench machine, load 3-8): the cost is the call per write,
 * not the bytes. The chunks wait in memory meanwhile, so batches are kept small: 100 uploads filling parts in files
 * hold at most 25 MiB of them this way.
 */
const WRITE_BATCH = 256 * 1024
/** And at most this many chunks per write (well under the system's IOV_MAX of 1024), however small they are. */
const WRITE_BATCH_CHUNKS = 128

/** A part being filled in a file: chunks not yet written wait in `pending`. */
type FileFilling = {
  size: number
  path: string
  fh: FileHandle
  buf?: undefined
  pending: Uint8Array[]
  pendingBytes: number
}

type Filling = ({ size: number } & { buf: Buffer; path?: undefined }) | FileFilling

export class PartBuffer {
  private readonly full: SpooledPart[] = []
  private current: Filling | undefined

  constructor(
    private readonly partSize: number,
    private readonly dir: string,
    private readonly memory: PartMemory | undefined,
  ) {}

  /** Bytes held: full parts and the part being filled. */
  get size(): number {
    return this.full.length * this.partSize + (this.current?.size ?? 0)
  }

  /** Whether a full part waits to be taken (`takePart`). */
  get hasFull(): boolean {
    return this.full.length > 0
  }

  /** Bytes the part being filled still takes (a whole part's when none is being filled). */
  get room(): number {
    return this.partSize - (this.current?.size ?? 0)
  }

  async push(chunk: Uint8Array): Promise<void> {
    let at = 0
    while (at < chunk.byteLength) {
      if (!this.current) this.current = await this.start()
      const c = this.current
      const n = Math.min(chunk.byteLength - at, this.partSize - c.size)
      if (c.buf) c.buf.set(chunk.subarray(at, at + n), c.size)
      else {
        c.pending.push(at === 0 && n === chunk.byteLength ? chunk : chunk.subarray(at, at + n))
        c.pendingBytes += n
        if (c.pendingBytes >= WRITE_BATCH || c.pending.length >= WRITE_BATCH_CHUNKS) await flush(c)
      }
      c.size += n
      at += n
      if (c.size === this.partSize) {
        this.current = undefined
        this.full.push(await close(c))
      }
    }
  }

  private async start(): Promise<Filling> {
    const buf = this.memory?.take(this.partSize)
    if (buf) return { buf, size: 0 }
    const path = join(this.dir, `rufh-s3-${randomUUID()}`)
    return { path, fh: await open(path, 'wx', 0o600), size: 0, pending: [], pendingBytes: 0 }
  }

  /**
   * Starts the next part in part memory now, if there is room (true; also when the part being filled is in memory
   * already): a part streamed to S3 keeps its copy there (part-stream.ts), and only there unless the append spools
   * streamed parts (append.ts).
   */
  startInMemory(): boolean {
    if (this.current) return this.current.buf !== undefined
    const buf = this.memory?.take(this.partSize)
    if (buf) this.current = { buf, size: 0 }
    return buf !== undefined
  }

  /** The oldest full part, if there is one; the caller releases it (`release`) once it is sent. */
  takePart(): SpooledPart | undefined {
    return this.full.shift()
  }

  /** The part being filled (fewer than one part's bytes; none while full parts wait), emptying the buffer. */
  async takeRest(): Promise<SpooledPart | undefined> {
    if (this.full.length > 0) throw new Error('PartBuffer: full parts must be taken first')
    const c = this.current
    if (!c) return undefined
    this.current = undefined
    return close(c)
  }

  /** Releases every part still held (an append that failed, or ended). */
  async discard(): Promise<void> {
    const c = this.current
    this.current = undefined
    const held = [...this.full]
    this.full.length = 0
    if (c) held.push(await close(c).catch(() => ({ size: 0, path: c.path as string })))
    await Promise.all(held.map((p) => this.release(p)))
  }

  /** Gives a part's memory back, or removes its file. */
  release(p: SpooledPart): Promise<void> {
    if (p.bytes) {
      this.memory?.give(p.bytes)
      return Promise.resolve()
    }
    return rm(p.path, { force: true })
  }
}

async function close(c: Filling): Promise<SpooledPart> {
  if (c.buf) return { bytes: c.buf, size: c.size }
  try {
    await flush(c)
  } finally {
    await c.fh.close()
  }
  return { path: c.path, size: c.size }
}

/** Writes the chunks a file part holds in memory (appending: the file is only ever written in order). */
async function flush(c: FileFilling): Promise<void> {
  const chunks = c.pending
  if (chunks.length === 0) return
  const want = c.pendingBytes
  c.pending = []
  c.pendingBytes = 0
  let done = (await c.fh.writev(chunks)).bytesWritten
  // A short write (rare for a regular file) is followed by one of the rest, from where it stopped.
  if (done < want) {
    const all = Buffer.concat(chunks)
    while (done < want) done += (await c.fh.write(all, done, want - done)).bytesWritten
  }
}

/** A part's bytes as a body to send: the buffer itself, or its file as a stream (a new one per attempt). */
export function partBody(p: SpooledPart): Buffer | ReadStream {
  // The default 64 KiB reads: with 1 MiB ones, 100 parts sent from disk at once held 2 MiB each (peak RSS 317 MiB
  // against 185 in the same run, docs/benchmarks.md `s3`).
  return p.bytes ? p.bytes.subarray(0, p.size) : createReadStream(p.path)
}

export async function readPart(p: SpooledPart): Promise<Buffer> {
  return p.bytes ? Buffer.from(p.bytes.subarray(0, p.size)) : readFile(p.path)
}
