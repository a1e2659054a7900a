/**
 * Peer tus clients through the gateway in stream mode (the backend request is fed as appends arrive): tus-js-client
 * in its three protocols and python3-tuspy in chunks. The backend sees exactly one request per upload with the full
 * bytes, a tus-js-client upload cut mid-chunk resumes at the offset the backend has read, and the back-pressure
 * waits leave no listener behind.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Upload, type UploadOptions } from 'tus-js-client'
import { type Backend, sha256, startBackend, startTestGateway, type TestGateway, tuspyUpload } from './kit.js'

const KiB = 1024
/** Process warnings seen while the gateway runs here (a listener leak on the backend request shows as one). */
const warnings: string[] = []
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`))
let backend: Backend
let gw: TestGateway
before(async () => {
  backend = await startBackend()
  gw = await startTestGateway({ backend: backend.url, mode: 'stream', idleTimeoutMs: 5_000 })
})
after(async () => {
  await gw.close()
  await backend.close()
})

function assertOneRequest(before: number, data: Buffer, path: string): void {
  const got = backend.received.slice(before)
  assert.equal(got.length, 1, `one backend request: ${got.map((g) => `${g.path} ${g.size} ${g.complete}`).join('; ')}`)
  assert.equal(got[0]?.complete, true)
  assert.equal(got[0]?.path, path)
  assert.equal(got[0]?.size, data.length)
  assert.equal(got[0]?.sha256, sha256(data))
}

function tusUpload(data: Buffer, options: UploadOptions): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const u = new Upload(data, {
      ...options,
      onSuccess: () => resolve(String(u.url)),
      onError: reject,
    } as UploadOptions)
    u.start()
  })
}

/**
 * A forwarding proxy in front of the gateway that cuts the request body of the first PATCH after `cutAt` bytes
 * (the socket is destroyed, as a dropped mobile link would), and relays everything else unchanged.
 */
async function cuttingProxy(
  target: string,
  cutAt: number,
): Promise<{ url: string; cuts: () => number; close(): Promise<void> }> {
  let cuts = 0
  const server: Server = createServer((req, res) => {
    const cut = req.method === 'PATCH' && cuts === 0
    const up = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers)
      r.pipe(res)
    })
    up.on('error', () => res.destroy())
    if (!cut) {
      req.pipe(up)
      return
    }
    cuts++
    let seen = 0
    req.on('data', (chunk: Buffer) => {
      const room = cutAt - seen
      seen += chunk.length
      if (room > 0) up.write(chunk.subarray(0, Math.min(room, chunk.length)))
      if (seen >= cutAt) {
        // Both sides go down mid-body: the gateway sees an interrupted append, the client a lost connection.
        up.destroy()
        req.socket.destroy()
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cuts: () => cuts,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

describe('tus peers through the stream gateway', { timeout: 180_000 }, () => {
  for (const protocol of ['tus-v1', 'ietf-draft-03', 'ietf-draft-05'] as const) {
    test(`tus-js-client ${protocol}: chunks, one backend request with the bytes`, async () => {
      const data = randomBytes(1_500_000 + 11)
      const n = backend.received.length
      const url = await tusUpload(data, {
        endpoint: `${gw.url}/stream/${protocol}`,
        protocol,
        chunkSize: 400 * KiB,
        retryDelays: [],
      } as UploadOptions)
      assert.match(url, /\/\.uploads\//)
      assertOneRequest(n, data, `/stream/${protocol}`)
    })
  }

  test('tus-js-client (tus-v1) cut mid-chunk resumes at the backend offset: one request, exact bytes', async () => {
    const proxy = await cuttingProxy(gw.url, 300 * KiB)
    try {
      const data = randomBytes(1_200_000)
      const n = backend.received.length
      await tusUpload(data, {
        endpoint: `${proxy.url}/stream/cut`,
        protocol: 'tus-v1',
        chunkSize: 800 * KiB,
        retryDelays: [50, 100, 200, 400],
      } as UploadOptions)
      assert.equal(proxy.cuts(), 1, 'the first PATCH was cut')
      assertOneRequest(n, data, '/stream/cut')
    } finally {
      await proxy.close()
    }
  })

  test('no listener piles up on the backend request across back-pressure waits', () => {
    // Each chunk upload above waits for 'drain' many times; a wait that leaves a listener behind trips Node's
    // MaxListenersExceededWarning after ten.
    assert.deepEqual(
      warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')),
      [],
    )
  })

  test('python3-tuspy 1.0.0, in chunks: one backend request with the bytes', async () => {
    const data = randomBytes(1_000_003)
    const file = join(gw.dir, 'py-stream.bin')
    await writeFile(file, data)
    const n = backend.received.length
    const uploadUrl = await tuspyUpload(file, `${gw.url}/py/stream`, 300000)
    assert.match(uploadUrl, /\/\.uploads\//)
    assertOneRequest(n, data, '/py/stream')
  })
})
