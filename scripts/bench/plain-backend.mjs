/**
 * A plain HTTP backend for the gateway's matrix column and benchmark: reads each request body, hashes it, and answers
 * 201 with `{ sha256, size }`. Like most plain apps it has no OPTIONS handler: an OPTIONS gets 405 with `Allow`
 * (the gateway then answers discovery itself). Run directly (`node plain-backend.mjs [port]`), it prints `backend serving URL`.
 */
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'

export async function startPlainBackend(port = 0) {
  const received = []
  const server = createServer(async (req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(405, { allow: 'GET, HEAD, POST, PUT, PATCH', 'content-length': 0 })
      res.end()
      return
    }
    const hash = createHash('sha256')
    const r = { method: req.method, path: req.url, key: req.headers['idempotency-key'], size: 0, complete: false }
    received.push(r)
    try {
      for await (const chunk of req) {
        hash.update(chunk)
        r.size += chunk.length
      }
    } catch {
      return
    }
    r.complete = req.complete
    r.sha256 = hash.digest('hex')
    res.writeHead(201, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ sha256: r.sha256, size: r.size }))
  })
  server.requestTimeout = 0
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(resolve)
      }),
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const b = await startPlainBackend(Number(process.argv[2] ?? 0))
  process.stdout.write(`backend serving ${b.url}\n`)
}
