/**
 * The server's shutdown signal (procedures/shutdown-signal.ts), which every running transfer listens to: it behaves
 * as an AbortSignal's listeners do, and a server's close stops every transfer running on it, each answered 503 with
 * its received bytes kept, while transfers that ended before are left alone.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { startServer } from '../adapters/listen.js'
import { ShutdownSignal } from '../procedures/shutdown-signal.js'
import { appendHeaders, send } from './kit/index.js'

test('listeners are called once each, in the order they were added; removed and late ones never', () => {
  const s = new ShutdownSignal()
  const calls: string[] = []
  const a = () => calls.push('a')
  const b = () => calls.push('b')
  const gone = () => calls.push('gone')
  s.addEventListener('abort', a)
  s.addEventListener('abort', gone)
  s.addEventListener('abort', b)
  s.addEventListener('abort', a)
  s.removeEventListener('abort', gone)
  assert.equal(s.aborted, false)
  s.abort()
  assert.equal(s.aborted, true)
  s.addEventListener('abort', () => calls.push('late'))
  s.abort()
  assert.deepEqual(calls, ['a', 'b'])
})

test('a listener that removes a later one during the abort: the later one is not called', () => {
  const s = new ShutdownSignal()
  const calls: string[] = []
  const second = () => calls.push('second')
  s.addEventListener('abort', () => {
    calls.push('first')
    s.removeEventListener('abort', second)
  })
  s.addEventListener('abort', second)
  s.abort()
  assert.deepEqual(calls, ['first'])
})

/** The size of upload `url`'s data file in `dir` (the disk store's offset), or -1 when there is none. */
const stored = (dir: string, url: string) =>
  stat(join(dir, new URL(url).pathname.split('/').pop() ?? '')).then(
    (s) => s.size,
    () => -1,
  )

test('close() stops every running transfer (503, bytes kept); uploads finished before are untouched', {
  timeout: 30_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rufh-shutdown-'))
  const server = await startServer({ port: 0, directory: dir, progressIntervalMs: 0 })
  try {
    // Some transfers start and end first: their listeners must be gone by the close.
    const finished: string[] = []
    for (let i = 0; i < 5; i++) {
      const r = await send(server.url, {
        method: 'POST',
        headers: { 'upload-draft-interop-version': '8', 'upload-complete': '?1', 'content-length': 3 },
        body: 'abc',
      })
      assert.equal(r.status, 201)
      finished.push(new URL(String(r.headers.location), server.url).href)
    }
    const N = 20
    const running = await Promise.all(
      Array.from({ length: N }, async () => {
        const c = await send(server.url, {
          method: 'POST',
          headers: { 'upload-draft-interop-version': '8', 'upload-complete': '?0', 'content-length': 0 },
        })
        const url = new URL(String(c.headers.location), server.url).href
        // An append that sends 4 bytes of the 8 it announced, then waits.
        const req = request(url, { method: 'PATCH', headers: { ...appendHeaders(8, 0, true), 'content-length': 8 } })
        const answered = new Promise<number>((resolve, reject) => {
          req.once('response', (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          })
          req.once('error', reject)
        })
        req.write('held')
        return { url, answered }
      }),
    )
    // Each held append's first bytes reach its file before the close (looked at on disk: a HEAD would preempt it).
    for (const r of running) {
      for (let i = 0; (await stored(dir, r.url)) !== 4; i++) {
        assert.ok(i < 400, "a held append's bytes were not stored")
        await new Promise((res) => setTimeout(res, 25))
      }
    }
    const closing = server.close(5000)
    assert.deepEqual(await Promise.all(running.map((r) => r.answered)), Array(N).fill(503))
    await closing
    for (const r of running) assert.equal(await stored(dir, r.url), 4)
    for (const url of finished) assert.equal(await stored(dir, url), 3)
  } finally {
    await server.close(0).catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
})
