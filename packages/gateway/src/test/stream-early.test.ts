/**
 * Stream mode, a backend that answers before the upload is complete and then reads no more of the body (it keeps
 * the connection open): the append, waiting for that connection to take its bytes (backend-body.ts), must stop at
 * once, not when the backend request times out (60 s), and the client learns that the upload cannot go on.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer, type Socket } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { send, startTestGateway, type TestGateway } from './kit.js'

const MiB = 1024 * 1024
const sockets = new Set<Socket>()
const backend = createServer((s) => {
  sockets.add(s)
  s.once('data', () => {
    s.write('HTTP/1.1 413 Payload Too Large\r\ncontent-type: text/plain\r\ncontent-length: 8\r\n\r\ntoo big\n')
    // Reads nothing more: the gateway's writes fill the socket buffers and then wait.
    s.pause()
  })
})
let gw: TestGateway
before(async () => {
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r))
  const { port } = backend.address() as { port: number }
  gw = await startTestGateway({ backend: `http://127.0.0.1:${port}`, mode: 'stream' })
})
after(async () => {
  await gw.close(100)
  for (const s of sockets) s.destroy()
  await new Promise<void>((r) => backend.close(() => r()))
})

describe('stream mode, a backend that answers early', { timeout: 60_000 }, () => {
  test('the client is answered at once and the upload is closed', async () => {
    const data = randomBytes(64 * MiB)
    const t0 = Date.now()
    const r = await send(`${gw.url}/early`, {
      method: 'POST',
      headers: { 'upload-draft-interop-version': '8', 'upload-complete': '?1', 'content-length': data.length },
      body: data,
    }).catch((e: NodeJS.ErrnoException) => ({ status: 0, headers: {}, body: e.code ?? e.message, interim: [] }))
    const took = Date.now() - t0
    assert.ok(took < 15_000, `answered after ${took} ms`)
    assert.equal(r.status, 400, r.body)
    assert.match(r.body, /ERR_UPLOAD_INTERRUPTED/)
  })
})
