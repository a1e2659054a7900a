/**
 * The floor of the gateway benchmark: a bare node:http reverse proxy with no protocol logic. Each request goes to the
 * backend with the same method, path and headers, its body piped through, and the backend's answer piped back. It
 * uses the gateway's buffer sizes (256 KiB on client connections, 1 MiB on the backend connection), so what it costs
 * over a direct upload is what any proxy hop in Node costs on this machine, not a tuning difference.
 * Run: `node floor-proxy.mjs BACKEND_URL [port]`; it prints `floor proxy serving URL`.
 */
import { createServer, request } from 'node:http'
import { pipeline } from 'node:stream'

const backend = new URL(process.argv[2] ?? 'http://127.0.0.1:8080')
const port = Number(process.argv[3] ?? 0)

const server = createServer({ highWaterMark: 256 * 1024 }, (req, res) => {
  const out = request({
    host: backend.hostname,
    port: backend.port,
    method: req.method,
    path: req.url,
    headers: req.headers,
    agent: false,
    highWaterMark: 1024 * 1024,
  })
  out.once('response', (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers)
    pipeline(answer, res, () => {})
  })
  out.once('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-length': 0 })
    res.end()
  })
  pipeline(req, out, () => {})
})
server.requestTimeout = 0
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`floor proxy serving http://127.0.0.1:${server.address().port}\n`)
})
// A clean exit on the benchmark's SIGTERM, so that `node --cpu-prof floor-proxy.mjs` writes its profile.
process.once('SIGTERM', () => process.exit(0))
