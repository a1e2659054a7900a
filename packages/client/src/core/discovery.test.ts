/**
 * `interop: 'auto'` finds the newest version the server really speaks without spending the content on a guess (issue
 * 12 point 5): an empty creation per guessed version, newest first, and the answer remembered per endpoint.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BytesSource } from '../sources/bytes.js'
import { MemoryStore } from '../state/memory.js'
import { type FakeOptions, FakeServer } from '../test/fake-server.test.helper.js'
import type { UploadOptions } from './options.js'
import { Upload, VERSION_TTL_MS } from './upload.js'

const fast = { baseDelay: 1, maxDelay: 5, jitter: false }
const bytes = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * seed + 11) & 0xff)

/** `METHOD interop body-size status` per request (`-` for no interop field: tus). */
const trace = (s: FakeServer) =>
  s.log.map((l) => `${l.method} ${l.headers['upload-draft-interop-version'] ?? '-'} ${l.bodySize} ${l.status}`)

function upload(server: FakeServer, data: Uint8Array, opts: Partial<UploadOptions> = {}, now?: () => number) {
  const options = { endpoint: server.endpoint, retry: fast, ...opts }
  return new Upload(new BytesSource(data), options, { transport: server, ...(now ? { now } : {}) }).start()
}

const speaks6and8: FakeOptions = { versions: [6, 8], plainUnknown: true }

test('a server taking newer versions as ordinary requests: empty guesses down to 8, then the content', {
  timeout: 10_000,
}, async () => {
  const server = new FakeServer(speaks6and8)
  const store = new MemoryStore()
  const data = bytes(4000, 3)
  const r = await upload(server, data, { store })
  assert.equal(r.interop, 8)
  assert.equal(r.resumable, true)
  assert.deepEqual(server.bytesOf(r.url!), data)
  assert.equal(server.plainBytes, 0, 'no content went to an ordinary request')
  assert.deepEqual(trace(server), [
    'OPTIONS 10 0 204',
    'POST 10 0 201',
    'POST 9 0 201',
    'POST 8 0 201',
    'PATCH 8 4000 204',
  ])
  assert.equal((await store.getVersion(server.endpoint))?.protocol, 'interop-8')

  // The next upload to the endpoint starts at the remembered version, optimistically: one request carries it all.
  server.log.length = 0
  const other = bytes(3000, 5)
  const r2 = await upload(server, other, { store })
  assert.deepEqual(server.bytesOf(r2.url!), other)
  assert.deepEqual(trace(server), ['OPTIONS 8 0 204', 'POST 8 3000 201'])
})

test('an endpoint with no resumable support: every guess is empty, and the upload fails as not resumable', {
  timeout: 10_000,
}, async () => {
  const server = new FakeServer({ versions: [], plainUnknown: true })
  await assert.rejects(upload(server, bytes(2000, 7)), { code: 'ERR_NOT_RESUMABLE' })
  assert.equal(server.plainBytes, 0)
  // OPTIONS, one empty creation per draft version (10 … 3), one empty tus creation.
  assert.equal(server.log.length, 10)
  assert.ok(server.log.every((l) => l.bodySize === 0))
})

test('a refusal listing versions is no guess: the listed version gets the content at once', {
  timeout: 10_000,
}, async () => {
  const server = new FakeServer({ versions: [5, 6] })
  const r = await upload(server, bytes(1000, 2))
  assert.equal(r.interop, 6)
  assert.deepEqual(trace(server), ['OPTIONS 10 0 400', 'POST 6 1000 201'])
})

test('a remembered version the server no longer speaks is forgotten, and the new answer remembered', {
  timeout: 10_000,
}, async () => {
  const server = new FakeServer({ versions: [6] })
  const store = new MemoryStore()
  await store.setVersion(server.endpoint, { protocol: 'interop-8', checkedAt: Date.now() })
  const r = await upload(server, bytes(1000, 4), { store })
  assert.equal(r.interop, 6)
  assert.deepEqual(trace(server), ['OPTIONS 8 0 400', 'POST 6 1000 201'])
  assert.equal((await store.getVersion(server.endpoint))?.protocol, 'interop-6')
})

test('a remembered version older than a day is found again', { timeout: 10_000 }, async () => {
  const server = new FakeServer(speaks6and8)
  const store = new MemoryStore()
  const now = Date.now()
  await store.setVersion(server.endpoint, { protocol: 'interop-6', checkedAt: now - VERSION_TTL_MS - 1 })
  const r = await upload(server, bytes(500, 9), { store }, () => now)
  assert.equal(r.interop, 8, 'interop 8 found again, not the stale 6')
  assert.equal(server.log[1]!.bodySize, 0)
})

test('a chosen version the server takes as an ordinary request: success, but not resumable', {
  timeout: 10_000,
}, async () => {
  const server = new FakeServer(speaks6and8)
  const r = await upload(server, bytes(1500, 6), { interop: 10 })
  assert.equal(r.resumable, false)
  assert.equal(r.url, undefined)
  assert.equal(r.response?.status, 201)
  assert.equal(server.plainBytes, 1500)
})

test('explicit optimistic creation with auto takes the risk: the content goes with the first guess', {
  timeout: 10_000,
}, async () => {
  const server = new FakeServer(speaks6and8)
  const r = await upload(server, bytes(800, 8), { creation: 'optimistic' })
  assert.equal(r.resumable, false)
  assert.equal(server.plainBytes, 800)
})

test('a remembered version that now makes no upload resource is forgotten: the next upload guesses again', {
  timeout: 10_000,
}, async () => {
  const server = new FakeServer(speaks6and8)
  const store = new MemoryStore()
  await store.setVersion(server.endpoint, { protocol: 'interop-10', checkedAt: Date.now() })
  const r = await upload(server, bytes(700, 3), { store })
  assert.equal(r.resumable, false, 'the remembered version was trusted, and the server took the content as ordinary')
  assert.equal(await store.getVersion(server.endpoint), undefined)
  server.log.length = 0
  const again = await upload(server, bytes(700, 4), { store })
  assert.equal(again.interop, 8)
  assert.equal(again.resumable, true)
  assert.deepEqual(trace(server).slice(0, 2), ['OPTIONS 10 0 204', 'POST 10 0 201'])
})
