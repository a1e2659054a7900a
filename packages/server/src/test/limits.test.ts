/** Lengths and limits: announced, enforced, and every rejection leaves the upload as it was. */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { appendHeaders, completeness, header, send, startTestServer, type TestServer } from './kit/index.js'

const v9 = { 'upload-draft-interop-version': '9' }
const v6 = { 'upload-draft-interop-version': '6' }

describe('lengths', () => {
  let s: TestServer
  before(async () => {
    s = await startTestServer()
  })
  after(() => s.close())

  test('Upload-Length contradicting a complete body is rejected and creates nothing usable', async () => {
    const r = await send(s.url, {
      method: 'POST',
      headers: { ...v9, ...completeness(9, true), 'upload-length': '100' },
      body: 'x'.repeat(50),
    })
    assert.equal(r.status, 400)
    assert.equal(JSON.parse(r.body).type, 'https://iana.org/assignments/http-problem-types#inconsistent-upload-length')
    assert.equal(header(r, 'location'), undefined)
  })

  test('a changed Upload-Length is rejected; the recorded one is echoed by HEAD', async () => {
    const c = await send(s.url, {
      method: 'POST',
      headers: { ...v9, ...completeness(9, false), 'upload-length': '100' },
    })
    const u = header(c, 'location')!
    const r = await send(u, {
      method: 'PATCH',
      headers: { ...appendHeaders(9, 0, false), 'upload-length': '200' },
      body: 'a',
    })
    assert.equal(r.status, 400)
    const h = await send(u, { method: 'HEAD', headers: v9 })
    assert.equal(header(h, 'upload-length'), '100')
    assert.equal(header(h, 'upload-offset'), '0')
  })

  test('content past the declared length is rejected and invalidates the upload (draft-08 §4.4)', async () => {
    const c = await send(s.url, {
      method: 'POST',
      headers: { ...v9, ...completeness(9, false), 'upload-length': '10' },
    })
    const u = header(c, 'location')!
    const r = await send(u, { method: 'PATCH', headers: appendHeaders(9, 0, false), body: 'x'.repeat(20) })
    assert.equal(r.status, 400)
    const h = await send(u, { method: 'HEAD', headers: v9 })
    assert.ok(h.status >= 400, 'further use is refused')
    const p = await send(u, { method: 'PATCH', headers: appendHeaders(9, 0, false), body: 'x' })
    assert.ok(p.status >= 400)
  })

  test('interop 6 (-05): a completing append contradicting the recorded size gets 400', async () => {
    const c = await send(s.url, { method: 'POST', headers: { ...v6, ...completeness(6, false), 'upload-length': '8' } })
    const u = header(c, 'location')!
    const r = await send(u, { method: 'PATCH', headers: appendHeaders(6, 0, true), body: 'abc' })
    assert.equal(r.status, 400)
  })

  test('reaching the length does not complete the upload; only Upload-Complete: ?1 does', async () => {
    const c = await send(s.url, { method: 'POST', headers: { ...v9, ...completeness(9, false), 'upload-length': '4' } })
    const u = header(c, 'location')!
    await send(u, { method: 'PATCH', headers: appendHeaders(9, 0, false), body: 'abcd' })
    const h = await send(u, { method: 'HEAD', headers: v9 })
    assert.equal(header(h, 'upload-complete'), '?0')
    const done = await send(u, { method: 'PATCH', headers: appendHeaders(9, 4, true) })
    assert.equal(header(done, 'upload-complete'), '?1')
  })
})

describe('limits', () => {
  let s: TestServer
  const limits = { maxSize: 1000, minSize: 2, maxAppendSize: 300, minAppendSize: 50, maxAge: 60 }
  before(async () => {
    s = await startTestServer({ limits })
  })
  after(() => s.close())

  test('announced in OPTIONS, the 104 and the creation response', async () => {
    const o = await send(s.url, { method: 'OPTIONS', headers: v9 })
    assert.equal(
      header(o, 'upload-limit'),
      'max-size=1000, min-size=2, max-append-size=300, min-append-size=50, max-age=60',
    )
    const c = await send(s.url, { method: 'POST', headers: { ...v9, ...completeness(9, false) } })
    assert.match(header(c, 'upload-limit') ?? '', /max-size=1000, .*max-age=(59|60)$/)
    assert.match(String(c.interim[0]?.headers['upload-limit']), /max-append-size=300/)
  })

  test('max-size: a declared or complete length above it gets 413 with Upload-Limit, and creates nothing', async () => {
    const r1 = await send(s.url, {
      method: 'POST',
      headers: { ...v9, ...completeness(9, false), 'upload-length': '1001' },
    })
    assert.equal(r1.status, 413)
    assert.match(header(r1, 'upload-limit') ?? '', /max-size=1000/)
    assert.equal(r1.interim.length, 0, 'rejected before any upload exists')
    const r2 = await send(s.url, {
      method: 'POST',
      headers: { ...v6, ...completeness(6, true) },
      body: 'x'.repeat(1001),
    })
    assert.equal(r2.status, 413)
  })

  test('max-append-size: an append above it gets 413 and changes nothing; creation content too from I9', async () => {
    const c = await send(s.url, { method: 'POST', headers: { ...v9, ...completeness(9, false) } })
    const u = header(c, 'location')!
    const r = await send(u, { method: 'PATCH', headers: appendHeaders(9, 0, false), body: 'x'.repeat(301) })
    assert.equal(r.status, 413)
    assert.equal(header(await send(u, { method: 'HEAD', headers: v9 }), 'upload-offset'), '0')
    const big = await send(s.url, {
      method: 'POST',
      headers: { ...v9, ...completeness(9, false) },
      body: 'x'.repeat(301),
    })
    assert.equal(big.status, 413)
    // Interop 6 creation content is not an append: only max-size binds it.
    const ok6 = await send(s.url, {
      method: 'POST',
      headers: { ...v6, ...completeness(6, false) },
      body: 'x'.repeat(301),
    })
    assert.equal(ok6.status, 201)
  })

  test('min-append-size: a small non-final append gets 400; the final one and empty creation are exempt', async () => {
    const c = await send(s.url, { method: 'POST', headers: { ...v9, ...completeness(9, false) } })
    assert.equal(c.status, 201, 'empty creation is exempt')
    const u = header(c, 'location')!
    const small = await send(u, { method: 'PATCH', headers: appendHeaders(9, 0, false), body: 'x'.repeat(10) })
    assert.equal(small.status, 400)
    assert.equal(header(await send(u, { method: 'HEAD', headers: v9 }), 'upload-offset'), '0')
    const fin = await send(u, { method: 'PATCH', headers: appendHeaders(9, 0, true), body: 'x'.repeat(10) })
    assert.equal(fin.status, 204)
    // Interop 5 cannot announce limits, so its clients are not held to min-append-size.
    const c5 = await send(s.url, {
      method: 'POST',
      headers: { 'upload-draft-interop-version': '5', ...completeness(5, false) },
    })
    const p5 = await send(header(c5, 'location')!, { method: 'PATCH', headers: appendHeaders(5, 0, false), body: 'x' })
    assert.equal(p5.status, 201)
  })

  test('min-size: an incomplete creation declaring a length below it is refused; a complete one is not', async () => {
    const r = await send(s.url, {
      method: 'POST',
      headers: { ...v9, ...completeness(9, false), 'upload-length': '1' },
    })
    assert.equal(r.status, 400)
    assert.equal(JSON.parse(r.body).limit, 'min-size')
    // draft-12 §4.1.4: min-size is a threshold for resumability, not a refusal (§4.2.1: send small files in one ?1).
    const whole = await send(s.url, { method: 'POST', headers: { ...v9, ...completeness(9, true) }, body: 'x' })
    assert.equal(whole.status, 201)
    assert.equal(header(whole, 'upload-complete'), '?1')
    // tus has no min-size (nothing announces it to a tus client): a small tus upload is created as usual.
    const tus = await send(s.url, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '1' } })
    assert.equal(tus.status, 201, tus.body)
  })

  test('a chunked body past max-size stops at the limit with 413 (what was stored before stays)', async () => {
    const s2 = await startTestServer({ limits: { maxSize: 100 } })
    try {
      const c = await send(s2.url, { method: 'POST', headers: { ...v9, ...completeness(9, false) } })
      const u = header(c, 'location')!
      const { request } = await import('node:http')
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(u, { method: 'PATCH', headers: appendHeaders(9, 0, false) }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        req.on('error', reject)
        req.write('x'.repeat(60))
        setTimeout(() => req.end('y'.repeat(60)), 50)
      })
      assert.equal(status, 413)
      // Bytes up to the limit are stored; nothing past it.
      const h = await send(u, { method: 'HEAD', headers: v9 })
      assert.equal(header(h, 'upload-offset'), '100')
      const id = new URL(u).pathname.split('/').pop() ?? ''
      assert.equal(await readFile(join(s2.dir, id), 'utf8'), `${'x'.repeat(60)}${'y'.repeat(40)}`)
    } finally {
      await s2.close()
    }
  })

  test('expired uploads are removed and then unknown', async () => {
    const s3 = await startTestServer({ limits: { maxAge: 1 } })
    try {
      const c = await send(s3.url, { method: 'POST', headers: { ...v9, ...completeness(9, false) }, body: 'a' })
      const u = header(c, 'location')!
      const done = await send(s3.url, { method: 'POST', headers: { ...v9, ...completeness(9, true) }, body: 'b' })
      await new Promise((r) => setTimeout(r, 1100))
      const h = await send(u, { method: 'HEAD', headers: v9 })
      assert.equal(h.status, 410, 'expired before the sweep')
      assert.equal(await s3.core.sweepExpired(), 1, 'the completed upload is kept')
      assert.equal((await send(u, { method: 'HEAD', headers: v9 })).status, 404)
      assert.equal((await send(header(done, 'location')!, { method: 'HEAD', headers: v9 })).status, 204)
    } finally {
      await s3.close()
    }
  })
})
