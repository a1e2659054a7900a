/**
 * A request naming an interop version rufh does not speak (spec notes §5 point 5): a creation is served as an
 * ordinary, non-resumable upload (no 104, stored complete, a plain 201), never refused; discovery and requests to an
 * existing upload are refused with the supported versions, so that a client can step down.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { codecs } from '@rufh/protocol'
import { appendHeaders, completeness, header, send, startTestServer, type TestServer } from './kit/index.js'

const v = (n: number | string) => ({ 'upload-draft-interop-version': String(n) })
const idOf = (url: string) => new URL(url).pathname.split('/').pop()!

describe('an unknown interop version', { timeout: 30_000 }, () => {
  let s: TestServer
  before(async () => {
    s = await startTestServer({ limits: { maxSize: 1000, minAppendSize: 100 } })
  })
  after(() => s.close())

  const info = async (url: string) =>
    JSON.parse(await readFile(join(s.dir, `${idOf(url)}.json`), 'utf8')) as { complete: boolean; length: number }

  for (const n of [11, 12, 99]) {
    test(`interop ${n}: a complete creation is an ordinary upload, stored complete, answered 201 without a 104`, async () => {
      const r = await send(s.url, {
        method: 'POST',
        headers: { ...v(n), ...completeness(9, true), 'content-type': 'text/plain' },
        body: 'hello, world',
      })
      assert.equal(r.status, 201, r.body)
      assert.deepEqual(r.interim, [], 'no 104 for a version we do not speak')
      for (const f of ['upload-draft-interop-version', 'upload-complete', 'upload-offset', 'upload-limit'])
        assert.equal(header(r, f), undefined, `${f} would say the upload is resumable`)
      const url = header(r, 'location')!
      const stored = await info(url)
      assert.deepEqual([stored.complete, stored.length], [true, 12])
      const get = await send(url, { method: 'GET' })
      assert.deepEqual([get.status, get.body, header(get, 'content-type')], [200, 'hello, world', 'text/plain'])
    })
  }

  test('an incomplete (?0) creation too: the server does not know what ?0 means in that version', async () => {
    const r = await send(s.url, { method: 'POST', headers: { ...v(11), ...completeness(9, false) }, body: 'abc' })
    assert.equal(r.status, 201)
    assert.deepEqual(r.interim, [])
    assert.equal((await info(header(r, 'location')!)).complete, true)
  })

  test('max-size still binds it (413); other limits do not (it cannot have learnt them)', async () => {
    const big = await send(s.url, {
      method: 'POST',
      headers: { ...v(11), ...completeness(9, true) },
      body: 'x'.repeat(1001),
    })
    assert.equal(big.status, 413)
    const small = await send(s.url, { method: 'POST', headers: { ...v(11), ...completeness(9, false) }, body: 'x' })
    assert.equal(small.status, 201, 'min-append-size does not bind an ordinary upload')
  })

  test('discovery, retrieval, append, download and cancellation in that version are refused with the list', async () => {
    const c = await send(s.url, {
      method: 'POST',
      headers: { ...v(9), ...completeness(9, false) },
      body: 'x'.repeat(100),
    })
    const u = header(c, 'location')!
    const refused = [
      await send(s.url, { method: 'OPTIONS', headers: v(11) }),
      await send(u, { method: 'HEAD', headers: v(11) }),
      await send(u, { method: 'GET', headers: v(11) }),
      await send(u, { method: 'PATCH', headers: { ...appendHeaders(9, 100, false), ...v(11) }, body: 'y'.repeat(100) }),
      await send(u, { method: 'DELETE', headers: v(11) }),
    ]
    for (const [i, r] of refused.entries()) {
      assert.equal(r.status, 400)
      if (i === 1) continue // HEAD: no body
      const p = JSON.parse(r.body) as { code: string; supported: number[] }
      assert.equal(p.code, 'ERR_UNSUPPORTED_VERSION')
      assert.deepEqual(p.supported, [3, 4, 5, 6, 7, 8, 9, 10])
    }
    const h = await send(u, { method: 'HEAD', headers: v(9) })
    assert.deepEqual([h.status, header(h, 'upload-offset')], [204, '100'], 'the refused requests changed nothing')
  })

  test('a value that is not an Integer is still a malformed request (400)', async () => {
    const r = await send(s.url, { method: 'POST', headers: { ...v('eleven'), ...completeness(9, true) }, body: 'a' })
    assert.equal(r.status, 400)
  })

  test('a server restricted to interop 3-6 serves a creation in 9 as an ordinary upload', async () => {
    const old = await startTestServer({ codecs: codecs.filter((c) => c.interop <= 6) })
    try {
      const r = await send(old.url, { method: 'POST', headers: { ...v(9), ...completeness(9, true) }, body: 'old' })
      assert.equal(r.status, 201)
      assert.deepEqual(r.interim, [])
      assert.equal(header(r, 'upload-complete'), undefined)
      const o = await send(old.url, { method: 'OPTIONS', headers: v(9) })
      assert.deepEqual((JSON.parse(o.body) as { supported: number[] }).supported, [3, 4, 5, 6])
    } finally {
      await old.close()
    }
  })
})
