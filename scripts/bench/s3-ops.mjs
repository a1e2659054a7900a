/**
 * S3 requests counted from radosgw's own log (the `s3` suite): radosgw writes one `beast:` line per request it
 * answered, with the time the request started, the method, the path with its query and the status. Counting there
 * sees every server alike, whatever S3 client it uses. Also: emptying a bucket between runs.
 */
import { open } from 'node:fs/promises'
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3'

const MONTHS = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 }
const LINE =
  /beast: \S+: \S+ - \S+ \[(\d\d)\/(\w{3})\/(\d{4}):(\d\d):(\d\d):(\d\d(?:\.\d+)?) \+0000\] "(\w+) (\S+) HTTP\/[\d.]+" (\d{3})/

/** The S3 operation of a request line (by method and query; a copy is counted with the call it looks like). */
export function operationOf(method, query) {
  const q = new URLSearchParams(query)
  if (method === 'POST') return q.has('uploads') ? 'CreateMultipartUpload' : 'CompleteMultipartUpload'
  if (method === 'PUT') return q.has('partNumber') ? 'UploadPart' : 'PutObject'
  if (method === 'GET') return q.has('uploadId') ? 'ListParts' : q.has('list-type') ? 'ListObjectsV2' : 'GetObject'
  if (method === 'HEAD') return 'HeadObject'
  if (method === 'DELETE') return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject'
  return method
}

/** Reads radosgw's log from where the last read stopped. */
export class RgwLog {
  constructor(file) {
    this.file = file
    this.offset = 0
    this.lines = []
  }

  async read() {
    const fh = await open(this.file, 'r')
    try {
      const { size } = await fh.stat()
      if (size > this.offset) {
        const buf = Buffer.alloc(size - this.offset)
        await fh.read(buf, 0, buf.length, this.offset)
        const text = buf.toString('utf8')
        const end = text.lastIndexOf('\n') + 1
        this.offset += Buffer.byteLength(text.slice(0, end))
        for (const l of text.slice(0, end).split('\n')) {
          const m = LINE.exec(l)
          if (!m) continue
          const [, d, mon, y, h, mi, s, method, target, status] = m
          const sec = Number(s)
          const t = Date.UTC(
            Number(y),
            MONTHS[mon],
            Number(d),
            Number(h),
            Number(mi),
            Math.floor(sec),
            Math.round((sec % 1) * 1000),
          )
          const [path, query = ''] = target.split('?')
          this.lines.push({ t, method, path: decodeURIComponent(path), query, status: Number(status) })
        }
      }
    } finally {
      await fh.close()
    }
  }

  /**
   * Requests on `bucket` that started in [from, to) (ms since the epoch), by operation, and split by the kind of key
   * (`.info` records and the rest).
   */
  async count(bucket, from, to) {
    await this.read()
    const ops = {}
    let total = 0
    let failed = 0
    for (const l of this.lines) {
      if (l.t < from || l.t >= to || !l.path.startsWith(`/${bucket}/`) || l.path === `/${bucket}/`) continue
      const op = operationOf(l.method, l.query)
      const kind = l.path.endsWith('.info') ? `${op} (.info)` : op
      ops[kind] = (ops[kind] ?? 0) + 1
      total++
      if (l.status >= 400) failed++
    }
    return { ops, total, failed }
  }
}

/** `{ A: 2, B: 1 }` → `A 2, B 1`, largest first. */
export function formatOps(ops, per = 1) {
  return Object.entries(ops)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${Number.isInteger(n / per) ? n / per : (n / per).toFixed(2)}`)
    .join(', ')
}

/** Deletes every object and aborts every multipart upload in `bucket`. */
export async function emptyBucket(client, bucket) {
  for (;;) {
    const r = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
    for (const u of r.Uploads ?? [])
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }))
    if (!r.IsTruncated) break
  }
  for (;;) {
    const r = await client.send(new ListObjectsV2Command({ Bucket: bucket }))
    const keys = (r.Contents ?? []).map((o) => o.Key)
    for (let i = 0; i < keys.length; i += 16)
      await Promise.all(
        keys.slice(i, i + 16).map((Key) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key }))),
      )
    if (!r.IsTruncated) break
  }
}
