/** Real tus 1.0 clients against rufh: tus-js-client (Node, default protocol) and python3-tuspy (Debian). */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import * as tus from 'tus-js-client'
import { ensureDebianPackage, pythonHasModule } from './kit/apt.js'
import { startTestServer, type TestServer } from './kit/index.js'

let s: TestServer
before(async () => {
  s = await startTestServer()
})
after(() => s.close())

const idOf = (url: string) => url.split('/').pop()!

function upload(data: Buffer, opts: Partial<tus.UploadOptions> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new tus.Upload(data, {
      endpoint: s.url,
      retryDelays: [],
      metadata: { filename: 'f.bin' },
      ...opts,
      onError: reject,
      onSuccess: () => resolve(u.url!),
    })
    u.start()
  })
}

describe('tus-js-client 4.3.1 (tus-v1)', () => {
  for (const [name, opts] of [
    ['one request', {}],
    ['chunks', { chunkSize: 300_000 }],
    ['parallelUploads (concatenation)', { parallelUploads: 4 }],
    ['deferred length', { uploadLengthDeferred: true, chunkSize: 400_000 }],
    ['data during creation', { uploadDataDuringCreation: true, chunkSize: 500_000 }],
  ] as const) {
    test(`${name}: byte-exact`, async () => {
      const data = randomBytes(1_500_000)
      const url = await upload(data, opts)
      assert.deepEqual(await readFile(join(s.dir, idOf(url))), data)
    })
  }

  test('an interrupted upload resumes from the server offset and completes byte-exact', async () => {
    const data = randomBytes(2_000_000)
    let firstUrl: string | undefined
    await new Promise<void>((resolve, reject) => {
      const u: tus.Upload = new tus.Upload(data, {
        endpoint: s.url,
        chunkSize: 250_000,
        retryDelays: [],
        onError: reject,
        onChunkComplete: (_c, accepted) => {
          if (accepted >= 750_000 && !firstUrl) {
            firstUrl = u.url!
            void u.abort().then(() => resolve())
          }
        },
      })
      u.start()
    })
    assert.ok(firstUrl)
    let resumedFrom = -1
    const url = await new Promise<string>((resolve, reject) => {
      const u: tus.Upload = new tus.Upload(data, {
        uploadUrl: firstUrl!,
        chunkSize: 250_000,
        retryDelays: [],
        onError: reject,
        onProgress: (sent) => {
          if (resumedFrom < 0) resumedFrom = sent
        },
        onSuccess: () => resolve(u.url!),
      })
      u.start()
    })
    assert.equal(url, firstUrl)
    assert.ok(resumedFrom >= 750_000, `resumed at ${resumedFrom}`)
    assert.deepEqual(await readFile(join(s.dir, idOf(url))), data)
  })
})

describe('python3-tuspy 1.0.0 (Debian)', () => {
  test('uploads in chunks, byte-exact', async () => {
    ensureDebianPackage('python3-tuspy', () => pythonHasModule('tusclient'))
    const file = join(s.dir, 'tuspy-src.bin')
    const data = randomBytes(1_200_000)
    await writeFile(file, data)
    const script = [
      'import sys',
      'from tusclient import client',
      'c = client.TusClient(sys.argv[2])',
      "u = c.uploader(sys.argv[1], chunk_size=int(sys.argv[3]), metadata={'filename': 'py.bin'})",
      'u.upload()',
      'print(u.url)',
    ].join('\n')
    const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script, file, s.url, '400000'], {
      timeout: 60_000,
    })
    const url = stdout.trim().split('\n').pop()!
    assert.match(url, /\/files\/[A-Za-z0-9_-]{24}$/)
    assert.deepEqual(await readFile(join(s.dir, idOf(url))), data)
  })
})
