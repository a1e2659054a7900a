/**
 * Rules of -05, -08 and -12 where rufh once differed (spec notes §5): min-size as a threshold for resumability,
 * `Upload-Complete: ?0` on refusals from -12 on, the problem type of an empty append to a completed upload, and
 * interop 6 keeping an upload whose append passed its length.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { appendHeaders, completeness, header, send, startTestServer, type TestServer } from './kit/index.js'

const hdr = (v: number) => ({ 'upload-draft-interop-version': String(v) })
const problem = (r: { body: string }) => JSON.parse(r.body) as { type: string; code: string; limit?: string }
const idOf = (url: string) => new URL(url).pathname.split('/').pop()!

describe('draft rules', { timeout: 30_000 }, () => {
  let s: TestServer
  before(async () => {
    s = await startTestServer({ limits: { maxSize: 1000, minSize: 100 } })
  })
  after(() => s.close())

  const careful = async (v: number, extra: Record<string, string> = {}) => {
    const r = await send(s.url, { method: 'POST', headers: { ...hdr(v), ...completeness(v, false), ...extra } })
    assert.equal(r.status, 201, r.body)
    return header(r, 'location')!
  }
  const completed = async (v: number, body: string) => {
    const r = await send(s.url, { method: 'POST', headers: { ...hdr(v), ...completeness(v, true) }, body })
    assert.equal(r.status, 201, r.body)
    return header(r, 'location')!
  }

  describe('min-size is a threshold for resumability, not a refusal (draft-12 §4.1.4)', () => {
    for (const v of [6, 8, 9, 10]) {
      test(`interop ${v}: a complete creation below min-size is accepted and stored`, async () => {
        const r = await send(s.url, { method: 'POST', headers: { ...hdr(v), ...completeness(v, true) }, body: 'tiny' })
        assert.equal(r.status, 201, r.body)
        assert.equal(header(r, 'upload-complete'), '?1')
        const info = JSON.parse(await readFile(join(s.dir, `${idOf(header(r, 'location')!)}.json`), 'utf8'))
        assert.deepEqual([info.complete, info.length], [true, 4])
      })
    }
    test('an incomplete creation declaring a length below it asks for resumability: 400 min-size, nothing made', async () => {
      const r = await send(s.url, {
        method: 'POST',
        headers: { ...hdr(9), ...completeness(9, false), 'upload-length': '4' },
      })
      assert.equal(r.status, 400)
      assert.equal(problem(r).limit, 'min-size')
      assert.match(header(r, 'upload-limit') ?? '', /min-size=100/)
      assert.equal(header(r, 'location'), undefined)
      assert.deepEqual(r.interim, [])
    })
    test('an incomplete creation whose length is not known yet is accepted', async () => {
      await careful(9)
    })
  })

  describe('Upload-Complete: ?0 on refusals from -12 on (§4.2.2, §4.4.2)', () => {
    for (const v of [9, 10]) {
      test(`interop ${v}: a failed creation says ?0`, async () => {
        const over = await send(s.url, {
          method: 'POST',
          headers: { ...hdr(v), ...completeness(v, false), 'upload-length': '1001' },
        })
        assert.equal(over.status, 413)
        assert.equal(header(over, 'upload-complete'), '?0')
        const whole = await send(s.url, {
          method: 'POST',
          headers: { ...hdr(v), ...completeness(v, true) },
          body: 'x'.repeat(1001),
        })
        assert.equal(whole.status, 413)
        assert.equal(header(whole, 'upload-complete'), '?0', 'even when the request said ?1')
      })
      test(`interop ${v}: an append refused because the upload is complete says ?0`, async () => {
        const u = await completed(v, 'done')
        const more = await send(u, { method: 'PATCH', headers: appendHeaders(v, 4, false), body: 'more' })
        assert.equal(more.status, 400)
        assert.equal(header(more, 'upload-complete'), '?0')
        assert.equal(problem(more).type, 'https://iana.org/assignments/http-problem-types#inconsistent-upload-length')
        // An empty append contradicts no length, and -12 has no completed-upload type any more.
        const empty = await send(u, { method: 'PATCH', headers: appendHeaders(v, 4, false) })
        assert.equal(empty.status, 400)
        assert.equal(header(empty, 'upload-complete'), '?0')
        assert.equal(problem(empty).type, 'about:blank')
        assert.equal(problem(empty).code, 'ERR_UPLOAD_COMPLETED')
        const h = await send(u, { method: 'HEAD', headers: hdr(v) })
        assert.deepEqual([header(h, 'upload-offset'), header(h, 'upload-complete')], ['4', '?1'])
      })
    }
    for (const v of [6, 7, 8]) {
      test(`interop ${v}: the rule is -12's, not this version's`, async () => {
        const over = await send(s.url, {
          method: 'POST',
          headers: { ...hdr(v), ...completeness(v, false), 'upload-length': '1001' },
        })
        assert.equal(over.status, 413)
        assert.equal(header(over, 'upload-complete'), undefined)
        const u = await completed(v, 'done')
        const more = await send(u, { method: 'PATCH', headers: appendHeaders(v, 4, false), body: 'more' })
        assert.equal(header(more, 'upload-complete'), undefined)
      })
    }
  })

  describe('data past the length', () => {
    const upload = async (v: number) => careful(v, { 'upload-length': '100' })
    test('interop 6 (draft-05 §4.4): stops at the length with 400; the upload stays usable there', async () => {
      const u = await upload(6)
      const body = 'a'.repeat(100) + 'b'.repeat(50)
      const r = await send(u, { method: 'PATCH', headers: appendHeaders(6, 0, false), body })
      assert.equal(r.status, 400)
      const h = await send(u, { method: 'HEAD', headers: hdr(6) })
      assert.deepEqual([h.status, header(h, 'upload-offset'), header(h, 'upload-length')], [204, '100', '100'])
      const done = await send(u, { method: 'PATCH', headers: appendHeaders(6, 100, true) })
      assert.equal(done.status, 201)
      assert.equal(header(done, 'upload-complete'), '?1')
      assert.equal(await readFile(join(s.dir, idOf(u)), 'utf8'), 'a'.repeat(100))
    })
    test('interop 6, a chunked body: the same', async () => {
      const u = await upload(6)
      const { request } = await import('node:http')
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(u, { method: 'PATCH', headers: appendHeaders(6, 0, false) }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        req.on('error', reject)
        req.write('a'.repeat(60))
        setTimeout(() => req.end('a'.repeat(60)), 50)
      })
      assert.equal(status, 400)
      const h = await send(u, { method: 'HEAD', headers: hdr(6) })
      assert.deepEqual([h.status, header(h, 'upload-offset')], [204, '100'])
    })
    for (const v of [7, 9]) {
      test(`interop ${v} (draft-08 §4.4): the upload is invalidated`, async () => {
        const u = await upload(v)
        const r = await send(u, { method: 'PATCH', headers: appendHeaders(v, 0, false), body: 'a'.repeat(150) })
        assert.equal(r.status, 400)
        assert.equal((await send(u, { method: 'HEAD', headers: hdr(v) })).status, 410)
      })
    }
  })
})
