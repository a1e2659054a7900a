/**
 * More tus clients through the spool gateway: python3-tuspy (Debian) in chunks, and tus-js-client's parallel
 * uploads (tus concatenation: the partial uploads are never forwarded, the final one is, once).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import * as tus from 'tus-js-client'
import { type Backend, sha256, startBackend, startTestGateway, type TestGateway, tuspyUpload } from './kit.js'

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

describe('tus peers through the spool gateway', { timeout: 180_000 }, () => {
  test('python3-tuspy 1.0.0, in chunks: one backend request with the bytes', async () => {
    const data = randomBytes(1_200_000)
    const file = join(gw.dir, 'py-src.bin')
    await writeFile(file, data)
    const n = backend.received.length
    const uploadUrl = await tuspyUpload(file, `${gw.url}/py/in`, 400000)
    assert.match(uploadUrl, /\/\.uploads\//)
    const got = backend.received.slice(n)
    assert.equal(got.length, 1)
    assert.equal(got[0]?.path, '/py/in')
    assert.equal(got[0]?.sha256, sha256(data))
  })

  test('tus-js-client parallelUploads (concatenation): only the final upload is forwarded', async () => {
    const data = randomBytes(1_500_000)
    const n = backend.received.length
    await new Promise<void>((resolve, reject) => {
      new tus.Upload(data, {
        endpoint: `${gw.url}/parallel`,
        parallelUploads: 3,
        retryDelays: [],
        onError: reject,
        onSuccess: () => resolve(),
      }).start()
    })
    const got = backend.received.slice(n)
    assert.equal(got.length, 1, got.map((g) => `${g.path} ${g.size}`).join('; '))
    assert.equal(got[0]?.path, '/parallel')
    assert.equal(got[0]?.sha256, sha256(data))
  })
})
