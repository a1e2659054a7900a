/**
 * Two spool gateways on one folder with a shared RedisLocker (a real redis-server) act as one: an upload created
 * through one is resumed and completed through the other, and a completion repeated on the other node while the first
 * is still forwarding waits for that delivery instead of making a second one.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { RedisLocker } from '@rufh/server/redis'
import { type Backend, send, sha256, startBackend, startTestGateway, type TestGateway, until } from './kit.js'

/** The server package's redis-server fixture (compiled), shared rather than copied. */
const kit = new URL('../../../server/dist/test/kit/redis.js', import.meta.url).href
const { startRedis } = (await import(kit)) as { startRedis(): Promise<{ url: string; stop(): Promise<void> }> }

const v9 = { 'upload-draft-interop-version': '9' }
const partial = { 'content-type': 'application/partial-upload' }
let redis: { url: string; stop(): Promise<void> }
let backend: Backend
let dir: string
const nodes: TestGateway[] = []
const lockers: RedisLocker[] = []

before(async () => {
  redis = await startRedis()
  backend = await startBackend()
  dir = await mkdtemp(join(tmpdir(), 'rufh-gw-redis-'))
  for (let i = 0; i < 2; i++) {
    const locker = new RedisLocker({ url: redis.url, prefix: 'gw-test:' })
    lockers.push(locker)
    nodes.push(await startTestGateway({ backend: backend.url, dir, locker, lockTimeoutMs: 20_000 }))
  }
})
after(async () => {
  for (const n of nodes) await n.close()
  for (const l of lockers) await l.close()
  await backend.close()
  await redis.stop()
  await rm(dir, { recursive: true, force: true })
})

const on = (url: string, node: TestGateway) => url.replace(/^http:\/\/[^/]+/, node.url)

test('create through one gateway, resume and complete through the other', { timeout: 60_000 }, async () => {
  const [a, b] = nodes as [TestGateway, TestGateway]
  const data = randomBytes(1_000_000)
  const created = await send(`${a.url}/docs`, {
    method: 'POST',
    headers: { ...v9, 'upload-complete': '?0', 'content-length': 400_000 },
    body: data.subarray(0, 400_000),
  })
  assert.equal(created.status, 201)
  const url = on(String(created.headers['location']), b)
  const head = await send(url, { method: 'HEAD', headers: v9 })
  assert.equal(head.headers['upload-offset'], '400000')
  const done = await send(url, {
    method: 'PATCH',
    headers: { ...v9, ...partial, 'upload-offset': 400_000, 'upload-complete': '?1' },
    body: data.subarray(400_000),
  })
  assert.equal(done.status, 201)
  assert.equal((JSON.parse(done.body) as { sha256: string; path: string }).path, '/docs')
  assert.equal(backend.complete().length, 1)
  assert.equal(backend.complete()[0]?.sha256, sha256(data))
})

test('a completion repeated on the other node during the forward waits for it: one delivery', {
  timeout: 60_000,
}, async () => {
  const [a, b] = nodes as [TestGateway, TestGateway]
  const n = backend.received.length
  backend.delayMs = 1_500
  try {
    const data = randomBytes(200_000)
    const created = await send(`${a.url}/docs/2`, { method: 'POST', headers: { ...v9, 'upload-complete': '?0' } })
    const url = String(created.headers['location'])
    const first = send(url, {
      method: 'PATCH',
      headers: { ...v9, ...partial, 'upload-offset': 0, 'upload-complete': '?1' },
      body: data,
    })
    await until(() => backend.received.length === n + 1, 10_000, 'the forward')
    const repeated = await send(on(url, b), {
      method: 'PATCH',
      headers: { ...v9, ...partial, 'upload-offset': data.length, 'upload-complete': '?1', 'content-length': 0 },
    })
    const original = await first
    assert.equal(original.status, 201)
    assert.equal(repeated.status, 201, repeated.body)
    assert.equal(repeated.body, original.body, 'the same kept answer')
    assert.equal(backend.received.length, n + 1, 'delivered once')
  } finally {
    backend.delayMs = 0
  }
})
