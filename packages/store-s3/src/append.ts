/**
 * Streaming one request body into an upload: bytes are cut into parts of exactly the upload's part size, spooled to
 * a temporary file each (part-buffer.ts), each sent with `UploadPart` while the next one fills, and the record
 * naming it written while the part after it is sent. One part in flight: temporary disk is at most two parts per
 * append, memory a few chunks. What is left when the body ends, fewer than one part's bytes, is kept as the new tail
 * (tail.ts). Any number of appends of any size therefore uses one part number per `partSize`
 * bytes, never one per append.
 *
 * Durability: the record (`<id>.info`) is rewritten after each part S3 acknowledged and after the new tail is
 * written, and only then is the new offset reported (`onProgress`, the return value). Nothing is deleted before a
 * record that no longer needs it is stored: the old tail stays (as the undo point for `truncate`) until the next
 * append has committed. So a crash between any two S3 calls leaves a record whose offset is the last one reported,
 * or more, and counts only bytes S3 holds.
 */
import { createReadStream } from 'node:fs'
import { CreateMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3'
import { LimitError } from '@rufh/protocol'
import type { AppendOptions } from '@rufh/server'
import { type Bucket, withRetries } from './bucket.js'
import { PartBuffer, remove, type SpooledPart } from './part-buffer.js'
import { offsetOf, type UploadRecord } from './record.js'
import { storeSpooledTail, tailChunks } from './tail.js'

export interface AppendLimits {
  /** The service's part-count limit (10,000 on AWS). */
  maxParts: number
  /** Tails up to this many bytes live inside the record (tail.ts). */
  inlineTail: number
  /** Where parts wait until they are sent (part-buffer.ts). */
  tempDir: string
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
  const buffer = new PartBuffer(partSize, limits.tempDir)
  let tailLoaded = false
  let inFlight: Promise<void> | undefined
  /** Record writes, in order: part N+1 goes to S3 while the record naming part N is written. */
  let commits: Promise<void> = Promise.resolve()
  let commitFailure: { e: unknown } | undefined
  let bodyFailure: unknown
  let hasBodyFailure = false

  const commit = async (): Promise<void> => {
    rec.undo = before
    // What this write makes durable: parts acknowledged later are reported by the commit that records them.
    const offset = offsetOf(rec)
    await b.putRecord(rec)
    if (!committed) {
      committed = true
      // The previous append's undo tail is named by no record any more.
      if (staleTail?.key && staleTail.key !== before.tail?.key && staleTail.key !== rec.tail?.key)
        await b.delete(staleTail.key)
    }
    options.onProgress?.(offset)
  }
  const queueCommit = (): void => {
    commits = commits.then(commit)
    commits.catch((e) => {
      commitFailure ??= { e }
    })
  }
  const checkCommits = (): void => {
    if (commitFailure) throw commitFailure.e
  }

  const sendPart = async (part: SpooledPart): Promise<void> => {
    if (rec.parts.length >= limits.maxParts)
      throw new LimitError('max-size', offsetOf(rec) + part.size, limits.maxParts * partSize)
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
    const r = await withRetries(() =>
      b.client.send(
        new UploadPartCommand({
          Bucket: b.name,
          Key: b.layout.object(rec.id),
          UploadId: rec.multipart,
          PartNumber: n,
          Body: createReadStream(part.path),
          ContentLength: part.size,
        }),
      ),
    )
    if (!r.ETag) throw new Error('S3 returned no ETag for a part')
    // The part starts where the tail started (a tail is shorter than a part), so it holds the whole tail.
    rec.parts.push({ n, etag: r.ETag })
    rec.tail = undefined
    queueCommit()
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
        if (rec.tail) for await (const c of tailChunks(b, rec.tail)) await buffer.push(c)
      }
      await buffer.push(chunk)
      for (let part = buffer.takePart(); part; part = buffer.takePart()) {
        // Back-pressure: the body is not read further while the previous part is still on its way.
        const p = part
        try {
          if (inFlight) await inFlight
          checkCommits()
        } catch (e) {
          await remove(p.path)
          throw e
        }
        // The part's file goes once it is sent or has failed (the buffer no longer holds it).
        inFlight = sendPart(p).finally(() => remove(p.path))
        // Awaited below or at the next part; a failure must not surface as an unhandled rejection meanwhile.
        inFlight.catch(() => {})
      }
    }
    if (inFlight) await inFlight
    await commits
    const rest = await buffer.takeRest()
    if (rest) {
      rec.tail = await storeSpooledTail(b, rec, rest, limits.inlineTail).finally(() => remove(rest.path))
      queueCommit()
      await commits
    }
  } catch (e) {
    // An S3 failure: stop reading the body; the offset stays the last one committed.
    if (inFlight) await inFlight.catch(() => {})
    await commits.catch(() => {})
    try {
      await it.return?.()
    } catch {
      // the body's own failure is not the one to report
    }
    throw e
  } finally {
    await buffer.discard()
  }
  if (hasBodyFailure) throw bodyFailure
  return offsetOf(rec)
}

export function contentTypeOf(rec: UploadRecord): { ContentType?: string } {
  const t = rec.metadata['filetype']
  return t ? { ContentType: t } : {}
}
