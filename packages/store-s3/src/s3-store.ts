/**
 * `S3Store`: uploads in an S3 bucket (AWS S3, Ceph radosgw, and other S3 APIs), with every optional capability of
 * the Store contract: listing (expiry), reading with ranges (downloads), truncation (tus checksums) and
 * concatenation (server-side copy). Key layout: layout.ts; durability and memory: append.ts; completion: finish.ts.
 *
 * Calls per operation (rgw and AWS alike): `get` is one GET of the record (a HEAD when this process has it cached).
 * An append is one GET (or HEAD) of the record, one GET of the tail if it is an object, then per full part one
 * `UploadPart`, one record PUT per 32 MiB of parts (or per second), and at the end one tail PUT if the tail is over 16 KiB and one record PUT (plus
 * one DELETE of the tail the previous append left for undo). Measured counts: docs/capacity.md. Completion is 2-3 calls and a DELETE.
 */
import { tmpdir } from 'node:os'
import {
  AbortMultipartUploadCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3'
import { CompletedUploadError, NotReadyError, OffsetMismatchError, UploadNotFoundError } from '@rufh/protocol'
import {
  type AppendOptions,
  type ConcatenatingStore,
  isUploadId,
  type ListableStore,
  type NewUpload,
  type ReadableStore,
  type TruncatableStore,
  type UploadInfo,
  type UploadPatch,
} from '@rufh/server'
import { appendBody, PARTS_IN_FLIGHT } from './append.js'
import { Bucket, isNotFound } from './bucket.js'
import { concatenateObjects } from './concat.js'
import { explain, S3StoreError } from './errors.js'
import { finish } from './finish.js'
import { Layout } from './layout.js'
import { PartMemory } from './part-buffer.js'
import { infoOf, newRecord, type UploadRecord } from './record.js'
import { loadTail } from './tail.js'
import { truncateRecord } from './truncate.js'

export interface S3StoreOptions {
  client: S3Client
  bucket: string
  /** Prepended to every key, e.g. `uploads/`. Default empty. */
  prefix?: string
  /**
   * Size of every part but the last, in bytes. Temporary disk per running append is at most 5 parts (4 being sent
   * while the next one fills, append.ts). An upload with a known length uses larger parts when it needs them to fit
   * in `maxParts`; one of unknown length can hold at most `partSize * maxParts` bytes. Default 8 MiB (so 78 GiB).
   */
  partSize?: number
  /** The service's smallest part but the last (5 MiB on AWS); only decides how concatenation copies. */
  minPartSize?: number
  /** The service's part-count limit. Default 10,000 (AWS, radosgw); some clones have less. */
  maxParts?: number
  /** Tails (bytes past the last full part) up to this size are kept inside the record. Default 16 KiB. */
  inlineTail?: number
  /**
   * Where parts wait, as files, until they are sent (a part streamed while it fills: its copy, until S3 holds it,
   * part-stream.ts, with `spoolStreamedParts`), when `partMemory` is used up: at most 5 parts per running append
   * (part-buffer.ts). Default the system's temporary folder (`os.tmpdir()`).
   */
  tempDir?: string
  /**
   * Bytes of memory for parts waiting to be sent, shared by all appends of this store and reused part after part
   * (part-buffer.ts); parts that do not fit wait in `tempDir`. Default 5 parts of `partSize` (40 MiB: what one append
   * holds at most, so that one upload at a time never touches the disk); 0: all on disk.
   */
  partMemory?: number
  /**
   * During an append, the record is rewritten (and the offset reported) once this many bytes of parts S3
   * acknowledged are not in it yet, and at the end. Default 32 MiB (append.ts `RECORD_EVERY`).
   */
  recordEvery?: number
  /**
   * A part streamed to S3 while it fills (the body is known to fill it, part-stream.ts) keeps a copy in part memory
   * when there is room. With this set, it keeps one in `tempDir` otherwise; without it (the default), it has none:
   * a body cut inside it loses that part's bytes, none of them acknowledged (the client sends them again from the
   * offset), and an S3 failure of it fails the append instead of being retried. Writing those copies was the largest
   * cost of 100 concurrent uploads (issue 15, docs/storage.md).
   */
  spoolStreamedParts?: boolean
}

const MiB = 1024 * 1024

export class S3Store implements ListableStore, ReadableStore, TruncatableStore, ConcatenatingStore {
  readonly bucket: Bucket
  readonly partSize: number
  readonly minPartSize: number
  readonly maxParts: number
  readonly inlineTail: number
  readonly tempDir: string
  readonly partMemory: PartMemory
  readonly recordEvery: number | undefined
  readonly spoolStreamedParts: boolean

  constructor(o: S3StoreOptions) {
    this.bucket = new Bucket(o.client, o.bucket, new Layout(o.prefix ?? ''))
    this.partSize = o.partSize ?? 8 * MiB
    this.minPartSize = o.minPartSize ?? 5 * MiB
    this.maxParts = o.maxParts ?? 10_000
    this.inlineTail = Math.min(o.inlineTail ?? 16 * 1024, this.partSize)
    this.tempDir = o.tempDir ?? tmpdir()
    this.partMemory = new PartMemory(o.partMemory ?? (PARTS_IN_FLIGHT + 1) * this.partSize)
    this.recordEvery = o.recordEvery
    this.spoolStreamedParts = o.spoolStreamedParts === true
    if (!Number.isSafeInteger(this.partSize) || this.partSize < 1 || this.partSize > 5 * 1024 * MiB)
      throw new RangeError(`partSize must be between 1 byte and 5 GiB (got ${this.partSize})`)
  }

  /** Checks that the bucket exists and the credentials may use it; throws S3StoreError with a clear message. */
  async check(): Promise<void> {
    try {
      await this.bucket.client.send(new HeadBucketCommand({ Bucket: this.bucket.name }))
    } catch (e) {
      throw explain(e, this.bucket.name)
    }
  }

  private limits() {
    return {
      maxParts: this.maxParts,
      inlineTail: this.inlineTail,
      tempDir: this.tempDir,
      memory: this.partMemory,
      recordEvery: this.recordEvery,
      spoolStreamed: this.spoolStreamedParts,
    }
  }

  private record(id: string): Promise<UploadRecord> {
    if (!isUploadId(id)) return Promise.reject(new UploadNotFoundError())
    return this.bucket.getRecord(id)
  }

  /** A multiple of `partSize` big enough for the whole upload to fit in `maxParts` parts, when its length is known. */
  private partSizeFor(length: number | undefined): number {
    if (length === undefined) return this.partSize
    return Math.max(1, Math.ceil(length / this.maxParts / this.partSize)) * this.partSize
  }

  async create(init: NewUpload): Promise<UploadInfo> {
    if (!isUploadId(init.id)) throw new S3StoreError('ERR_S3_BAD_ID', `'${init.id}' is not an upload ID`)
    const rec = newRecord(init, this.partSizeFor(init.length))
    await this.bucket.putRecord(rec)
    return infoOf(rec)
  }

  async get(id: string): Promise<UploadInfo> {
    return infoOf(await this.record(id))
  }

  async append(id: string, offset: number, body: AsyncIterable<Uint8Array>, options?: AppendOptions): Promise<number> {
    // Under the caller's lease (`known`), the record last seen here saves a HeadObject per append.
    const rec = (options?.known && this.agreeing(options.known)) || (await this.record(id))
    const info = infoOf(rec)
    if (info.offset !== offset) throw new OffsetMismatchError(info.offset, offset)
    if (rec.complete) throw new CompletedUploadError(false)
    return appendBody(this.bucket, rec, body, this.limits(), options)
  }

  /**
   * With `known` (the caller held the lease since this store answered it), the record this process last saw is taken
   * when it agrees with `known`, saving the HeadObject that checks it: one S3 request of the ten a one-PATCH tus upload
   * costs (docs/benchmarks.md `s3`).
   */
  async update(id: string, patch: UploadPatch, known?: UploadInfo): Promise<UploadInfo> {
    let rec = (known && this.agreeing(known)) || (await this.record(id))
    if ('length' in patch && patch.length !== undefined) rec.length = patch.length
    if ('invalid' in patch) rec.invalid = patch.invalid
    if ('checkpoint' in patch) {
      if (patch.checkpoint === undefined) delete rec.checkpoint
      else rec.checkpoint = patch.checkpoint
    }
    if (patch.complete && !rec.complete) rec = await finish(this.bucket, rec)
    else await this.bucket.putRecord(rec)
    return infoOf(rec)
  }

  private agreeing(known: UploadInfo): UploadRecord | undefined {
    const rec = this.bucket.lastSeen(known.id)
    if (!rec) return undefined
    const seen = infoOf(rec)
    return seen.offset === known.offset && seen.complete === known.complete && seen.length === known.length
      ? rec
      : undefined
  }

  async truncate(id: string, offset: number): Promise<void> {
    await truncateRecord(this.bucket, await this.record(id), offset, this.inlineTail)
  }

  async concatenate(init: NewUpload, partIds: readonly string[]): Promise<UploadInfo> {
    const sources = []
    for (const p of partIds) {
      const r = await this.record(p)
      if (!r.complete) throw new NotReadyError(`upload ${p} is not complete`)
      sources.push({ id: p, size: infoOf(r).offset })
    }
    const total = sources.reduce((n, s) => n + s.size, 0)
    const rec = newRecord({ ...init, length: total }, this.partSizeFor(total))
    const done = await concatenateObjects(this.bucket, rec, sources, this.minPartSize, this.limits())
    return infoOf(done)
  }

  /**
   * The record goes first: from then on the upload is not found, even if removing the rest is interrupted. Then every
   * multipart upload on the object's key (also ones a crash left unrecorded) is aborted, and every object deleted.
   */
  async remove(id: string): Promise<void> {
    if (!isUploadId(id)) return
    const b = this.bucket
    const key = b.layout.object(id)
    await b.delete(b.layout.record(id))
    b.forget(id)
    let marker: { KeyMarker?: string; UploadIdMarker?: string } = {}
    for (;;) {
      const r = await b.client.send(new ListMultipartUploadsCommand({ Bucket: b.name, Prefix: key, ...marker }))
      for (const u of r.Uploads ?? [])
        if (u.Key === key && u.UploadId)
          await b.client.send(new AbortMultipartUploadCommand({ Bucket: b.name, Key: key, UploadId: u.UploadId }))
      if (!r.IsTruncated) break
      marker = { KeyMarker: r.NextKeyMarker ?? '', UploadIdMarker: r.NextUploadIdMarker ?? '' }
    }
    for await (const k of this.keys(key)) await b.delete(k)
  }

  /**
   * Companion objects: small objects kept with an upload by a user of the store (the gateway's journal: the creation
   * request and the backend's answer), so that every node on the bucket sees them; `remove` deletes them with the
   * upload (they share its key prefix).
   */
  async putCompanion(id: string, name: string, bytes: Uint8Array): Promise<void> {
    await this.bucket.putBytes(this.companionKey(id, name), bytes, 'application/octet-stream')
  }

  async getCompanion(id: string, name: string): Promise<Buffer | undefined> {
    try {
      return await this.bucket.getBytes(this.companionKey(id, name))
    } catch (e) {
      if (isNotFound(e)) return undefined
      throw e
    }
  }

  async removeCompanion(id: string, name: string): Promise<void> {
    await this.bucket.delete(this.companionKey(id, name))
  }

  private companionKey(id: string, name: string): string {
    if (!isUploadId(id)) throw new S3StoreError('ERR_S3_BAD_ID', `'${id}' is not an upload ID`)
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) throw new RangeError(`not a companion name: '${name}'`)
    return this.bucket.layout.companion(id, name)
  }

  private async *keys(prefix: string): AsyncIterable<string> {
    const b = this.bucket
    let token: string | undefined
    do {
      const r = await b.client.send(
        new ListObjectsV2Command({ Bucket: b.name, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
      )
      for (const o of r.Contents ?? []) if (o.Key) yield o.Key
      token = r.IsTruncated ? r.NextContinuationToken : undefined
    } while (token)
  }

  async *list(): AsyncIterable<UploadInfo> {
    for await (const key of this.keys(this.bucket.layout.prefix)) {
      const id = this.bucket.layout.idOfRecord(key)
      if (id === undefined || !isUploadId(id)) continue
      try {
        yield await this.get(id)
      } catch (e) {
        if (!(e instanceof UploadNotFoundError)) throw e
      }
    }
  }

  /** A complete upload is read from its object (with a Range); an incomplete one only while it has no full part. */
  async *read(id: string, start = 0, end?: number): AsyncIterable<Uint8Array> {
    const rec = await this.record(id)
    const info = infoOf(rec)
    const stop = Math.min(end ?? info.offset, info.offset)
    if (stop <= start) return
    if (rec.complete) {
      yield* this.bucket.read(this.bucket.layout.object(id), start, stop)
      return
    }
    if (rec.parts.length > 0 || !rec.tail) throw new NotReadyError('parts of an incomplete S3 upload cannot be read')
    if (rec.tail.key) yield* this.bucket.read(rec.tail.key, start, stop)
    else yield (await loadTail(this.bucket, rec.tail, stop)).subarray(start)
  }
}
