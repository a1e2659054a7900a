/**
 * Completion: the parts in the record, then the tail as the last part (a tail object is copied inside S3 with
 * `UploadPartCopy`, so it is not sent again; an inline tail is sent with `UploadPart`), make the final object. An upload with no full part is one `CopyObject` of its tail object (or a `PutObject` of its inline tail), and an
 * empty one an empty `PutObject`: S3 cannot complete a multipart upload without parts.
 *
 * The record says "complete" only after S3 confirmed the object, and the record is the only place completion is read
 * from: a missing multipart upload is never taken as proof (tus-node-server#877). A crash after S3 completed but
 * before the record was written is recovered on the next try: S3 no longer knows the multipart upload, so the final
 * object's size is checked against the record's offset instead.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3'
import { InconsistentLengthError } from '@rufh/protocol'
import { contentTypeOf } from './append.js'
import { type Bucket, isNotFound } from './bucket.js'
import { offsetOf, type UploadRecord } from './record.js'
import { loadTail } from './tail.js'

export async function finish(b: Bucket, current: UploadRecord): Promise<UploadRecord> {
  const rec: UploadRecord = structuredClone(current)
  const size = offsetOf(rec)
  if (rec.length !== undefined && rec.length !== size)
    throw new InconsistentLengthError(`the upload holds ${size} bytes, not its length ${rec.length}`)
  const key = b.layout.object(rec.id)
  // No recorded part (also after a truncation back to before the first one, tus checksum): one object of the tail.
  // The parts such a multipart upload still holds are named by no record; it is aborted once the object exists.
  const unused = rec.parts.length === 0 ? rec.multipart : undefined
  if (rec.parts.length === 0) {
    if (rec.tail?.data !== undefined) await b.putBytes(key, await loadTail(b, rec.tail), contentTypeOf(rec).ContentType)
    else if (rec.tail?.key)
      await b.client.send(
        new CopyObjectCommand({
          Bucket: b.name,
          Key: key,
          CopySource: b.copySource(rec.tail.key),
          MetadataDirective: 'REPLACE',
          ...contentTypeOf(rec),
        }),
      )
    else await b.putBytes(key, new Uint8Array(0), contentTypeOf(rec).ContentType)
    if (unused)
      await b.client
        .send(new AbortMultipartUploadCommand({ Bucket: b.name, Key: key, UploadId: unused }))
        .catch((e: unknown) => {
          if (!isNotFound(e)) throw e
        })
  } else {
    try {
      const parts = rec.parts.map((p) => ({ PartNumber: p.n, ETag: p.etag }))
      const n = rec.parts.length + 1
      if (rec.tail?.data !== undefined) {
        const bytes = await loadTail(b, rec.tail)
        const r = await b.client.send(
          new UploadPartCommand({
            Bucket: b.name,
            Key: key,
            UploadId: rec.multipart,
            PartNumber: n,
            Body: bytes,
            ContentLength: bytes.byteLength,
          }),
        )
        if (!r.ETag) throw new Error('S3 returned no ETag for the tail part')
        parts.push({ PartNumber: n, ETag: r.ETag })
      } else if (rec.tail?.key) {
        const r = await b.client.send(
          new UploadPartCopyCommand({
            Bucket: b.name,
            Key: key,
            UploadId: rec.multipart,
            PartNumber: n,
            CopySource: b.copySource(rec.tail.key),
          }),
        )
        const etag = r.CopyPartResult?.ETag
        if (!etag) throw new Error('S3 returned no ETag for the copied tail')
        parts.push({ PartNumber: n, ETag: etag })
      }
      await b.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: b.name,
          Key: key,
          UploadId: rec.multipart,
          MultipartUpload: { Parts: parts },
        }),
      )
    } catch (e) {
      // Completed earlier by a run that crashed before writing the record: the object is the proof, if whole.
      if (!isNotFound(e) || (await b.size(key)) !== size) throw e
    }
  }
  const stale = [rec.tail?.key, rec.undo?.tail?.key]
  rec.complete = true
  rec.length = size
  rec.size = size
  rec.tail = undefined
  rec.undo = undefined
  rec.multipart = undefined
  rec.parts = []
  await b.putRecord(rec)
  for (const k of stale) if (k) await b.delete(k)
  return rec
}
