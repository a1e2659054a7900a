/**
 * Another party's request for the same upload (an offset retrieval) stops the client's running append: rufh answers
 * the stopped append `400 ERR_UPLOAD_INTERRUPTED`, keeps what it stored, and the client must resume from the offset
 * rather than give up (before this was classified, the upload failed as fatal).
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createUpload } from '../index.js'
import { startCutProxy } from './cut-proxy.test.helper.js'
import { pseudoRandom, startTestServer, type TestServer } from './server.test.helper.js'

const SIZE = 512 * 1024

function head(url: string, interop: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request(url, { method: 'HEAD', headers: { 'upload-draft-interop-version': String(interop) } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    r.on('error', reject)
    r.end()
  })
}

describe('an append preempted by another request is resumed, not failed', { timeout: 60_000 }, () => {
  let server: TestServer
  before(async () => {
    server = await startTestServer()
  })
  after(() => server.close())

  for (const interop of [6, 8, 10] as const)
    it(`interop ${interop}`, async () => {
      const data = pseudoRandom(SIZE, interop)
      const file = join(server.dir, `input-${interop}.bin`)
      await writeFile(file, data)
      // Slow enough (256 KB/s) that the takeover lands in the middle of the body.
      const proxy = await startCutProxy(server.port, { rate: 256_000 })
      try {
        const up = await createUpload(file, {
          endpoint: proxy.via(server.url),
          interop,
          store: false,
          retry: { baseDelay: 5, maxDelay: 50, retries: 5 },
        })
        let retries = 0
        up.on('retry', () => retries++)
        const url = new Promise<string>((resolve) => up.on('url', (e) => resolve(e.url)))
        const done = up.start()
        const at = await url
        // Wait until the first part is stored, then take the upload over with an offset retrieval.
        for (let i = 0; i < 200 && (await server.bytesOf(at).catch(() => Buffer.alloc(0))).length < 100_000; i++)
          await new Promise((r) => setTimeout(r, 10))
        const before = (await server.bytesOf(at)).length
        assert.ok(before >= 100_000 && before < SIZE, `the takeover lands mid-body (${before} bytes stored)`)
        const status = await head(new URL(new URL(at).pathname, server.url).href, interop)
        assert.ok(status >= 200 && status < 300, `HEAD answered ${status}`)
        const r = await done
        assert.ok(retries >= 1, 'the client retried after its append was stopped')
        assert.deepEqual(await server.bytesOf(r.url!), data)
      } finally {
        await proxy.close()
      }
    })
})
