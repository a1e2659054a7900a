/**
 * Streaming one request body into an upload: bytes are cut into parts of exactly the upload's part size, spooled to
 * a temporary file each (part-buffer.ts), each sent with `UploadPart` while the next one fills, and the record
 * naming it written while later parts are sent. Up to `PARTS_IN_FLIGHT` parts go at once: temporary disk is at
 * most one part more than that per append, memory a few chunks. What is left when the body ends, fewer than one
 * part's bytes, is kept as the new tail (tail.ts). Any number of appends of any size therefore uses one part number
 * per `partSize` bytes, never one per append.
 *
 * Durability: the record (`<id>.info`) is rewritten after parts S3 acknowledged (only an unbroken run from the
 * first: a part acknowledged out of order waits for the ones before it) and after the new tail is written, and only
 * then is the new offset reported (`onProgress`, the return value). Nothing is deleted before a record that no
 * longer needs it is stored: the old tail stays (as the undo point for `truncate`) until the next append has
 * committed. So a crash between any two S3 calls leaves a record whose offset is the last one reported, or more,
 * and counts only bytes S3 holds. A part sent but never recorded is sent again (same number) by the next append.
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

/** Parts of one append on their way to S3 at once: temporary disk per append is at most one more than this. */
export const PARTS_IN_FLIGHT = 4

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
  /** Part uploads running; each resolves when S3 acknowledged its part (or failed). */
  const inFlight = new Set<Promise<void>>()
  /** Parts S3 acknowledged that are not yet in `rec.parts` (an earlier one is still on its way), by number. */
  const acknowledged = new Map<number, string>()
  let nextPart = rec.parts.length + 1
  let multipart: Promise<string> | undefined
  /** Record writes, in order: parts go on to S3 while the record naming the earlier ones is written. */
  let commits: Promise<void> = Promise.resolve()
  let failure: { e: unknown } | undefined
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
      failure ??= { e }
    })
  }
  const check = (): void => {
    if (failure) throw failure.e
  }

  const startMultipart = async (): Promise<string> => {
    const created = await b.client.send(
      new CreateMultipartUploadCommand({ Bucket: b.name, Key: b.layout.object(rec.id), ...contentTypeOf(rec) }),
    )
    if (!created.UploadId) throw new Error('S3 returned no UploadId')
    rec.multipart = created.UploadId
    return created.UploadId
  }

  const sendPart = async (part: SpooledPart, n: number): Promise<void> => {
    multipart ??= rec.multipart !== undefined ? Promise.resolve(rec.multipart) : startMultipart()
    const uploadId = await multipart
    const r = await withRetries(() =>
      b.client.send(
        new UploadPartCommand({
          Bucket: b.name,
          Key: b.layout.object(rec.id),
          UploadId: uploadId,
          PartNumber: n,
          Body: createReadStream(part.path),
          ContentLength: part.size,
        }),
      ),
    )
    if (!r.ETag) throw new Error('S3 returned no ETag for a part')
    acknowledged.set(n, r.ETag)
    // Only an unbroken run of parts counts: the record never names a part after a missing one.
    let grew = false
    for (let next = rec.parts.length + 1; acknowledged.has(next); next++) {
      rec.parts.push({ n: next, etag: acknowledged.get(next) as string })
      acknowledged.delete(next)
      grew = true
    }
    if (!grew) return
    // The first part starts where the tail started (a tail is shorter than a part), so it holds the whole tail.
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
        const p = part
        try {
          // Back-pressure: the body is not read further while PARTS_IN_FLIGHT parts are on their way.
          while (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight)
          check()
          if (nextPart > limits.maxParts)
            throw new LimitError('max-size', (nextPart - 1) * partSize + p.size, limits.maxParts * partSize)
        } catch (e) {
          await remove(p.path)
          throw e
        }
        // The part's file goes once it is sent or has failed (the buffer no longer holds it).
        const sending: Promise<void> = sendPart(p, nextPart++)
          .catch((e) => {
            failure ??= { e }
          })
          .finally(() => {
            inFlight.delete(sending)
            return remove(p.path)
          })
        inFlight.add(sending)
      }
    }
    await Promise.all(inFlight)
    check()
    await commits
    const rest = await buffer.takeRest()
    if (rest) {
      rec.tail = await storeSpooledTail(b, rec, rest, limits.inlineTail).finally(() => remove(rest.path))
      queueCommit()
      await commits
    }
  } catch (e) {
    // An S3 failure: stop reading the body; the offset stays the last one committed.
    await Promise.all(inFlight)
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
