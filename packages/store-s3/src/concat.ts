/**
 * tus concatenation inside S3: a new object made of complete uploads' objects without sending their bytes again.
 * One non-empty source is one `CopyObject`; several are a multipart upload of `UploadPartCopy` parts (at most 5 GiB
 * each, as S3 allows), which S3 accepts only when every part but the last is at least its minimum part size. When a
 * source before the last is smaller than that, the bytes are streamed through this process instead, as one append.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3'
import { type AppendLimits, appendBody, contentTypeOf } from './append.js'
import type { Bucket } from './bucket.js'
import { finish } from './finish.js'
import type { UploadRecord } from './record.js'

const MAX_COPY = 5 * 1024 ** 3

export interface Source {
  id: string
  size: number
}

export async function concatenateObjects(
  b: Bucket,
  rec: UploadRecord,
  sources: readonly Source[],
  minPartSize: number,
  limits: AppendLimits,
): Promise<UploadRecord> {
  const nonEmpty = sources.filter((s) => s.size > 0)
  const size = nonEmpty.reduce((n, s) => n + s.size, 0)
  const key = b.layout.object(rec.id)
  const done = async (): Promise<UploadRecord> => {
    const out: UploadRecord = { ...rec, complete: true, length: size, size }
    await b.putRecord(out)
    return out
  }
  if (nonEmpty.length === 0) {
    await b.putBytes(key, new Uint8Array(0), contentTypeOf(rec).ContentType)
    return done()
  }
  const only = nonEmpty[0] as Source
  if (nonEmpty.length === 1 && only.size <= MAX_COPY) {
    await b.client.send(
      new CopyObjectCommand({
        Bucket: b.name,
        Key: key,
        CopySource: b.copySource(b.layout.object(only.id)),
        MetadataDirective: 'REPLACE',
        ...contentTypeOf(rec),
      }),
    )
    return done()
  }
  if (nonEmpty.slice(0, -1).some((s) => s.size < minPartSize)) {
    // Streamed: the record exists (incomplete) from the start, so a crash leaves an upload expiry can remove.
    await b.putRecord(rec)
    async function* bytes() {
      for (const s of nonEmpty) yield* b.read(b.layout.object(s.id))
    }
    await appendBody(b, rec, bytes(), limits)
    return finish(b, await b.getRecord(rec.id))
  }
  const created = await b.client.send(
    new CreateMultipartUploadCommand({ Bucket: b.name, Key: key, ...contentTypeOf(rec) }),
  )
  const uploadId = created.UploadId
  if (!uploadId) throw new Error('S3 returned no UploadId')
  const parts: { PartNumber: number; ETag: string }[] = []
  for (const s of nonEmpty) {
    for (let start = 0; start < s.size; start += MAX_COPY) {
      const end = Math.min(s.size, start + MAX_COPY)
      const r = await b.client.send(
        new UploadPartCopyCommand({
          Bucket: b.name,
          Key: key,
          UploadId: uploadId,
          PartNumber: parts.length + 1,
          CopySource: b.copySource(b.layout.object(s.id)),
          CopySourceRange: `bytes=${start}-${end - 1}`,
        }),
      )
      const etag = r.CopyPartResult?.ETag
      if (!etag) throw new Error('S3 returned no ETag for a copied part')
      parts.push({ PartNumber: parts.length + 1, ETag: etag })
    }
  }
  await b.client.send(
    new CompleteMultipartUploadCommand({
      Bucket: b.name,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: parts },
    }),
  )
  return done()
}
