/**
 * Cutting an upload back (tus checksum: an append whose digest does not match stores nothing). Parts cannot be read
 * back or shortened in S3, so two targets are possible: any offset within the tail (the tail is rewritten shorter),
 * and the offset at which the latest append started (the record goes back to the parts and the tail it had then;
 * that tail still exists, see append.ts). The server only ever asks for the second.
 */
import { InconsistentLengthError } from '@rufh/protocol'
import type { Bucket } from './bucket.js'
import { offsetOf, type UploadRecord, undoOffset } from './record.js'
import { loadTail, storeTail } from './tail.js'

export async function truncateRecord(
  b: Bucket,
  current: UploadRecord,
  offset: number,
  inlineTail: number,
): Promise<void> {
  const rec: UploadRecord = structuredClone(current)
  const now = offsetOf(rec)
  if (offset === now) return
  if (offset > now || offset < 0) throw new RangeError(`cannot truncate upload ${rec.id} at ${offset} to ${now} bytes`)
  const stale: (string | undefined)[] = []
  const inParts = rec.parts.length * rec.partSize
  if (rec.undo && offset === undoOffset(rec)) {
    if (rec.tail?.key !== rec.undo.tail?.key) stale.push(rec.tail?.key)
    rec.parts = rec.parts.slice(0, rec.undo.parts)
    rec.tail = rec.undo.tail
    rec.undo = undefined
  } else if (offset >= inParts && rec.tail) {
    const keep = offset - inParts
    if (rec.tail.key && rec.tail.key !== rec.undo?.tail?.key) stale.push(rec.tail.key)
    rec.tail = keep === 0 ? undefined : await storeTail(b, rec, await loadTail(b, rec.tail, keep), inlineTail)
  } else {
    throw new InconsistentLengthError(
      `upload ${rec.id} can be cut back only within its tail or to where its latest append started, not to ${offset}`,
    )
  }
  // Parts past the new end stay in S3's multipart upload until overwritten: completion lists only recorded parts.
  await b.putRecord(rec)
  for (const k of stale) if (k) await b.delete(k)
}
