/**
 * The memory floor for the `tus` suite: a minimal node:http server that speaks just enough tus 1.0 for `rufh load`
 * (creation, HEAD, PATCH piped to the file, GET for verification) and, for the held suite, IETF draft optimistic
 * creation (a POST with `Upload-Draft-Interop-Version` whose body is piped to the file, the URL in a 104), and nothing else: no checks beyond the offset, no
 * metadata, no logging, no locking. Whatever RSS it reaches under the load is what Node's HTTP stack and V8's garbage
 * collector cost by themselves, so no server built on node:http can be expected to go much below it.
 *
 * Usage: node scripts/bench/tus-floor-server.mjs DIR [PORT=0] [BACKLOG]
 * BACKLOG is the listen queue's length (Node's default, 511, when absent).
 * Prints `floor serving http://127.0.0.1:PORT/files/ -> DIR` when ready.
 */
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs'
import { stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'

const [dir, port = '0', backlog] = process.argv.slice(2)
if (!dir) {
  process.stderr.write('usage: node scripts/bench/tus-floor-server.mjs DIR [PORT] [BACKLOG]\n')
  process.exit(2)
}
mkdirSync(dir, { recursive: true })
const lengths = new Map()
let n = 0
const TUS = { 'tus-resumable': '1.0.0' }

async function handle(req, res) {
  const id = /^\/files\/(\d+)$/.exec(req.url ?? '')?.[1]
  const file = id && join(dir, id)
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { ...TUS, 'tus-version': '1.0.0', 'tus-extension': 'creation' }).end()
  } else if (req.method === 'POST' && req.headers['upload-draft-interop-version']) {
    // IETF draft optimistic creation (the held suite's interop 8): the whole body in the POST, the URL in a 104.
    const name = String(++n)
    const location = `http://${req.headers.host}/files/${name}`
    lengths.set(name, Number(req.headers['content-length']))
    res._writeRaw(`HTTP/1.1 104 Upload Resumption Supported\r\nlocation: ${location}\r\n\r\n`, 'latin1')
    await pipeline(req, createWriteStream(join(dir, name))).catch(() => {})
    const { size } = await stat(join(dir, name))
    res.writeHead(201, { location, 'upload-offset': String(size), 'upload-complete': '?1' }).end()
  } else if (req.method === 'POST') {
    const name = String(++n)
    lengths.set(name, Number(req.headers['upload-length']))
    await writeFile(join(dir, name), '')
    req.resume()
    const location = `http://${req.headers.host}/files/${name}`
    res.writeHead(201, { ...TUS, location, 'upload-offset': '0' }).end()
  } else if (!file || !lengths.has(id)) {
    req.resume()
    res.writeHead(404, TUS).end()
  } else if (req.method === 'HEAD') {
    const { size } = await stat(file)
    const headers = { 'upload-offset': String(size), 'upload-length': String(lengths.get(id)) }
    res.writeHead(200, { ...TUS, ...headers, 'cache-control': 'no-store' }).end()
  } else if (req.method === 'PATCH') {
    const { size } = await stat(file)
    if (Number(req.headers['upload-offset']) !== size) {
      req.resume()
      res.writeHead(409, TUS).end()
      return
    }
    await pipeline(req, createWriteStream(file, { flags: 'a' })).catch(() => {})
    const after = await stat(file)
    res.writeHead(204, { ...TUS, 'upload-offset': String(after.size) }).end()
  } else if (req.method === 'GET') {
    res.writeHead(200, { 'content-length': String((await stat(file)).size) })
    await pipeline(createReadStream(file), res).catch(() => {})
  } else {
    req.resume()
    res.writeHead(405, TUS).end()
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch((e) => {
    if (!res.headersSent) res.writeHead(500).end(String(e))
  })
})
server.requestTimeout = 0
server.listen({ port: Number(port), host: '127.0.0.1', ...(backlog ? { backlog: Number(backlog) } : {}) }, () => {
  process.stdout.write(`floor serving http://127.0.0.1:${server.address().port}/files/ -> ${dir}\n`)
})
process.once('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
