#!/usr/bin/env node
/**
 * One upload for the HTTP/1.1 A/B harness (h1-ab.mjs), in its own process so that its CPU is its own:
 * `node scripts/bench/h1-ab-client.mjs MODE FILE URL`. Prints `ready`, waits for a line on stdin, uploads, prints one
 * JSON line `{ seconds }` (from the start of the upload to its final response), then waits for stdin to end.
 *
 * - `raw-1m`, `raw-256k`, `raw-64k`: a bare `http.request` PATCH of the whole file into the upload at URL (created
 *   empty by the parent at interop 10), two reused buffers of that size filled by `readSync`, the next read once a
 *   write's callback freed its buffer (the scheme of packages/client/src/transports/node-file-body.ts, without its
 *   disk fallback and turn limit).
 * - `raw-1m-ka`: raw-1m after an OPTIONS on the same keep-alive connection (the connection @rufh/client reuses).
 * - `raw-stream`: the same PATCH with `fs.createReadStream(FILE).pipe(req)`.
 * - `rufh`: `upload(FILE, { endpoint: URL })`, defaults. `rufh-i8`: `interop: 8, discover: false` (one optimistic
 *   creation POST carrying the file, as the bench's curl). `rufh-i10`: `interop: 10, discover: false` (optimistic creation at interop 10). `rufh-noka`: defaults over a
 *   `NodeHttpTransport` whose agent does not keep connections alive (each request on a fresh one). `rufh-h2`: defaults over `NodeHttp2Transport`.
 *   `rufh-alt`: defaults, from the client build at H1AB_ALT (another build's dist/index.js), to compare two builds in one run.
 */
import { createReadStream, openSync, readSync, statSync } from 'node:fs'
import http from 'node:http'
import { createInterface } from 'node:readline'

const [mode, file, url] = process.argv.slice(2)
const size = statSync(file).size
const PATCH_HEADERS = {
  'upload-draft-interop-version': '10',
  'upload-offset': '0',
  'upload-complete': '?1',
  'content-type': 'application/partial-upload',
  'content-length': String(size),
}

/** `raw-1m-ka`: an OPTIONS first on a keep-alive connection, then the PATCH on the same one (as @rufh/client). */
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })

function options() {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'OPTIONS', agent })
    req.on('error', reject)
    req.on('response', (res) => res.resume().on('end', resolve))
    req.end()
  })
}

function patch(send, viaAgent = false) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PATCH', headers: PATCH_HEADERS, ...(viaAgent ? { agent } : {}) })
    req.on('error', reject)
    req.on('response', (res) => {
      res.resume()
      res.on('end', () =>
        res.statusCode === 204 || res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
      )
    })
    send(req)
  })
}

function buffered(bytes) {
  return (req) => {
    const fd = openSync(file, 'r')
    const free = [Buffer.allocUnsafeSlow(bytes), Buffer.allocUnsafeSlow(bytes)]
    let pos = 0
    const pump = () => {
      while (free.length > 0 && pos < size) {
        const buf = free.pop()
        const n = readSync(fd, buf, 0, Math.min(bytes, size - pos), pos)
        pos += n
        req.write(n === bytes ? buf : buf.subarray(0, n), () => {
          free.push(buf)
          pump()
        })
      }
      if (pos >= size && free.length === 2) req.end()
    }
    pump()
  }
}

let once
if (mode === 'raw-1m') once = () => patch(buffered(1 << 20))
else if (mode === 'raw-1m-ka') once = () => options().then(() => patch(buffered(1 << 20), true))
else if (mode === 'raw-256k') once = () => patch(buffered(256 << 10))
else if (mode === 'raw-64k') once = () => patch(buffered(64 << 10))
else if (mode === 'raw-stream') once = () => patch((req) => createReadStream(file).pipe(req))
else {
  const { upload, NodeHttp2Transport, NodeHttpTransport } = await import(
    mode === 'rufh-alt' ? process.env.H1AB_ALT : (process.env.H1AB_CLIENT ?? '../../packages/client/dist/index.js')
  )
  const transport =
    mode === 'rufh-h2'
      ? new NodeHttp2Transport()
      : mode === 'rufh-noka'
        ? new NodeHttpTransport({ agent: new http.Agent({ keepAlive: false }) })
        : undefined
  const opts =
    mode === 'rufh-i8'
      ? { interop: 8, discover: false }
      : mode === 'rufh-i10'
        ? { interop: 10, discover: false }
        : mode === 'rufh-h2' || mode === 'rufh-noka'
          ? { transport }
          : mode === 'rufh' || mode === 'rufh-alt'
            ? {}
            : null
  if (!opts) throw new Error(`unknown mode ${mode}`)
  once = async () => {
    await upload(file, { endpoint: url, ...opts })
    transport?.close?.()
  }
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
process.stdout.write('ready\n')
await lines.next()
const t0 = process.hrtime.bigint()
await once()
const seconds = Number(process.hrtime.bigint() - t0) / 1e9
process.stdout.write(`${JSON.stringify({ seconds })}\n`)
while (!(await lines.next()).done) {}
process.exit(0)
