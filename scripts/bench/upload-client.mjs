/**
 * The streaming client every server benchmark uses: one node:http request that streams a file from disk as its body,
 * with Content-Length, on a fresh connection. Interim (1xx) responses are ignored. The time is measured from the
 * start of the request to the end of the final response.
 *
 * Usage as a script: node scripts/bench/upload-client.mjs URL FILE [Header:value...]
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { request } from 'node:http'
import { pipeline } from 'node:stream/promises'

/**
 * @param {string} url
 * @param {string} file
 * @param {{ method?: string, headers?: Record<string, string> }} [options]
 * @returns {Promise<{ status: number, headers: import('node:http').IncomingHttpHeaders, body: string, seconds: number, bytes: number }>}
 */
export async function upload(url, file, { method = 'POST', headers = {} } = {}) {
  const bytes = (await stat(file)).size
  const t0 = process.hrtime.bigint()
  const req = request(url, {
    method,
    agent: false,
    headers: { 'content-type': 'application/octet-stream', ...headers, 'content-length': String(bytes) },
  })
  const response = new Promise((resolve, reject) => {
    req.once('response', resolve)
    req.once('error', reject)
  })
  // A server that answers early and closes makes the body stream fail; the response says why.
  const sent = pipeline(createReadStream(file), req).catch((e) => e)
  const res = await response
  let body = ''
  res.setEncoding('utf8')
  for await (const s of res) body += s
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const failure = await sent
  if (failure && res.statusCode < 300) throw failure
  return { status: res.statusCode ?? 0, headers: res.headers, body, seconds, bytes }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [url, file, ...fields] = process.argv.slice(2)
  if (!url || !file) {
    process.stderr.write('usage: node scripts/bench/upload-client.mjs URL FILE [Header:value...]\n')
    process.exit(2)
  }
  const headers = Object.fromEntries(fields.map((f) => [f.slice(0, f.indexOf(':')), f.slice(f.indexOf(':') + 1)]))
  const r = await upload(url, file, { headers })
  process.stdout.write(
    `${r.status} ${r.bytes} B in ${r.seconds.toFixed(3)} s = ${(r.bytes / 1e6 / r.seconds).toFixed(1)} MB/s\n`,
  )
}
