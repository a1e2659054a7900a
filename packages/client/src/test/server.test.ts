/** The Node client against `rufh serve` (@rufh/server), for every interop version and every source kind. */
import assert from 'node:assert/strict'
import { createReadStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { codecs, type HeaderReader, type InteropVersion } from '@rufh/protocol'
import {
  createUpload,
  FetchTransport,
  NodeHttp2Transport,
  NodeHttpTransport,
  type Transport,
  type TransportRequest,
  type UploadInput,
} from '../index.js'
import { pseudoRandom, startTestServer, type TestServer } from './server.test.helper.js'

const versions: InteropVersion[] = [3, 4, 5, 6, 7, 8, 9, 10]

/** Records every request (method, headers, body size, status, interim statuses) made through `inner`. */
class Recorder implements Transport {
  readonly log: { method: string; headers: Record<string, string>; size: number; status: number; interim: number[] }[] =
    []
  readonly interim: boolean
  constructor(private readonly inner: Transport = new NodeHttpTransport()) {
    this.interim = inner.interim
  }
  async request(req: TransportRequest) {
    const interim: number[] = []
    const res = await this.inner.request({
      ...req,
      onInterim: (s, h) => {
        interim.push(s)
        req.onInterim?.(s, h)
      },
    })
    this.log.push({ method: req.method, headers: req.headers, size: req.body?.size ?? 0, status: res.status, interim })
    return res
  }
}

describe('client ↔ rufh serve', () => {
  let server: TestServer
  let file: string
  const data = pseudoRandom(150_000, 3)

  before(async () => {
    server = await startTestServer()
    file = join(server.dir, 'input.bin')
    await writeFile(file, data)
  })
  after(() => server.close())

  const kinds: Record<string, () => UploadInput> = {
    'file path': () => file,
    'Node Readable': () => createReadStream(file, { highWaterMark: 16 * 1024 }),
    Blob: () => new Blob([new Uint8Array(data)]),
    ArrayBuffer: () => new Uint8Array(data).buffer,
    Uint8Array: () => new Uint8Array(data),
    'Web ReadableStream': () => Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
  }

  for (const v of versions)
    it(`interop ${v}: every source kind arrives byte-exact (optimistic creation)`, async () => {
      for (const [kind, input] of Object.entries(kinds)) {
        const t = new Recorder()
        const isStream = kind.includes('Readable')
        const up = await createUpload(input(), {
          endpoint: server.url,
          interop: v,
          transport: t,
          ...(isStream ? { chunkSize: 64 * 1024 } : {}),
        })
        const r = await up.start()
        assert.equal(r.interop, v, kind)
        assert.equal(r.size, data.length, kind)
        assert.ok(r.url, kind)
        assert.ok((await server.bytesOf(r.url)).equals(data), `${kind}: stored bytes differ`)
        assert.ok(t.log[0]!.interim.includes(104), `${kind}: the creation saw a 104`)
        if (!isStream) assert.equal(t.log.length, 1, `${kind}: one request carries everything`)
      }
    })

  for (const v of versions)
    it(`interop ${v}: careful creation, then appends in chunks`, async () => {
      const t = new Recorder()
      const up = await createUpload(file, {
        endpoint: server.url,
        interop: v,
        creation: 'careful',
        chunkSize: 40_000,
        transport: t,
      })
      const r = await up.start()
      assert.ok((await server.bytesOf(r.url!)).equals(data))
      assert.deepEqual(
        t.log.map((l) => `${l.method} ${l.size}`),
        ['POST 0', 'PATCH 40000', 'PATCH 40000', 'PATCH 40000', 'PATCH 30000'],
      )
    })

  it('HTTP/2 (h2c): every version, file and stream sources, 104s seen', async () => {
    const h2 = new NodeHttp2Transport()
    try {
      for (const v of versions)
        for (const kind of ['file path', 'Node Readable']) {
          const t = new Recorder(h2)
          const up = await createUpload(kinds[kind]!(), {
            endpoint: server.url,
            interop: v,
            transport: t,
            chunkSize: 64 * 1024,
          })
          const r = await up.start()
          assert.ok((await server.bytesOf(r.url!)).equals(data), `I${v} ${kind}: stored bytes differ`)
          assert.ok(t.log[0]!.interim.includes(104), `I${v} ${kind}: the creation saw a 104`)
        }
    } finally {
      h2.close()
    }
  })

  it('fetch transport: careful creation and appends (no 104s, no upload progress)', async () => {
    const t = new Recorder(new FetchTransport())
    const up = await createUpload(new Blob([new Uint8Array(data)]), {
      endpoint: server.url,
      transport: t,
      chunkSize: 60_000,
    })
    const r = await up.start()
    assert.equal(r.interop, 10)
    assert.ok((await server.bytesOf(r.url!)).equals(data))
    assert.deepEqual(
      t.log.map((l) => `${l.method} ${l.size}`),
      ['OPTIONS 0', 'POST 0', 'PATCH 60000', 'PATCH 60000', 'PATCH 30000'],
    )
  })

  it('picks the newest interop version by default, learning limits from OPTIONS', async () => {
    const t = new Recorder()
    const progress: number[] = []
    const up = await createUpload(file, {
      endpoint: server.url,
      transport: t,
      onProgress: (p) => progress.push(p.acked),
    })
    const r = await up.start()
    assert.equal(r.interop, 10)
    assert.equal(t.log[0]!.method, 'OPTIONS')
    assert.equal(progress.at(-1), data.length)
  })

  it('steps down to the newest version a server restricted to interop 3-6 lists', async () => {
    const old = await startTestServer(undefined, { codecs: codecs.filter((c) => c.interop <= 6) })
    try {
      const t = new Recorder()
      const r = await (await createUpload(file, { endpoint: old.url, transport: t })).start()
      assert.equal(r.interop, 6)
      assert.ok((await old.bytesOf(r.url!)).equals(data))
      assert.deepEqual(
        t.log.map((l) => `${l.method} ${l.status}`),
        ['OPTIONS 400', 'POST 201'],
      )
    } finally {
      await old.close()
    }
  })

  it('obeys max-append-size by chunking, and fails early on max-size', async () => {
    const limited = await startTestServer({ maxAppendSize: 32 * 1024, maxSize: 200_000 })
    try {
      const t = new Recorder()
      const r = await (await createUpload(file, { endpoint: limited.url, transport: t })).start()
      assert.ok((await limited.bytesOf(r.url!)).equals(data))
      assert.ok(
        t.log.every((l) => l.size <= 32 * 1024),
        t.log.map((l) => l.size).join(' '),
      )
      assert.ok(
        t.log.every((l) => l.status < 400),
        t.log.map((l) => l.status).join(' '),
      )

      const big = join(limited.dir, 'big.bin')
      await writeFile(big, pseudoRandom(250_000))
      const t2 = new Recorder()
      await assert.rejects((await createUpload(big, { endpoint: limited.url, transport: t2 })).start(), {
        name: 'LimitExceededError',
        code: 'ERR_LIMIT_EXCEEDED',
      })
      assert.deepEqual(
        t2.log.map((l) => l.method),
        ['OPTIONS'],
      )
    } finally {
      await limited.close()
    }
  })

  it('shrinks appends after a 413 from limits it did not know', async () => {
    const limited = await startTestServer({ maxAppendSize: 50_000 })
    try {
      const t = new HidingLimits()
      const up = await createUpload(file, {
        endpoint: limited.url,
        transport: t,
        interop: 8,
        discover: false,
        creation: 'careful',
      })
      const r = await up.start()
      assert.ok((await limited.bytesOf(r.url!)).equals(data))
      assert.ok(
        t.log.some((l) => l.status === 413),
        t.log.map((l) => `${l.method} ${l.size} ${l.status}`).join(', '),
      )
    } finally {
      await limited.close()
    }
  })

  it('transports reject an already aborted request without a stray error event', async () => {
    for (const t of [new NodeHttpTransport(), new NodeHttp2Transport()]) {
      const reason = new Error('stop')
      const req = { method: 'HEAD', url: server.url, headers: {}, signal: AbortSignal.abort(reason) }
      await assert.rejects(t.request(req), (e) => e === reason)
      // A stray 'error' on a destroyed request would surface as an uncaught exception within a tick or two.
      await new Promise((r) => setTimeout(r, 20))
      if (t instanceof NodeHttp2Transport) t.close()
    }
  })

  it('cancels on the server with abort({ cancel: true })', async () => {
    const t = new Recorder()
    const up = await createUpload(Readable.from(slowChunks(data)), {
      endpoint: server.url,
      transport: t,
      chunkSize: 20_000,
    })
    up.on('url', () => setTimeout(() => void up.abort({ cancel: true }), 30))
    await assert.rejects(up.start(), { code: 'ERR_ABORTED' })
    const url = up.url!
    const head = await new NodeHttpTransport().request({
      method: 'HEAD',
      url,
      headers: { 'upload-draft-interop-version': '10' },
      signal: new AbortController().signal,
    })
    assert.ok(head.status === 404 || head.status === 410, `HEAD after DELETE: ${head.status}`)
  })
})

/** Hides `Upload-Limit` except on 413s, like a server that enforces limits it does not announce. */
class HidingLimits extends Recorder {
  override async request(req: TransportRequest) {
    const res = await super.request({ ...req, onInterim: (s, h) => req.onInterim?.(s, hide(h)) })
    return res.status === 413 ? res : { ...res, headers: hide(res.headers) }
  }
}
function hide(h: HeaderReader): HeaderReader {
  return { get: (n) => (n.toLowerCase() === 'upload-limit' ? null : h.get(n)) }
}

async function* slowChunks(data: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += 10_000) {
    await new Promise((r) => setTimeout(r, 5))
    yield data.subarray(i, i + 10_000)
  }
}
