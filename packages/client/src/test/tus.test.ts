/** tus 1.0.0: against `rufh serve` (which speaks it on the same endpoint) and against the reference @tus/server. */
import assert from 'node:assert/strict'
import { createReadStream } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { createUpload, NodeHttpTransport, type TransportRequest, type UploadInput } from '../index.js'
import { startCutProxy } from './cut-proxy.test.helper.js'
import { pseudoRandom, startTestServer, type TestServer } from './server.test.helper.js'
import { startTusNodeServer, type TusNodeServer } from './tus-node-server.test.helper.js'

class Recorder extends NodeHttpTransport {
  readonly log: string[] = []
  override async request(req: TransportRequest) {
    const res = await super.request(req)
    this.log.push(`${req.method} ${res.status}`)
    return res
  }
}

describe('tus 1.0 against rufh serve', () => {
  let server: TestServer
  let file: string
  const data = pseudoRandom(200_000, 21)

  before(async () => {
    server = await startTestServer()
    file = join(server.dir, 'input.bin')
    await writeFile(file, data)
  })
  after(() => server.close())

  it('every source kind arrives byte-exact, in chunks', async () => {
    const kinds: Record<string, () => UploadInput> = {
      path: () => file,
      Readable: () => createReadStream(file, { highWaterMark: 16 * 1024 }),
      Blob: () => new Blob([new Uint8Array(data)]),
      bytes: () => new Uint8Array(data),
      'Web ReadableStream': () => Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
    }
    for (const [kind, input] of Object.entries(kinds)) {
      const t = new Recorder()
      const up = await createUpload(input(), {
        endpoint: server.url,
        interop: 'tus',
        chunkSize: 64 * 1024,
        transport: t,
      })
      const r = await up.start()
      assert.equal(r.protocol, 'tus-1.0.0', kind)
      assert.equal(r.interop, undefined, kind)
      assert.ok((await server.bytesOf(r.url!)).equals(data), `${kind}: stored bytes differ`)
      assert.deepEqual(t.log, ['POST 201', 'PATCH 204', 'PATCH 204', 'PATCH 204', 'PATCH 204'], kind)
    }
  })

  it('resumes after cuts at random offsets', async () => {
    for (const kind of ['path', 'stream']) {
      const proxy = await startCutProxy(server.port, {
        cutAfter: (n) => (n >= 1 && n < 3 ? 500 + Math.floor(Math.random() * 60_000) : undefined),
      })
      try {
        const transport = new NodeHttpTransport({ agent: new (await import('node:http')).Agent({ keepAlive: false }) })
        const input = kind === 'path' ? file : createReadStream(file)
        const up = await createUpload(input, {
          endpoint: proxy.via(server.url),
          interop: 'tus',
          chunkSize: 64 * 1024,
          transport,
          retry: { baseDelay: 5 },
        })
        const r = await up.start()
        assert.ok((await server.bytesOf(r.url!)).equals(data), kind)
        assert.ok(proxy.cuts >= 1, kind)
      } finally {
        await proxy.close()
      }
    }
  })
})

describe('against a tus-only server (@tus/server 2)', () => {
  let dir: string
  let endpoint: string
  let tus: TusNodeServer

  before(async () => {
    tus = await startTusNodeServer()
    ;({ dir, endpoint } = tus)
  })
  after(() => tus.close())

  it('falls back from the drafts to tus 1.0 by itself, and sends the file name as metadata', async () => {
    const data = pseudoRandom(100_000, 4)
    const t = new Recorder()
    const up = await createUpload(new Uint8Array(data), { endpoint, transport: t, filename: 'hello.bin' })
    const r = await up.start()
    assert.equal(r.protocol, 'tus-1.0.0')
    assert.deepEqual(t.log, ['OPTIONS 204', 'POST 201', 'PATCH 204'])
    const id = new URL(r.url!).pathname.split('/').pop()!
    assert.ok((await readFile(join(dir, id))).equals(data))
    const meta = JSON.parse(await readFile(join(dir, `${id}.json`), 'utf8')) as { metadata?: Record<string, string> }
    assert.equal(meta.metadata?.['filename'], 'hello.bin')
  })
})
