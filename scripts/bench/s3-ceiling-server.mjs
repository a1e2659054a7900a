/**
 * The ceiling for the `s3` suite: a minimal node:http server that speaks just enough tus 1.0 for `rufh load`
 * (creation, HEAD, one PATCH carrying the whole body, GET for verification) and streams each PATCH body straight
 * into an S3 multipart upload with the AWS SDK: each part's bytes go from the request into `UploadPart` as they
 * arrive (no copy, no temporary file, no buffer beyond the socket's), the next part starts as soon as the previous
 * one's body is sent (its answer awaited alongside), and `CompleteMultipartUpload` ends the PATCH. No record, no
 * durability (the offset lives in this process's memory), no checks beyond the offset, no resumption within a part.
 * What it reaches on a radosgw and a set of cores is what any Node S3 uploader can expect there; what it costs in
 * RSS is what Node's HTTP stack and the SDK cost by themselves.
 *
 * The S3 client is configured as `rufh serve --s3-bucket` configures its own (packages/store-s3/src/client.ts):
 * `UNSIGNED-PAYLOAD` for part bodies, checksums only when required.
 *
 * Usage: node scripts/bench/s3-ceiling-server.mjs ENDPOINT BUCKET → prints "ceiling serving URL" when ready.
 * Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Parts of 8 MiB, as both servers of the suite.
 */
import { createServer } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'

const [endpoint, bucket] = process.argv.slice(2)
if (!endpoint || !bucket) throw new Error('usage: node s3-ceiling-server.mjs ENDPOINT BUCKET')
const PART = 8 * 1024 * 1024
const s3 = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
})
s3.middlewareStack.add(
  (next, context) => async (args) => {
    if (context.commandName === 'UploadPartCommand' && args.request?.headers)
      args.request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD'
    return next(args)
  },
  { step: 'build', name: 'unsignedPayload' },
)
const TUS = { 'tus-resumable': '1.0.0' }
/** id → { length, offset } */
const uploads = new Map()
let n = 0

/** `size` bytes of the body iterator `it` as a stream; bytes past them are left in `state.rest`. */
function partStream(it, state, size, done) {
  return Readable.from(
    (async function* () {
      let need = size
      while (need > 0) {
        let c = state.rest
        state.rest = undefined
        if (!c) {
          const r = await it.next()
          if (r.done) throw new Error('the body ended inside a part')
          c = r.value
        }
        if (c.byteLength > need) {
          state.rest = c.subarray(need)
          c = c.subarray(0, need)
        }
        need -= c.byteLength
        yield c
      }
      done()
    })(),
    { objectMode: false },
  )
}

async function patch(req, id, u) {
  const size = Number(req.headers['content-length'])
  if (u.offset !== 0 || size !== u.length) throw new Error('the ceiling takes one PATCH with the whole body')
  const key = `${id}.bin`
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))
  const it = req[Symbol.asyncIterator]()
  const state = { rest: undefined }
  const sent = []
  for (let at = 0, part = 1; at < size || part === 1; part++) {
    const len = Math.min(PART, size - at)
    let sentBody
    const bodySent = new Promise((resolve) => {
      sentBody = resolve
    })
    const Body = partStream(it, state, len, sentBody)
    const ack = s3
      .send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: part, Body, ContentLength: len }))
      .then((r) => ({ PartNumber: part, ETag: r.ETag }))
    ack.catch(() => {})
    sent.push(ack)
    // The next part starts once this one's bytes are on their way; a failed part ends the loop too.
    await Promise.race([bodySent, ack])
    at += len
    if (len === 0) break
  }
  const Parts = await Promise.all(sent)
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts } }))
  u.offset = size
}

async function handle(req, res) {
  const id = /^\/files\/(\d+)$/.exec(req.url ?? '')?.[1]
  const u = id && uploads.get(id)
  if (req.method === 'POST') {
    const name = String(++n)
    uploads.set(name, { length: Number(req.headers['upload-length']), offset: 0 })
    req.resume()
    res.writeHead(201, { ...TUS, location: `http://${req.headers.host}/files/${name}`, 'upload-offset': '0' }).end()
  } else if (!u) {
    req.resume()
    res.writeHead(404, TUS).end()
  } else if (req.method === 'HEAD') {
    const headers = { 'upload-offset': String(u.offset), 'upload-length': String(u.length) }
    res.writeHead(200, { ...TUS, ...headers, 'cache-control': 'no-store' }).end()
  } else if (req.method === 'PATCH') {
    await patch(req, id, u)
    res.writeHead(204, { ...TUS, 'upload-offset': String(u.offset) }).end()
  } else if (req.method === 'GET') {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${id}.bin` }))
    res.writeHead(200, { 'content-length': String(r.ContentLength) })
    await pipeline(r.Body, res).catch(() => {})
  } else {
    req.resume()
    res.writeHead(405, TUS).end()
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch((e) => {
    req.resume()
    if (!res.headersSent) res.writeHead(500, TUS).end(String(e))
  })
})
server.requestTimeout = 0
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`ceiling serving http://127.0.0.1:${server.address().port}/files\n`)
})
process.once('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
