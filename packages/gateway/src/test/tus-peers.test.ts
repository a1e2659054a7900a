/**
 * More tus clients through the spool gateway: python3-tuspy (Debian) in chunks, and tus-js-client's parallel
 * uploads (tus concatenation: the partial uploads are never forwarded, the final one is, once).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import * as tus from 'tus-js-client'
import { type Backend, sha256, startBackend, startTestGateway, type TestGateway } from './kit.js'

/** The server package's apt fixture (compiled), shared rather than copied. */
const apt = (await import(new URL('../../../server/dist/test/kit/apt.js', import.meta.url).href)) as {
  ensureDebianPackage(pkg: string, probe: () => boolean): void
  pythonHasModule(mod: string): boolean
}

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
    apt.ensureDebianPackage('python3-tuspy', () => apt.pythonHasModule('tusclient'))
    const data = randomBytes(1_200_000)
    const file = join(gw.dir, 'py-src.bin')
    await writeFile(file, data)
    const n = backend.received.length
    const script = [
      'import sys',
      'from tusclient import client',
      "u = client.TusClient(sys.argv[2]).uploader(sys.argv[1], chunk_size=400000, metadata={'filename': 'py.bin'})",
      'u.upload()',
      'print(u.url)',
    ].join('\n')
    const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script, file, `${gw.url}/py/in`], {
      timeout: 60_000,
    })
    assert.match(stdout, /\/\.uploads\//)
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
