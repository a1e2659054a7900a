/**
 * The embedded default store: one data file and one JSON info file per upload in a folder.
 *
 * Crash safety: the offset is the data file's size, so it is exactly the bytes the kernel holds, and after `kill -9`
 * at any moment the offset reported never exceeds the bytes stored. The info file is replaced atomically: in place
 * with one write of at most a page, over a record that carries a checksum (info-record.ts: a reader that raced the
 * write sees a mismatch and reads again, and a kill -9 cannot tear a one-page write), otherwise by writing a temporary
 * file and renaming it over the old one. A new upload's info file is written where it belongs (created exclusively, then one
 * write): nothing is there to replace, nobody has the upload's URL before `create` returns, and a `kill -9` between
 * the create and the write leaves an empty info file, which is no upload (`get` answers not found) and is reclaimed
 * with its data file (disk-orphans.ts). With `fsync: true`, data is flushed before an append returns and info files
 * and the folder are flushed on every change, which extends the guarantee to power loss at some cost in throughput
 * (info files then always go through a temporary file: a power loss can leave a file written in place torn).
 *
 * Memory: appends stream through a small write queue (about two batches of `highWaterMark` bytes and a chunk each:
 * one being written, one filling), whatever the body size.
 */
import { createReadStream } from 'node:fs'
import { mkdir, readdir, rm, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { OffsetMismatchError, UploadExistsError, UploadNotFoundError } from '@rufh/protocol'
import { isUploadId } from '../ids.js'
import { InfoFiles, type Meta } from './disk-info.js'
import { type EmptyInfos, reclaimOrphans } from './disk-orphans.js'
import { closeFd, datasyncFd, fdSize, openFd, pathSize } from './fd.js'
import { FileWriter } from './file-writer.js'
import { isPushBody } from './push-body.js'
import { appendPushed } from './pushed-append.js'
import {
  type AppendOptions,
  type ConcatenatingStore,
  type ListableStore,
  type NewUpload,
  newUploadMeta,
  type ReadableStore,
  type ReclaimingStore,
  type TruncatableStore,
  type UploadInfo,
  type UploadPatch,
} from './store.js'

export interface DiskStoreOptions {
  directory: string
  /** Flush data and metadata to stable storage before acknowledging (power-loss safety). Default false. */
  fsync?: boolean
  /** Bytes queued for writing before the reader waits for the disk. Default 256 KiB (small, so that many concurrent uploads stay cheap). */
  highWaterMark?: number
  /** A data file without info (or a temporary info file) this old is a crash's leftover, removed. Default 1 h. */
  orphanAgeMs?: number
  /** Bytes per file read of `read()`. Default 64 KiB (Node's); the gateway's spool forward reads 1 MiB at a time. */
  readChunkSize?: number
}

export class DiskStore implements ListableStore, ReadableStore, TruncatableStore, ConcatenatingStore, ReclaimingStore {
  readonly directory: string
  /** `directory` joined with a path separator: an upload's data file is `prefix + id`. */
  private readonly prefix: string
  private readonly fsync: boolean
  private readonly highWaterMark: number
  private readonly orphanAgeMs: number
  private readonly readChunkSize: number | undefined
  private ready: Promise<unknown> | undefined
  private readonly infos: InfoFiles
  /** What `reclaim` looks at again for empty info files (disk-orphans.ts). */
  private readonly emptyInfos: EmptyInfos = { candidates: undefined }
  /**
   * Descriptors of data files `create` just made, each kept for the append that follows at once in the same request
   * (a creation carrying its body, or a tus creation's empty append): that append then needs no open and no fstat
   * (the file is new, so its size is 0), three file-system calls fewer per upload (issue 17). One not taken by the
   * end of the creation's turn of the event loop is closed.
   */
  private readonly fresh = new Map<string, number>()

  constructor(options: DiskStoreOptions) {
    this.directory = options.directory
    this.prefix = join(this.directory, '_').slice(0, -1)
    this.fsync = options.fsync ?? false
    this.highWaterMark = options.highWaterMark ?? 256 * 1024
    this.orphanAgeMs = options.orphanAgeMs ?? 3_600_000
    this.readChunkSize = options.readChunkSize
    this.infos = new InfoFiles(this.directory, this.fsync)
  }

  private ensureDir(): Promise<unknown> {
    this.ready ??= mkdir(this.directory, { recursive: true })
    return this.ready
  }

  /** Paths only for IDs of the strict form: nothing a client sends can name a file outside the folder. */
  private paths(id: string): { data: string; info: string } {
    if (!isUploadId(id)) throw new UploadNotFoundError()
    // An ID is 24 of [A-Za-z0-9_-], so appending it to the joined folder is what `join` would give, without the
    // normalizing pass `join` makes on each call (several per request: 7 KB of garbage per held upload, issue 17).
    return { data: this.prefix + id, info: `${this.prefix}${id}.json` }
  }

  async create(init: NewUpload): Promise<UploadInfo> {
    await this.ensureDir()
    const { data } = this.paths(init.id)
    const meta: Meta = newUploadMeta(init)
    // 'wx': an ID collision (or a reused ID) fails instead of overwriting someone's upload.
    const fd = await openFd(data, 'wx').catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'EEXIST' ? new UploadExistsError(init.id) : e
    })
    try {
      await this.infos.create(meta, this.paths(meta.id).info)
    } catch (e) {
      await closeFd(fd)
      throw e
    }
    this.fresh.set(init.id, fd)
    setImmediate(() => this.closeFresh(init.id))
    return { ...meta, offset: 0 }
  }

  /** The descriptor `create` kept for `id`, now the caller's to close; undefined when there is none. */
  private takeFresh(id: string): number | undefined {
    const fd = this.fresh.get(id)
    if (fd !== undefined) this.fresh.delete(id)
    return fd
  }

  private closeFresh(id: string): void {
    const fd = this.takeFresh(id)
    // A close of a file nobody wrote to has nothing to report.
    if (fd !== undefined) closeFd(fd).catch(() => {})
  }

  async get(id: string): Promise<UploadInfo> {
    // Both at once: each is a thread-pool round trip, and neither depends on the other.
    const [meta, offset] = await Promise.all([this.infos.read(id, this.paths(id).info), this.size(id)])
    return settled(meta, offset)
  }

  /** The offset: the data file's size. */
  private async size(id: string): Promise<number> {
    try {
      return await pathSize(this.paths(id).data)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UploadNotFoundError()
      throw e
    }
  }

  async append(
    id: string,
    offset: number,
    body: AsyncIterable<Uint8Array>,
    options: AppendOptions = {},
  ): Promise<number> {
    const { data } = this.paths(id)
    // Right after `create`, its descriptor: the file is new, so its size is 0.
    const fresh = this.takeFresh(id)
    // Otherwise the data file is opened when the first bytes arrive, not before: a held upload whose body has not
    // started holds no file handle, and an append without bytes costs one stat instead of open, fstat and close.
    let fd: number | undefined
    const opened = async (): Promise<number> => {
      if (fresh !== undefined) {
        checkOffset(0, offset)
        fd = fresh
        return fd
      }
      fd = await openFd(data, 'r+')
      checkOffset(await fdSize(fd), offset)
      return fd
    }
    try {
      const end = await this.writeStream(opened, offset, body, options.onProgress, options.release)
      if (fd === undefined) checkOffset(fresh === undefined ? await this.size(id) : 0, offset)
      else if (this.fsync) await datasyncFd(fd)
      return end
    } finally {
      const open = fd ?? fresh
      if (open !== undefined) await closeFd(open)
    }
  }

  /**
   * Pulls chunks while the previous batch is being written (so reading the socket and writing the disk overlap) and
   * writes each batch with one writev (file-writer.ts). Waits for the disk only when highWaterMark bytes are queued
   * behind the write in flight, and then only until that write is done. The file is asked for (`opened`) before the
   * first write. A body that pushes its chunks (a request's, through the body reader) goes through the same steps
   * without a promise per chunk (pushed-append.ts).
   */
  private async writeStream(
    opened: () => Promise<number>,
    start: number,
    body: AsyncIterable<Uint8Array>,
    onProgress?: (offset: number) => void,
    release?: boolean,
  ): Promise<number> {
    const writer = new FileWriter(start, onProgress, release)
    if (isPushBody(body)) {
      await appendPushed(body, writer, opened, this.highWaterMark)
      return writer.pos
    }
    const source = iteratorOf(body)
    try {
      try {
        while (writer.failure === undefined) {
          let r: IteratorResult<Uint8Array> | undefined = await source.next()
          if (r.done) break
          if (r.value.byteLength > 0) writer.push(r.value)
          // Not a `for await` loop, and cleared here: this frame waits for the next chunk, and a chunk it still
          // referred to would stay alive meanwhile, one buffer per held upload (issue 17, docs/benchmarks.md).
          r = undefined
          // Until the file is open, no more than the first chunk is taken: on a busy thread pool an open can wait
          // for seconds, and bytes left unread wait in the kernel's socket buffer, not in this process (issue 17).
          if (!writer.isOpen && writer.queued > 0) {
            try {
              writer.open(await opened())
            } catch (e) {
              writer.fail(e)
            }
          }
          if (writer.queued >= this.highWaterMark) await writer.moved()
        }
      } finally {
        // Like `for await`: a consumer that stops early (a write failed) tells the source.
        if (writer.failure !== undefined) await source.return?.()
      }
    } finally {
      // Also when the body threw: what it yielded is stored, and no write is still in flight on the descriptor when
      // the caller closes it (a closed descriptor's number is reused by the next open).
      await writer.settled()
    }
    if (writer.failure !== undefined) throw writer.failure
    return writer.pos
  }

  async truncate(id: string, offset: number): Promise<void> {
    const { data } = this.paths(id)
    await truncate(data, offset)
  }

  /**
   * Streams each part's bytes into a new data file; the new upload is complete (its info is written last: a crash
   * before leaves a data file without info, which `reclaim` removes).
   */
  async concatenate(init: NewUpload, partIds: readonly string[]): Promise<UploadInfo> {
    await this.ensureDir()
    const { data } = this.paths(init.id)
    const fd = await openFd(data, 'wx')
    let offset = 0
    try {
      const into = async () => fd
      for (const part of partIds) offset = await this.writeStream(into, offset, this.read(part))
      if (this.fsync) await datasyncFd(fd)
    } finally {
      await closeFd(fd)
    }
    const meta: Meta = {
      id: init.id,
      length: offset,
      complete: true,
      invalid: undefined,
      createdAt: Date.now(),
      expiresAt: init.expiresAt,
      metadata: init.metadata,
      concat: init.concat,
      owner: init.owner,
    }
    await this.infos.create(meta, this.paths(meta.id).info)
    return { ...meta, offset }
  }

  /** With `known` (the caller holds the lease, store.ts), neither the info nor the offset is read again. */
  async update(id: string, patch: UploadPatch, known?: UploadInfo): Promise<UploadInfo> {
    const meta = known ? metaOf(known) : await this.infos.read(id, this.paths(id).info)
    const next: Meta = { ...meta, ...patch }
    await this.infos.replace(next, this.paths(id).info)
    return settled(next, known ? known.offset : await this.size(id))
  }

  async remove(id: string): Promise<void> {
    const { data, info } = this.paths(id)
    this.closeFresh(id)
    // Info first: an upload without info is "not found" even if removing the data is interrupted.
    await rm(info, { force: true })
    await rm(data, { force: true })
  }

  async *list(): AsyncIterable<UploadInfo> {
    await this.ensureDir()
    for (const name of await readdir(this.directory)) {
      if (!name.endsWith('.json')) continue
      const id = name.slice(0, -'.json'.length)
      if (!isUploadId(id)) continue
      try {
        yield await this.get(id)
      } catch (e) {
        if (!(e instanceof UploadNotFoundError)) throw e
      }
    }
  }

  /** Removes what crashes left that no upload names (disk-orphans.ts); returns how many files. */
  reclaim(): Promise<number> {
    return reclaimOrphans(this.directory, this.orphanAgeMs, this.emptyInfos)
  }

  async *read(id: string, start = 0, end?: number): AsyncIterable<Uint8Array> {
    const { data } = this.paths(id)
    if (end !== undefined && end <= start) return
    const stream = createReadStream(data, {
      start,
      ...(end !== undefined ? { end: end - 1 } : {}),
      ...(this.readChunkSize !== undefined ? { highWaterMark: this.readChunkSize } : {}),
    })
    for await (const chunk of stream) yield chunk as Uint8Array
  }
}

/** The info with its offset: the data file's size, exactly the bytes the kernel holds. */
function settled(meta: Meta, offset: number): UploadInfo {
  return { ...meta, offset }
}

function metaOf(info: UploadInfo): Meta {
  const { offset: _offset, ...meta } = info
  return meta
}

function checkOffset(size: number, offset: number): void {
  if (size !== offset) throw new OffsetMismatchError(size, offset)
}

/** What `for await` iterates: an async iterable, or (callers in tests and plain arrays) a sync one. */
function iteratorOf(body: AsyncIterable<Uint8Array>): AsyncIterator<Uint8Array> | Iterator<Uint8Array> {
  const sync = (body as unknown as Partial<Iterable<Uint8Array>>)[Symbol.iterator]
  if (typeof body[Symbol.asyncIterator] !== 'function' && typeof sync === 'function') return sync.call(body)
  return body[Symbol.asyncIterator]()
}
