/**
 * Body chunks freed once stored (stores/release.ts): what `releaseChunk` frees and what it leaves alone, that the
 * disk store frees a chunk only after writing it and only when told it may, and that the server tells it so for
 * HTTP/1.1 bodies (each chunk a copy of its own) and not for HTTP/2 ones.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { DiskStore } from '../stores/disk-store.js'
import { releaseChunk } from '../stores/release.js'
import type { AppendOptions, Store } from '../stores/store.js'
import { h2, openH2 } from './kit/h2.js'
import { send, startTestServer, type TestServer } from './kit/index.js'

async function* chunksOf(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p
}

describe('releaseChunk', () => {
  it('frees a chunk that is the whole of its own buffer, at once', () => {
    const before = process.memoryUsage().arrayBuffers
    const chunks = Array.from({ length: 1024 }, () => Buffer.alloc(64 * 1024, 7))
    const held = process.memoryUsage().arrayBuffers
    assert.ok(held - before >= 60 * 1024 * 1024, 'the chunks are counted while held')
    for (const c of chunks) releaseChunk(c)
    for (const c of chunks) assert.equal(c.byteLength, 0)
    // No collection in between: the memory went with the release, not with a GC.
    assert.ok(process.memoryUsage().arrayBuffers - before < 4 * 1024 * 1024, 'the chunks are no longer counted')
  })

  it('leaves alone a view of part of a buffer, and a small pooled Buffer', () => {
    const whole = Buffer.alloc(1024, 1)
    const part = whole.subarray(0, 512)
    releaseChunk(part)
    assert.equal(part.byteLength, 512)
    assert.equal(whole.byteLength, 1024)
    const pooled = Buffer.from('abc')
    const neighbour = Buffer.from('def')
    releaseChunk(pooled)
    assert.equal(pooled.toString(), 'abc')
    assert.equal(neighbour.toString(), 'def')
  })
})

describe('DiskStore append with release', () => {
  let dir = ''
  after(() => rm(dir, { recursive: true, force: true }))

  it('frees each chunk after writing it when told it may, and not otherwise', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rufh-release-'))
    const store = new DiskStore({ directory: dir })
    const data = randomBytes(3 * 100_000)
    const copies = () => [0, 1, 2].map((i) => Buffer.from(data.subarray(i * 100_000, (i + 1) * 100_000)))
    const upload = (id: string) => store.create({ id, length: data.length, expiresAt: undefined, metadata: {} })

    const kept = await upload('keptchunks0123456789abcd')
    const mine = copies()
    assert.equal(await store.append(kept.id, 0, chunksOf(...mine)), data.length)
    for (const c of mine) assert.equal(c.byteLength, 100_000, 'without release the caller keeps its chunks')

    const freed = await upload('freedchunks123456789abcd')
    const given = copies()
    assert.equal(await store.append(freed.id, 0, chunksOf(...given), { release: true }), data.length)
    for (const c of given) assert.equal(c.byteLength, 0, 'with release every written chunk is freed')
    assert.ok((await readFile(join(dir, freed.id))).equals(data), 'and every byte was written before')
  })
})

/** A disk store that keeps each chunk it is given, and what it was told, so that a test can look at both after. */
class WatchingStore extends DiskStore {
  readonly seen: { release: boolean | undefined; chunks: Uint8Array[] }[] = []
  override append(id: string, offset: number, body: AsyncIterable<Uint8Array>, o?: AppendOptions): Promise<number> {
    const entry = { release: o?.release, chunks: [] as Uint8Array[] }
    this.seen.push(entry)
    const iterator = body[Symbol.asyncIterator]()
    const watched: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const r = await iterator.next()
          if (!r.done) entry.chunks.push(r.value)
          return r
        },
        return: async () => (await iterator.return?.()) ?? { done: true, value: undefined },
      }),
    }
    return super.append(id, offset, watched, o)
  }
}

describe('the server frees HTTP/1.1 body chunks, not HTTP/2 ones', () => {
  let server: TestServer | undefined
  after(() => server?.close())

  it('tells the store per transport, and the upload is exact either way', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rufh-release-srv-'))
    const store = new WatchingStore({ directory: dir })
    server = await startTestServer({ store: store as Store })
    const body = randomBytes(256 * 1024)
    const headers = { 'upload-draft-interop-version': 8, 'upload-complete': '?1', 'content-length': body.length }

    const h1 = await send(server.url, { method: 'POST', headers, body })
    assert.equal(h1.status, 201)
    const h1Entry = store.seen.at(-1)!
    assert.equal(h1Entry.release, true)
    assert.ok(h1Entry.chunks.length > 0)
    for (const c of h1Entry.chunks) assert.equal(c.byteLength, 0, 'an HTTP/1.1 chunk is freed once written')
    const h1Id = String(h1.headers['location']).split('/').pop()!
    assert.ok((await readFile(join(dir, h1Id))).equals(body))

    const session = await openH2(`http://127.0.0.1:${server.port}`)
    try {
      const r = await h2(session, { ':method': 'POST', ':path': '/files/', ...headers }, body)
      assert.equal(r.status, 201)
      const h2Entry = store.seen.at(-1)!
      assert.notEqual(h2Entry, h1Entry)
      assert.ok(!h2Entry.release, 'HTTP/2 chunks may share a buffer with other data: not freed')
      assert.ok(h2Entry.chunks.some((c) => c.byteLength > 0))
      const h2Id = String(r.headers['location']).split('/').pop()!
      assert.ok((await readFile(join(dir, h2Id))).equals(body))
    } finally {
      session.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
