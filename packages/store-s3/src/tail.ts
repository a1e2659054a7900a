/**
 * Tails: the bytes past the last full part. A tail of at most `inlineMax` bytes is kept inside the record itself, so
 * that a small append costs one record PUT (and no tail object to write, read back and delete); a longer one is a
 * tail object under a new generation's key (layout.ts).
 */
import type { Bucket } from './bucket.js'
import type { TailRef, UploadRecord } from './record.js'

export async function loadTail(b: Bucket, t: TailRef, end = t.size): Promise<Buffer> {
  const bytes =
    t.data !== undefined ? Buffer.from(t.data, 'base64').subarray(0, end) : await b.getBytes(t.key as string, 0, end)
  if (bytes.byteLength !== end) throw new Error(`a tail of upload has ${bytes.byteLength} bytes, expected ${end}`)
  return bytes
}

/** Stores `bytes` as the record's next tail (not yet referenced by any stored record). */
export async function storeTail(b: Bucket, rec: UploadRecord, bytes: Buffer, inlineMax: number): Promise<TailRef> {
  if (bytes.byteLength <= inlineMax) return { size: bytes.byteLength, data: bytes.toString('base64') }
  rec.generation++
  const key = b.layout.tail(rec.id, rec.generation)
  await b.putBytes(key, bytes)
  return { size: bytes.byteLength, key }
}
