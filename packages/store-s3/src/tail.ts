/**
 * Tails: the bytes past the last full part. A tail of at most `inlineMax` bytes is kept inside the record itself, so
 * that a small append costs one record PUT (and no tail object to write, read back and delete); a longer one is a
 * tail object under a new generation's key (layout.ts).
 */
import type { Bucket } from './bucket.js'
import { readPart, type SpooledPart } from './part-buffer.js'
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

/** The tail's bytes as they come from S3 (a tail object is streamed, never held whole). */
export async function* tailChunks(b: Bucket, t: TailRef): AsyncIterable<Uint8Array> {
  if (t.data !== undefined) {
    yield await loadTail(b, t)
    return
  }
  let n = 0
  for await (const c of b.read(t.key as string, 0, t.size)) {
    n += c.byteLength
    yield c
  }
  if (n !== t.size) throw new Error(`a tail of upload has ${n} bytes, expected ${t.size}`)
}

/** `storeTail` for bytes held by a part buffer (part-buffer.ts): a tail object is streamed from its file if it has one. */
export async function storeSpooledTail(
  b: Bucket,
  rec: UploadRecord,
  p: SpooledPart,
  inlineMax: number,
): Promise<TailRef> {
  if (p.size <= inlineMax) return storeTail(b, rec, await readPart(p), inlineMax)
  rec.generation++
  const key = b.layout.tail(rec.id, rec.generation)
  if (p.bytes) await b.putBytes(key, p.bytes.subarray(0, p.size))
  else await b.putFile(key, p.path, p.size)
  return { size: p.size, key }
}
