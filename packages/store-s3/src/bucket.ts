/** The few S3 calls the store makes, on one bucket, with S3's "not found" answers told apart from failures. */

import { createReadStream } from 'node:fs'
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { UploadNotFoundError } from '@rufh/protocol'
import type { Layout } from './layout.js'
import { parseRecord, type UploadRecord } from './record.js'

/** S3 (and radosgw) answers for a missing key, bucket-less key or multipart upload. */
export function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } }
  return (
    err?.name === 'NoSuchKey' ||
    err?.name === 'NotFound' ||
    err?.name === 'NoSuchUpload' ||
    err?.$metadata?.httpStatusCode === 404
  )
}

/** Records last seen by this process, by ID; at most this many are kept. */
const CACHED_RECORDS = 1000

export class Bucket {
  /**
   * Records with the ETag they had: a HEAD that answers the same ETag saves the GET. A small GET costs about 45 ms on
   * radosgw (its body is held back by Nagle's algorithm until the client's delayed ACK) and 20-50 ms on AWS; a HEAD
   * about 2 ms. Another node's write changes the ETag, so a stale record is never used.
   */
  private readonly seen = new Map<string, { etag: string; text: string }>()

  constructor(
    readonly client: S3Client,
    readonly name: string,
    readonly layout: Layout,
  ) {}

  async getRecord(id: string): Promise<UploadRecord> {
    const key = this.layout.record(id)
    try {
      const cached = this.seen.get(id)
      if (cached) {
        const h = await this.client.send(new HeadObjectCommand({ Bucket: this.name, Key: key }))
        if (h.ETag === cached.etag) return parseRecord(cached.text, id)
      }
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.name, Key: key }))
      const text = (await r.Body?.transformToString('utf8')) ?? ''
      this.remember(id, r.ETag, text)
      return parseRecord(text, id)
    } catch (e) {
      if (isNotFound(e)) {
        this.seen.delete(id)
        throw new UploadNotFoundError()
      }
      throw e
    }
  }

  /** One PutObject replaces the whole record: readers see the old or the new one, never a mix (S3 is atomic per key). */
  async putRecord(r: UploadRecord): Promise<void> {
    const text = JSON.stringify(r)
    this.seen.delete(r.id)
    const etag = await this.putBytes(this.layout.record(r.id), Buffer.from(text), 'application/json')
    this.remember(r.id, etag, text)
  }

  /**
   * The record this process last wrote or read for `id`, without asking S3 whether it is still current: only for a
   * caller that has held the upload's lease since then (store.ts `update`'s `known`), when no other writer can exist.
   */
  lastSeen(id: string): UploadRecord | undefined {
    const cached = this.seen.get(id)
    return cached ? parseRecord(cached.text, id) : undefined
  }

  forget(id: string): void {
    this.seen.delete(id)
  }

  private remember(id: string, etag: string | undefined, text: string): void {
    if (!etag) return
    this.seen.delete(id)
    this.seen.set(id, { etag, text })
    if (this.seen.size > CACHED_RECORDS) this.seen.delete(this.seen.keys().next().value as string)
  }

  /** Returns the new object's ETag. */
  async putBytes(key: string, body: Uint8Array, contentType?: string): Promise<string | undefined> {
    const r = await this.client.send(
      new PutObjectCommand({
        Bucket: this.name,
        Key: key,
        Body: body,
        ContentLength: body.byteLength,
        ...(contentType ? { ContentType: contentType } : {}),
      }),
    )
    return r.ETag
  }

  /** A file's `size` bytes as a new object, streamed from the file (the SDK does not retry a stream: `withRetries`). */
  putFile(key: string, path: string, size: number): Promise<string | undefined> {
    return withRetries(async () => {
      const r = await this.client.send(
        new PutObjectCommand({ Bucket: this.name, Key: key, Body: createReadStream(path), ContentLength: size }),
      )
      return r.ETag
    })
  }

  /** Bytes `[start, end)` of an object (whole when no range), as a stream. */
  async *read(key: string, start?: number, end?: number): AsyncIterable<Uint8Array> {
    const range =
      start !== undefined || end !== undefined ? `bytes=${start ?? 0}-${end !== undefined ? end - 1 : ''}` : undefined
    const r = await this.client.send(
      new GetObjectCommand({ Bucket: this.name, Key: key, ...(range ? { Range: range } : {}) }),
    )
    if (!r.Body) return
    for await (const chunk of r.Body as AsyncIterable<Uint8Array>) yield chunk
  }

  async getBytes(key: string, start?: number, end?: number): Promise<Buffer> {
    const out: Uint8Array[] = []
    for await (const c of this.read(key, start, end)) out.push(c)
    return Buffer.concat(out)
  }

  /** The object's size, or undefined when it does not exist. */
  async size(key: string): Promise<number | undefined> {
    try {
      const h = await this.client.send(new HeadObjectCommand({ Bucket: this.name, Key: key }))
      return h.ContentLength ?? 0
    } catch (e) {
      if (isNotFound(e)) return undefined
      throw e
    }
  }

  /** S3's DeleteObject succeeds on a missing key too; a 404 (some clones) is not a failure either. */
  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.name, Key: key }))
    } catch (e) {
      if (!isNotFound(e)) throw e
    }
  }

  /** `bucket/key` for the Copy* calls' CopySource, URL-encoded as S3 requires. */
  copySource(key: string): string {
    return encodeURIComponent(`${this.name}/${key}`)
  }
}

/** The SDK's own retry policy (3 attempts) would retry a buffered body; a stream body it sends once. */
const ATTEMPTS = 3

/**
 * Runs `send` again (with a new body stream) after a failure S3 may not repeat: a 5xx, a dropped connection. Not
 * once `signal` is aborted: the caller gave the request up (a part whose body was cut, part-stream.ts).
 */
export async function withRetries<T>(send: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send()
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
      if (attempt >= ATTEMPTS || (status !== undefined && status < 500) || signal?.aborted) throw e
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt))
    }
  }
}
