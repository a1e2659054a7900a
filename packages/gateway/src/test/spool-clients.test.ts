/**
 * Spool mode with real clients: @rufh/client in every interop version (3-10) and tus 1.0, and tus-js-client in its
 * three protocols, upload through the gateway on an app path; the plain backend sees exactly one request per upload
 * (the creation's method and path, full bytes, no protocol fields, an Idempotency-Key naming the upload) and the
 * client gets the backend's status and body.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { upload } from '@rufh/client'
import { Upload, type UploadOptions } from 'tus-js-client'
import { type Backend, sha256, startBackend, startTestGateway, type TestGateway } from './kit.js'

let backend: Backend
let gw: TestGateway
before(async () => {
  backend = await startBackend()
  gw = await startTestGateway({ backend: backend.url })
})
after(async () => {
  await gw.close()
  await backend.close()
})

const MiB = 1024 * 1024

/** tus-js-client 4.3.1's typings lack the `protocol` option its code reads. */

function assertBackendSaw(before: number, data: Buffer, path: string, uploadUrl: string | undefined): void {
  const got = backend.received.slice(before)
  assert.equal(
    got.length,
    1,
    `one backend request per upload: ${got.map((g) => `${g.method} ${g.path} ${g.size} ${g.complete}`).join('; ')}`,
  )
  const r = got[0]!
  assert.equal(r.complete, true)
  assert.equal(r.method, 'POST')
  assert.equal(r.path, path)
  assert.equal(r.size, data.length)
  assert.equal(r.sha256, sha256(data))
  assert.equal(r.headers['content-length'], String(data.length))
  for (const name of Object.keys(r.headers))
    assert.ok(!name.startsWith('upload-') && !name.startsWith('tus-'), `protocol field ${name} reached the backend`)
  assert.match(String(r.headers['forwarded']), /for=127\.0\.0\.1;host="127\.0\.0\.1:\d+";proto=http/)
  assert.equal(r.headers['x-forwarded-proto'], 'http')
  const key = String(r.headers['idempotency-key'])
  assert.match(key, /^"[A-Za-z0-9_-]+"$/)
  if (uploadUrl) assert.ok(uploadUrl.endsWith(`/.uploads/${key.slice(1, -1)}`), `${key} names ${uploadUrl}`)
}

describe('@rufh/client through the spool gateway', { timeout: 120_000 }, () => {
  for (const interop of [3, 4, 5, 6, 7, 8, 9, 10, 'tus'] as const) {
    test(`interop ${interop}: one backend request, the backend's answer`, async () => {
      const data = randomBytes(3 * MiB + 17)
      const n = backend.received.length
      const result = await upload(data, {
        endpoint: `${gw.url}/photos/new?album=7`,
        interop,
        chunkSize: MiB,
        headers: { authorization: 'Bearer t0k3n' },
        retry: false,
      })
      assert.ok(result.response, 'the completing response was received')
      assert.equal(result.response.status, 201)
      const body = JSON.parse(result.response.body) as { sha256: string; headers: Record<string, string> }
      assert.equal(body.sha256, sha256(data))
      assert.equal(body.headers['authorization'], 'Bearer t0k3n')
      assert.equal(result.response.headers.get('x-backend'), 'plain')
      assertBackendSaw(n, data, '/photos/new?album=7', result.url)
    })
  }
})

describe('tus-js-client through the spool gateway', { timeout: 120_000 }, () => {
  for (const protocol of ['tus-v1', 'ietf-draft-03', 'ietf-draft-05'] as const) {
    test(`${protocol}: chunks, one backend request`, async () => {
      const data = randomBytes(2 * MiB + 5)
      const n = backend.received.length
      let url: string | null = null
      await new Promise<void>((resolve, reject) => {
        const u = new Upload(data, {
          endpoint: `${gw.url}/inbox/`,
          protocol,
          chunkSize: 512 * 1024,
          retryDelays: [],
          metadata: { filename: 'a.bin', filetype: 'application/x-test' },
          onSuccess: () => {
            url = u.url
            resolve()
          },
          onError: reject,
        } as UploadOptions)
        u.start()
      })
      assertBackendSaw(n, data, '/inbox/', url ?? undefined)
      if (protocol === 'tus-v1') assert.equal(backend.received.at(-1)?.headers['content-type'], 'application/x-test')
    })
  }
})
