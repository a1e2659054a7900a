import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { InteropVersion } from '@rufh/protocol'
import { BlobSource } from '../sources/blob.js'
import { BytesSource } from '../sources/bytes.js'
import { StreamSource } from '../sources/stream.js'
import { MemoryStore } from '../state/memory.js'
import { type FakeOptions, FakeServer } from '../test/fake-server.test.helper.js'
import type { UploadOptions } from './options.js'
import type { Source } from './types.js'
import { Upload } from './upload.js'

const versions: InteropVersion[] = [3, 4, 5, 6, 7, 8, 9, 10]
const fast = { baseDelay: 1, maxDelay: 5, jitter: false }

function random(n: number, seed = n): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed * 2654435761 + 1
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.slice(i, i + size)
}

const sources: Record<string, (d: Uint8Array) => Source> = {
  bytes: (d) => new BytesSource(d),
  blob: (d) => new BlobSource(new Blob([d as Uint8Array<ArrayBuffer>])),
  stream: (d) => new StreamSource(chunked(d, 1000)[Symbol.asyncIterator]()),
}

function make(server: FakeServer, source: Source, opts: Partial<UploadOptions> = {}): Upload {
  return new Upload(source, { endpoint: server.endpoint, retry: fast, ...opts }, { transport: server })
}

async function run(o: FakeOptions, data: Uint8Array, src: keyof typeof sources, opts: Partial<UploadOptions> = {}) {
  const server = new FakeServer(o)
  const up = make(server, sources[src]!(data), opts)
  const result = await up.start()
  assert.ok(result.url, 'an upload resource was created')
  assert.deepEqual(server.bytesOf(result.url), data)
  assert.equal(result.size, data.length)
  return { server, result, up }
}

describe('upload against the in-memory server', () => {
  for (const v of versions)
    for (const interim of [true, false])
      it(`interop ${v}, ${interim ? 'optimistic' : 'careful'} creation, every source kind`, async () => {
        for (const src of Object.keys(sources)) {
          const data = random(5000, v)
          const { result, server } = await run({ interim }, data, src, { interop: v, chunkSize: 1500 })
          assert.equal(result.interop, v)
          const creation = server.log.find((l) => l.method === 'POST')!
          if (!interim) assert.equal(creation.bodySize, 0, 'careful creation is empty')
        }
      })

  it('picks the newest version the server lists in its refusal', async () => {
    const { result, server } = await run({ versions: [5, 6], limits: {} }, random(300), 'bytes')
    assert.equal(result.interop, 6)
    assert.equal(server.log[0]!.method, 'OPTIONS')
  })

  it('steps down one version at a time when the server refuses silently', async () => {
    const { result } = await run({ versions: [4], silentRefusal: true }, random(300), 'bytes', { discover: false })
    assert.equal(result.interop, 4)
  })

  it('resumes after cuts at random offsets, byte-exact, for every source kind', async () => {
    for (const src of Object.keys(sources))
      for (let trial = 0; trial < 5; trial++) {
        const data = random(20_000, trial + 7)
        const cut = new Map<number, number>()
        // Requests: 0 OPTIONS, 1 creation, then HEAD/PATCH pairs: cut creation and a later append.
        cut.set(1, 1 + Math.floor(Math.random() * 4000))
        cut.set(3, 1 + Math.floor(Math.random() * 3000))
        // A chosen version (with discovery): the creation is optimistic, as `auto` makes it once the version is known.
        await run({ cut }, data, src, { chunkSize: 6000, interop: 10, discover: true })
      }
  })

  it('resyncs after a 409 and shrinks after a 413', async () => {
    const data = random(10_000)
    let lied = false
    const { server } = await run(
      {
        limits: { maxAppendSize: 3000 },
        announceLimits: false,
        intercept: (req) => {
          if (req.method === 'PATCH' && !lied) {
            lied = true
            return { status: 409, headers: { get: (n) => (n === 'upload-offset' ? '0' : null) }, body: '' }
          }
          return undefined
        },
      },
      data,
      'bytes',
      { interop: 8, creation: 'careful' },
    )
    const statuses = server.log.map((l) => l.status)
    assert.ok(statuses.includes(409) && statuses.includes(413), statuses.join(' '))
    assert.ok(server.log.filter((l) => l.method === 'PATCH' && l.status < 300).every((l) => l.bodySize <= 3000))
  })

  it('fails early with a typed error when the size exceeds max-size', async () => {
    const server = new FakeServer({ limits: { maxSize: 100 } })
    const up = make(server, new BytesSource(random(101)))
    await assert.rejects(up.start(), { name: 'LimitExceededError', code: 'ERR_LIMIT_EXCEEDED', limit: 'max-size' })
    assert.equal(server.log.filter((l) => l.method === 'POST').length, 0)
  })

  it('honours Retry-After and surfaces problem details as typed errors', async () => {
    let n = 0
    const server = new FakeServer({
      intercept: (req) =>
        req.method === 'POST' && n++ === 0
          ? { status: 503, headers: { get: (h) => (h === 'retry-after' ? '1' : null) }, body: '' }
          : undefined,
    })
    const up = make(server, new BytesSource(random(10)), { discover: false })
    const delays: number[] = []
    up.on('retry', (e) => delays.push(e.delay))
    await up.start()
    assert.deepEqual(delays, [1000])

    const problem = JSON.stringify({ type: 'about:blank', status: 403, detail: 'no quota', code: 'ERR_QUOTA' })
    const refusing = new FakeServer({
      intercept: (req) =>
        req.method === 'POST'
          ? {
              status: 403,
              headers: { get: (h) => (h === 'content-type' ? 'application/problem+json' : null) },
              body: problem,
            }
          : undefined,
    })
    await assert.rejects(make(refusing, new BytesSource(random(10)), { discover: false }).start(), (e: unknown) => {
      const err = e as { name: string; status: number; problem: { detail: string }; code: string }
      return (
        err.name === 'HttpError' &&
        err.status === 403 &&
        err.problem.detail === 'no quota' &&
        err.code === 'ERR_HTTP_STATUS'
      )
    })
  })

  it('gives up after the retry budget with ERR_RETRIES_EXHAUSTED', async () => {
    const server = new FakeServer({ intercept: () => ({ status: 500, headers: { get: () => null }, body: '' }) })
    const up = make(server, new BytesSource(random(10)), { retry: { ...fast, retries: 3 }, discover: false })
    await assert.rejects(up.start(), { code: 'ERR_RETRIES_EXHAUSTED' })
    assert.equal(server.log.length, 4)
  })

  it('pauses, resumes from the server offset, and reports progress', async () => {
    const data = random(40_000)
    const server = new FakeServer({ chunkDelay: 2 })
    const up = make(server, new StreamSource(chunked(data, 1000)[Symbol.asyncIterator]()), { chunkSize: 10_000 })
    let acked = 0
    up.on('progress', (p) => {
      acked = p.acked
      if (p.sent > 15_000 && up.status === 'running' && !paused) {
        paused = true
        up.pause()
      }
    })
    let paused = false
    const done = up.start()
    while (up.status !== 'paused') await new Promise((r) => setTimeout(r, 5))
    const requests = server.log.length
    await new Promise((r) => setTimeout(r, 50))
    assert.equal(server.log.length, requests, 'no request while paused')
    up.resume()
    const result = await done
    assert.deepEqual(server.bytesOf(result.url!), data)
    assert.equal(acked, data.length)
    assert.ok(
      server.log.some((l) => l.method === 'HEAD'),
      'the offset was retrieved after the pause',
    )
  })

  it('aborts, cancelling on the server, and forgets the persisted state', async () => {
    const store = new MemoryStore()
    const server = new FakeServer({ chunkDelay: 5 })
    const up = make(server, new BytesSource(random(20_000)), { store, chunkSize: 2000 })
    up.on('url', () => setTimeout(() => void up.abort({ cancel: true }), 20))
    await assert.rejects(up.start(), { code: 'ERR_ABORTED' })
    await new Promise((r) => setTimeout(r, 10))
    assert.ok(server.log.some((l) => l.method === 'DELETE'))
    assert.equal(server.uploads.size, 0)
    assert.equal(store.size, 0)
  })

  it('resumes a persisted upload in a new Upload (process restart)', async () => {
    const store = new MemoryStore()
    const data = random(30_000)
    const server = new FakeServer({ chunkDelay: 1 })
    const first = make(server, new BytesSource(data), { store, chunkSize: 5000 })
    first.on('progress', (p) => {
      if (p.acked >= 10_000) void first.abort()
    })
    await assert.rejects(first.start(), { code: 'ERR_ABORTED' })
    assert.equal(store.size, 1)
    const posts = server.log.filter((l) => l.method === 'POST').length
    const second = make(server, new BytesSource(data), { store, chunkSize: 5000 })
    const result = await second.start()
    assert.equal(server.log.filter((l) => l.method === 'POST').length, posts, 'no new creation')
    assert.deepEqual(server.bytesOf(result.url!), data)
    assert.equal(store.size, 0)
  })

  it('starts over when the persisted upload is gone', async () => {
    const store = new MemoryStore()
    const data = random(3000)
    const server = new FakeServer()
    const key = `${server.endpoint} ${await new BytesSource(data).fingerprint()}`
    await store.set(key, {
      url: `${server.endpoint}999`,
      protocol: 'interop-10',
      endpoint: server.endpoint,
      size: 3000,
      createdAt: 1,
    })
    const result = await make(server, new BytesSource(data), { store }).start()
    assert.notEqual(result.url, `${server.endpoint}999`)
    assert.deepEqual(server.bytesOf(result.url!), data)
  })
})
