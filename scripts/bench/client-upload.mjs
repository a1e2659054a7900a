#!/usr/bin/env node
/**
 * One upload by one client, in its own process (so the parent can sample this process's RSS alone):
 * `node scripts/bench/client-upload.mjs rufh|rufh-h2|tus-js-client FILE URL`.
 *
 * Loads the client, prints `ready`, waits for a line on stdin, uploads FILE to the creation URL, then prints one JSON
 * line `{ bytes, seconds, url, interop }` (seconds from the start of the upload call to its completion; module loading is not
 * counted) and stays alive until stdin ends, so that the parent can read /proc/PID/status after the upload.
 *
 * - `rufh`: `@rufh/client` (packages/client/dist) from the file path with its defaults (`interop: 'auto'`, newest
 *   version the server speaks, found by `OPTIONS` and an empty creation, then the file in one `PATCH`; `chunkSize` ∞
 *   for files). `rufh-h2`: the same over
  `NodeHttp2Transport` (h2c with prior knowledge). `rufh-i8`: `interop: 8, discover: false`, one optimistic creation
 *   `POST` carrying the file on a new connection: the exchange the bench's curl makes.
 * - `tus-js-client`: tus-js-client with `protocol: 'ietf-draft-05'` from `fs.createReadStream(FILE)` with
 *   `uploadSize`, other options default (`chunkSize: Infinity`).
 */
import { createReadStream, statSync } from 'node:fs'
import { createInterface } from 'node:readline'

const [client, file, endpoint] = process.argv.slice(2)
if (!client || !file || !endpoint) {
  process.stderr.write('usage: client-upload.mjs rufh|tus-js-client FILE URL\n')
  process.exit(2)
}
const size = statSync(file).size

let uploadOnce
if (client === 'rufh' || client === 'rufh-h2' || client === 'rufh-i8') {
  const { upload, NodeHttp2Transport } = await import('../../packages/client/dist/index.js')
  const transport = client === 'rufh-h2' ? new NodeHttp2Transport() : undefined
  uploadOnce = async () => {
    const how = client === 'rufh-i8' ? { interop: 8, discover: false } : {}
    const result = await upload(file, { endpoint, ...how, ...(transport ? { transport } : {}) })
    transport?.close()
    return { bytes: result.size, url: result.url, interop: result.interop }
  }
} else if (client === 'tus-js-client') {
  const { Upload } = await import('tus-js-client')
  uploadOnce = () =>
    new Promise((resolve, reject) => {
      const up = new Upload(createReadStream(file), {
        endpoint,
        protocol: 'ietf-draft-05',
        uploadSize: size,
        onError: reject,
        onSuccess: () => resolve({ bytes: size, url: up.url, interop: 6 }),
      })
      up.start()
    })
} else {
  process.stderr.write(`unknown client '${client}' (rufh, rufh-h2, rufh-i8, tus-js-client)\n`)
  process.exit(2)
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
process.stdout.write('ready\n')
await lines.next()
const t0 = process.hrtime.bigint()
const { bytes, url, interop } = await uploadOnce()
const seconds = Number(process.hrtime.bigint() - t0) / 1e9
process.stdout.write(`${JSON.stringify({ bytes, seconds, url, interop })}\n`)
while (!(await lines.next()).done) {}
process.exit(0)
