/**
 * Streaming one request body into an upload: bytes are cut into parts of exactly the upload's part size, each sent
 * with `UploadPart` while the next one fills (one part in flight, so memory stays at most two parts plus one chunk
 * per append, and nothing touches local disk; part-buffer.ts). What is left when the body ends, fewer than one part's bytes, is
 * kept as the new tail (tail.ts). Any number of appends of any size therefore uses one part number per `partSize`
 * bytes, never one per append.
 *
 * Durability: the record (`<id>.info`) is rewritten after each part S3 acknowledged and after the new tail is
 * written, and only then is the new offset reported (`onProgress`, the return value). Nothing is deleted before a
 * record that no longer needs it is stored: the old tail stays (as the undo point for `truncate`) until the next
 * append has committed. So a crash between any two S3 calls leaves a record whose offset is the last one reported,
 * or more, and counts only bytes S3 holds.
 */
import { CreateMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3'
import { LimitError } from '@rufh/protocol'
import type { AppendOptions } from '@rufh/server'
import type { Bucket } from './bucket.js'
import { PartBuffer } from './part-buffer.js'
import { offsetOf, type UploadRecord } from './record.js'
import { loadTail, storeTail } from './tail.js'

export interface AppendLimits {
  /** The service's part-count limit (10,000 on AWS). */
  maxParts: number
  /** Tails up to this many bytes live inside the record (tail.ts). */
  inlineTail: number
}

export async function appendBody(
  b: Bucket,
  current: UploadRecord,
  body: AsyncIterable<Uint8Array>,
  limits: AppendLimits,
  options: AppendOptions = {},
): Promise<number> {
  const rec: UploadRecord = structuredClone(current)
  const { partSize } = rec
  const before = { parts: rec.parts.length, tail: rec.tail }
  const staleTail = rec.undo?.tail
  let committed = false
  const buffer = new PartBuffer(partSize)
  let tailLoaded = false
  let inFlight: Promise<void> | undefined
  let bodyFailure: unknown
  let hasBodyFailure = false

  const commit = async (): Promise<void> => {
    rec.undo = before
    await b.putRecord(rec)
    if (!committed) {
      committed = true
      // The previous append's undo tail is named by no record any more.
      if (staleTail?.key && staleTail.key !== before.tail?.key && staleTail.key !== rec.tail?.key)
        await b.delete(staleTail.key)
    }
    options.onProgress?.(offsetOf(rec))
  }

  const sendPart = async (bytes: Buffer): Promise<void> => {
    if (rec.parts.length >= limits.maxParts)
      throw new LimitError('max-size', offsetOf(rec) + bytes.byteLength, limits.maxParts * partSize)
    if (!rec.multipart) {
      const created = await b.client.send(
        new CreateMultipartUploadCommand({
          Bucket: b.name,
          Key: b.layout.object(rec.id),
          ...contentTypeOf(rec),
        }),
      )
      if (!created.UploadId) throw new Error('S3 returned no UploadId')
      rec.multipart = created.UploadId
    }
    const n = rec.parts.length + 1
    const r = await b.client.send(
      new UploadPartCommand({
        Bucket: b.name,
        Key: b.layout.object(rec.id),
        UploadId: rec.multipart,
        PartNumber: n,
        Body: bytes,
        ContentLength: bytes.byteLength,
      }),
    )
    if (!r.ETag) throw new Error('S3 returned no ETag for a part')
    // The part starts where the tail started (a tail is shorter than a part), so it holds the whole tail.
    rec.parts.push({ n, etag: r.ETag })
    rec.tail = undefined
    await commit()
  }

  const it = body[Symbol.asyncIterator]()
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>
      try {
        next = await it.next()
      } catch (e) {
        bodyFailure = e
        hasBodyFailure = true
        break
      }
      if (next.done) break
      const chunk = next.value
      if (chunk.byteLength === 0) continue
      if (!tailLoaded) {
        tailLoaded = true
        if (rec.tail) buffer.push(await loadTail(b, rec.tail))
      }
      buffer.push(chunk)
      for (let part = buffer.takePart(); part; part = buffer.takePart()) {
        // Back-pressure: the body is not read further while the previous part is still on its way.
        if (inFlight) await inFlight
        inFlight = sendPart(part)
        // Awaited below or at the next part; a failure must not surface as an unhandled rejection meanwhile.
        inFlight.catch(() => {})
      }
    }
    if (inFlight) await inFlight
    if (buffer.size > 0) {
      rec.tail = await storeTail(b, rec, buffer.takeRest(), limits.inlineTail)
      await commit()
    }
  } catch (e) {
    // An S3 failure: stop reading the body; the offset stays the last one committed.
    if (inFlight) await inFlight.catch(() => {})
    try {
      await it.return?.()
    } catch {
      // the body's own failure is not the one to report
    }
    throw e
  }
  if (hasBodyFailure) throw bodyFailure
  return offsetOf(rec)
}

export function contentTypeOf(rec: UploadRecord): { ContentType?: string } {
  const t = rec.metadata['filetype']
  return t ? { ContentType: t } : {}
}
