/**
 * Stream mode: the backend request starts at creation and the body streams through as appends arrive. The backend
 * sees bytes before completion; a cut client resumes at what the backend took; a client gone longer than the idle
 * timeout ends the backend request as an aborted body; a slow backend slows the client (nothing piles up); and every
 * client version gets the backend's answer on its completing request.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { upload } from '@rufh/client'
import { type Backend, send, sha256, startBackend, startTestGateway, type TestGateway, until } from './kit.js'

const v8 = { 'upload-draft-interop-version': '8' }
const partial = { 'content-type': 'application/partial-upload' }
const MiB = 1024 * 1024
let backend: Backend
let gw: TestGateway
before(async () => {
  backend = await startBackend()
  gw = await startTestGateway({ backend: backend.url, mode: 'stream', idleTimeoutMs: 1_000 })
})
after(async () => {
  await gw.close()
  await backend.close()
})

describe('stream mode', { timeout: 120_000 }, () => {
  for (const interop of [3, 5, 6, 8, 10, 'tus'] as const) {
    test(`@rufh/client interop ${interop}: the backend's answer, one request`, async () => {
      const data = randomBytes(2 * MiB + 3)
      const n = backend.received.length
      const r = await upload(data, { endpoint: `${gw.url}/s/${interop}`, interop, chunkSize: 512 * 1024, retry: false })
      assert.equal(r.response?.status, 201)
      assert.equal((JSON.parse(r.response?.body ?? '{}') as { sha256: string }).sha256, sha256(data))
      const got = backend.received.slice(n)
      assert.equal(got.length, 1)
      assert.equal(got[0]?.complete, true)
      assert.equal(got[0]?.path, `/s/${interop}`)
    })
  }

  test('the backend sees bytes before completion; a cut client resumes', async () => {
    const n = backend.received.length
    const data = randomBytes(3 * MiB)
    const created = await send(`${gw.url}/live`, {
      method: 'POST',
      headers: { ...v8, 'upload-complete': '?0', 'upload-length': data.length, 'content-length': MiB },
      body: data.subarray(0, MiB),
    })
    assert.equal(created.status, 201)
    const url = String(created.headers['location'])
    await until(() => (backend.received[n]?.size ?? 0) === MiB, 5_000, 'the first MiB at the backend')
    assert.equal(backend.received[n]?.complete, false, 'before completion')
    assert.equal(backend.received[n]?.headers['content-length'], String(data.length))
    // An append cut in the middle...
    await send(url, {
      method: 'PATCH',
      headers: { ...v8, ...partial, 'upload-offset': MiB, 'upload-complete': '?1', 'content-length': 2 * MiB },
      body: data.subarray(MiB),
      cutAfter: 600_000,
    })
    await new Promise((r) => setTimeout(r, 100))
    const head = await send(url, { method: 'HEAD', headers: v8 })
    const offset = Number(head.headers['upload-offset'])
    assert.ok(offset > MiB && offset <= MiB + 600_000, `offset ${offset}`)
    assert.equal(backend.received[n]?.size, offset, 'the offset is what the backend took')
    // ...resumes from the offset.
    const done = await send(url, {
      method: 'PATCH',
      headers: { ...v8, ...partial, 'upload-offset': offset, 'upload-complete': '?1' },
      body: data.subarray(offset),
    })
    assert.equal(done.status, 201)
    assert.equal((JSON.parse(done.body) as { sha256: string }).sha256, sha256(data))
    // A client that lost that answer gets it again from a GET of the upload (kept in memory for a while).
    const again = await send(url, { headers: { 'upload-draft-interop-version': '6' } })
    assert.equal(again.status, 201)
    assert.equal(again.body, done.body)
    assert.equal(backend.received.length, n + 1)
  })

  test('an abandoned upload ends as an aborted backend request, never a complete one', async () => {
    const n = backend.received.length
    const created = await send(`${gw.url}/abandoned`, {
      method: 'POST',
      headers: { ...v8, 'upload-complete': '?0', 'upload-length': 1000, 'content-length': 10 },
      body: '0123456789',
    })
    assert.equal(created.status, 201)
    await until(() => backend.received[n]?.size === 10)
    // Idle timeout 1 s: the backend's request is cut.
    await new Promise((r) => setTimeout(r, 1_800))
    assert.equal(backend.received[n]?.complete, false)
    const late = await send(String(created.headers['location']), { method: 'HEAD', headers: v8 })
    assert.ok(late.status >= 400, `the abandoned upload is gone (${late.status})`)
  })

  test('a slow backend slows the client: the offset never runs ahead by more than socket buffers', async () => {
    const n = backend.received.length
    backend.onChunk = () => new Promise((r) => setTimeout(r, 20))
    try {
      const data = randomBytes(48 * MiB)
      const rss0 = process.memoryUsage().rss
      const t0 = Date.now()
      const pending = send(`${gw.url}/slow`, {
        method: 'POST',
        headers: { ...v8, 'upload-complete': '?1', 'content-length': data.length },
        body: data,
      })
      await until(() => (backend.received[n]?.size ?? 0) > 0)
      await new Promise((r) => setTimeout(r, 1_000))
      const atBackend = backend.received[n]?.size ?? 0
      assert.ok(atBackend < data.length / 2, `the backend read ${atBackend} bytes in 1 s: the client is held back`)
      backend.onChunk = undefined
      const done = await pending
      assert.equal(done.status, 201)
      assert.equal((JSON.parse(done.body) as { sha256: string }).sha256, sha256(data))
      assert.ok(Date.now() - t0 > 1_000)
      // The gateway runs in this process: its buffering would show here (the test's own 48 MiB is already counted).
      const grown = (process.memoryUsage().rss - rss0) / MiB
      assert.ok(grown < 64, `RSS grew ${grown.toFixed(1)} MiB`)
    } finally {
      backend.onChunk = undefined
    }
  })
})
