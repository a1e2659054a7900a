/**
 * One transfer per upload: a new HEAD/PATCH/DELETE stops a running transfer, which keeps what it received; bytes
 * never interleave; no request waits forever. Interrupted bodies keep their prefix and never complete an upload.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { type ClientRequest, request } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  appendHeaders,
  completeness,
  header,
  type Interim,
  send,
  startTestServer,
  storedAtLeast,
  type TestServer,
} from './kit/index.js'

let s: TestServer
before(async () => {
  s = await startTestServer()
})
after(() => s.close())
const v9 = { 'upload-draft-interop-version': '9' }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A request whose body is written by the test, piece by piece; resolves its final response (or status 0). */
function open(url: string, method: string, headers: Record<string, string>) {
  const interim: Interim[] = []
  let req!: ClientRequest
  const done = new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve) => {
    req = request(url, { method, headers, agent: false }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
    })
    req.on('error', () => resolve({ status: 0, body: '', headers: {} }))
    req.on('information', (i) => {
      interim.push({ status: i.statusCode, headers: i.headers, at: 0 })
      for (const w of waiting) w()
    })
    req.flushHeaders()
  })
  const waiting = new Set<() => void>()
  /** Resolves once a progress 104 says the server stored `offset` bytes: the event, not a sleep. */
  const stored = (offset: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!storedAtLeast(offset)(interim)) return
        waiting.delete(check)
        resolve()
      }
      waiting.add(check)
      check()
    })
  return { req, done, interim, stored }
}

async function created(body = '') {
  const c = await send(s.url, { method: 'POST', headers: { ...v9, ...completeness(9, false) }, body })
  return header(c, 'location')!
}
const idOf = (u: string) => u.split('/').pop()!

describe('preemption', () => {
  test('a HEAD during a slow append stops it; the offset is usable and later bytes of the old request never land', async () => {
    const u = await created()
    const slow = open(u, 'PATCH', appendHeaders(9, 0, false))
    slow.req.write('A'.repeat(1000))
    await slow.stored(1000)
    const t0 = Date.now()
    const h = await send(u, { method: 'HEAD', headers: v9 })
    assert.ok(Date.now() - t0 < 2000, 'HEAD was not blocked')
    assert.equal(header(h, 'upload-offset'), '1000')
    slow.req.write('Z'.repeat(500)) // too late: must not be appended
    const old = await slow.done
    assert.ok(old.status === 0 || old.status === 400, `old request: ${old.status}`)
    if (old.status === 400) assert.equal(JSON.parse(old.body).code, 'ERR_UPLOAD_INTERRUPTED')
    const p = await send(u, { method: 'PATCH', headers: appendHeaders(9, 1000, true), body: 'B'.repeat(10) })
    assert.equal(p.status, 204)
    assert.equal(await readFile(join(s.dir, idOf(u)), 'utf8'), `${'A'.repeat(1000)}${'B'.repeat(10)}`)
  })

  test('a PATCH from another connection takes over a stalled one', async () => {
    const u = await created()
    const stalled = open(u, 'PATCH', appendHeaders(9, 0, false))
    stalled.req.write('A'.repeat(300))
    await stalled.stored(300)
    const wrong = await send(u, { method: 'PATCH', headers: appendHeaders(9, 0, false), body: 'C' })
    assert.equal(wrong.status, 409, 'the takeover sees the stored offset')
    assert.equal(header(wrong, 'upload-offset'), '300')
    const right = await send(u, { method: 'PATCH', headers: appendHeaders(9, 300, true), body: 'C' })
    assert.equal(right.status, 204)
    stalled.req.destroy()
    assert.equal(await readFile(join(s.dir, idOf(u)), 'utf8'), `${'A'.repeat(300)}C`)
  })

  test('a DELETE during a slow append is answered and the upload is gone', async () => {
    const u = await created()
    const slow = open(u, 'PATCH', appendHeaders(9, 0, false))
    slow.req.write('A'.repeat(100))
    await slow.stored(100)
    const d = await send(u, { method: 'DELETE', headers: v9 })
    assert.equal(d.status, 204)
    slow.req.destroy()
    assert.equal((await send(u, { method: 'HEAD', headers: v9 })).status, 404)
  })

  test('an idle body ends the transfer after the idle timeout, keeping its bytes', async () => {
    const s2 = await startTestServer({ idleTimeoutMs: 300 })
    try {
      const c = await send(s2.url, { method: 'POST', headers: { ...v9, ...completeness(9, false) } })
      const u = header(c, 'location')!
      const half = open(u, 'PATCH', { ...appendHeaders(9, 0, false), 'content-length': '1000' })
      half.req.write('A'.repeat(400))
      const r = await half.done
      assert.equal(r.status, 400)
      assert.equal(header(await send(u, { method: 'HEAD', headers: v9 }), 'upload-offset'), '400')
    } finally {
      await s2.close()
    }
  })
})

describe('interrupted bodies', () => {
  for (const complete of [false, true]) {
    test(`a cut ${complete ? 'optimistic' : 'careful'} creation keeps its prefix, is not complete, and resumes`, async () => {
      const body = Buffer.alloc(200_000)
      for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff
      const r = await send(s.url, {
        method: 'POST',
        headers: { ...v9, ...completeness(9, complete), 'content-length': String(body.length) },
        body,
        cutAfter: 80_000,
        cutWhen: storedAtLeast(80_000),
      })
      assert.equal(r.status, 0)
      const u = String(r.interim.find((i) => i.headers['location'])?.headers['location'])
      assert.match(u, /^http/, 'the 104 told the client where the upload is')
      // HEAD takes the upload's lock: it waits for the cut transfer to end, so the offset it reports is final.
      const h = await send(u, { method: 'HEAD', headers: v9 })
      const off = Number(header(h, 'upload-offset'))
      assert.equal(off, 80_000, 'the whole prefix sent before the cut is kept')
      assert.deepEqual(await readFile(join(s.dir, idOf(u))), body.subarray(0, off))
      assert.equal(header(h, 'upload-complete'), '?0', 'never complete after an interruption')
      const p = await send(u, { method: 'PATCH', headers: appendHeaders(9, off, true), body: body.subarray(off) })
      assert.equal(p.status, 204)
      assert.deepEqual(await readFile(join(s.dir, idOf(u))), body)
    })
  }

  test('a cut append keeps its prefix; the offset never goes down', async () => {
    const u = await created('0123456789')
    const cut = await send(u, {
      method: 'PATCH',
      headers: { ...appendHeaders(9, 10, true), 'content-length': '50000' },
      body: 'x'.repeat(50_000),
      cutAfter: 20_000,
      cutWhen: storedAtLeast(10 + 20_000),
    })
    assert.equal(cut.status, 0)
    const h = await send(u, { method: 'HEAD', headers: v9 })
    assert.equal(header(h, 'upload-offset'), String(10 + 20_000), 'the stored prefix and the cut body are kept')
    assert.equal(header(h, 'upload-complete'), '?0')
    assert.equal(await readFile(join(s.dir, idOf(u)), 'utf8'), `0123456789${'x'.repeat(20_000)}`)
  })
})

describe('many transfers at once', () => {
  test('twenty concurrent appends complete without listener-leak warnings', async () => {
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(w.name)
    process.on('warning', onWarning)
    try {
      const urls = await Promise.all(Array.from({ length: 20 }, () => created()))
      const opened = urls.map((u) => open(u, 'PATCH', { ...appendHeaders(9, 0, true), 'content-length': '2000' }))
      for (const o of opened) o.req.write('x'.repeat(1000))
      await sleep(100)
      for (const o of opened) o.req.end('y'.repeat(1000))
      const results = await Promise.all(opened.map((o) => o.done))
      assert.deepEqual(
        results.map((r) => r.status),
        urls.map(() => 204),
      )
      await sleep(50)
      assert.deepEqual(warnings, [])
    } finally {
      process.off('warning', onWarning)
    }
  })
})
