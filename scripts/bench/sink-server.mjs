/**
 * The baseline: a minimal node:http server that pipes each request body to a new file in DIR and answers
 * `{"bytes": N, "file": PATH}`. It keeps the files (the benchmark verifies and deletes them).
 *
 * Usage: node scripts/bench/sink-server.mjs DIR [PORT=0]
 * Prints `sink serving http://127.0.0.1:PORT/ -> DIR` when ready.
 */
import { createWriteStream, mkdirSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'

const [dir, port = '0'] = process.argv.slice(2)
if (!dir) {
  process.stderr.write('usage: node scripts/bench/sink-server.mjs DIR [PORT]\n')
  process.exit(2)
}
mkdirSync(dir, { recursive: true })
let n = 0

const server = createServer(async (req, res) => {
  const file = join(dir, `upload-${n++}`)
  try {
    await pipeline(req, createWriteStream(file))
    const { size } = await stat(file)
    res.setHeader('content-type', 'application/json')
    res.end(`${JSON.stringify({ bytes: size, file })}\n`)
  } catch (e) {
    res.statusCode = 500
    res.end(String(e))
  }
})
server.requestTimeout = 0
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`sink serving http://127.0.0.1:${server.address().port}/ -> ${dir}\n`)
})
process.once('SIGTERM', () => server.close())
