/** Bad input: each gets the right 4xx with a problem body and changes nothing. */
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { connect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { appendHeaders, completeness, header, send, startTestServer, type TestServer } from './kit/index.js'

let s: TestServer
before(async () => {
  s = await startTestServer({ limits: { maxSize: 10_000 } })
})
after(() => s.close())
const v9 = { 'upload-draft-interop-version': '9' }

async function fresh(body = 'abc') {
  const c = await send(s.url, { method: 'POST', headers: { ...v9, ...completeness(9, false) }, body })
  return header(c, 'location')!
}
async function offsetOf(u: string) {
  return header(await send(u, { method: 'HEAD', headers: v9 }), 'upload-offset')
}
function isProblem(r: { headers: Record<string, unknown>; body: string }) {
  assert.equal(r.headers['content-type'], 'application/problem+json')
  const p = JSON.parse(r.body) as { type: string; status: number; detail: string; code: string }
  assert.ok(p.type && p.status && p.detail && p.code, r.body)
  return p
}

describe('malformed Structured Fields', () => {
  for (const bad of ['abc', '-5', '1.5', '3.0', '1e3', '99999999999999999999', '', '?1', '"3"']) {
    test(`Upload-Offset: ${JSON.stringify(bad)} → 400, nothing appended`, async () => {
      const u = await fresh()
      const r = await send(u, {
        method: 'PATCH',
        headers: { ...appendHeaders(9, 3, false), 'upload-offset': bad },
        body: 'x',
      })
      assert.equal(r.status, 400)
      assert.equal(isProblem(r).code, 'ERR_INVALID_FIELD')
      assert.equal(await offsetOf(u), '3')
    })
  }
  for (const bad of ['yes', '1', 'true', '?2', '']) {
    test(`Upload-Complete: ${JSON.stringify(bad)} on creation is ignored → not a resumable upload (400), no 104`, async () => {
      const before = (await readdir(s.dir)).length
      const r = await send(s.url, { method: 'POST', headers: { ...v9, 'upload-complete': bad }, body: 'x' })
      assert.equal(r.status, 400)
      assert.equal(isProblem(r).code, 'ERR_NOT_RESUMABLE')
      assert.equal(r.interim.length, 0)
      assert.equal((await readdir(s.dir)).length, before, 'no upload resource')
    })
  }
  test('Upload-Complete with parameters is still a Boolean', async () => {
    const r = await send(s.url, { method: 'POST', headers: { ...v9, 'upload-complete': '?0;x=1' } })
    assert.equal(r.status, 201)
  })
  test('Upload-Draft-Interop-Version that is not an Integer → 400', async () => {
    const r = await send(s.url, {
      method: 'POST',
      headers: { 'upload-draft-interop-version': 'six', ...completeness(9, false) },
    })
    assert.equal(r.status, 400)
    assert.equal(isProblem(r).code, 'ERR_UNSUPPORTED_VERSION')
  })
  test('a negative or non-integer Upload-Length is ignored (and a huge one is over max-size)', async () => {
    const neg = await send(s.url, {
      method: 'POST',
      headers: { ...v9, ...completeness(9, false), 'upload-length': '-1' },
    })
    assert.equal(neg.status, 201)
    const h = await send(header(neg, 'location')!, { method: 'HEAD', headers: v9 })
    assert.equal(header(h, 'upload-length'), undefined)
    const huge = await send(s.url, {
      method: 'POST',
      headers: { ...v9, ...completeness(9, false), 'upload-length': '999999999999999' },
    })
    assert.equal(huge.status, 413)
  })
  test('a creation request carrying Upload-Offset → 400', async () => {
    const r = await send(s.url, { method: 'POST', headers: { ...v9, ...completeness(9, false), 'upload-offset': '0' } })
    assert.equal(r.status, 400)
    assert.equal(isProblem(r).code, 'ERR_UNEXPECTED_FIELD')
  })
  test('a huge Upload-Offset → 409 and nothing changes', async () => {
    const u = await fresh()
    const r = await send(u, { method: 'PATCH', headers: appendHeaders(9, 999_999_999_999_999, false), body: 'x' })
    assert.equal(r.status, 409)
    assert.equal(await offsetOf(u), '3')
  })
})

describe('IDs from clients', () => {
  for (const path of [
    '../../../etc/passwd',
    '..%2F..%2Fetc%2Fpasswd',
    'AAAAAAAAAAAAAAAAAAAAAAAA.json',
    'a/b',
    '%00',
    'x'.repeat(300),
  ]) {
    test(`${JSON.stringify(path.slice(0, 40))} → 404 problem`, async () => {
      const r = await send(`${s.url}${path}`, { method: 'HEAD', headers: v9 })
      assert.equal(r.status, 404)
      const p = await send(`${s.url}${path}`, { method: 'PATCH', headers: appendHeaders(9, 0, false), body: 'x' })
      assert.equal(p.status, 404)
      isProblem(p)
    })
  }
  test('a raw request-target with dot segments cannot leave the folder', async () => {
    const port = Number(new URL(s.url).port)
    const text = await new Promise<string>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => {
        sock.write(
          'HEAD /files/../../../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\nUpload-Draft-Interop-Version: 9\r\nConnection: close\r\n\r\n',
        )
      })
      let buf = ''
      sock.on('data', (d) => (buf += d))
      sock.on('close', () => resolve(buf))
    })
    assert.match(text, /^HTTP\/1\.1 404 /)
  })
})

describe('wrong methods, media types and sizes', () => {
  test('GET on the creation URL → 405 with Allow', async () => {
    const r = await send(s.url, { method: 'GET', headers: v9 })
    assert.equal(r.status, 405)
    assert.match(header(r, 'allow') ?? '', /POST/)
    isProblem(r)
  })
  test('PUT on an upload → 405', async () => {
    const u = await fresh()
    const r = await send(u, { method: 'PUT', headers: v9, body: 'x' })
    assert.equal(r.status, 405)
  })
  test('a path outside the base path → 404', async () => {
    const r = await send(s.url.replace('/files/', '/other/'), {
      method: 'POST',
      headers: { ...v9, ...completeness(9, false) },
    })
    assert.equal(r.status, 404)
  })
  test('a missing Host → 400', async () => {
    const port = Number(new URL(s.url).port)
    const text = await new Promise<string>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => sock.write('HEAD /files/ HTTP/1.0\r\n\r\n'))
      let buf = ''
      sock.on('data', (d) => (buf += d))
      sock.on('close', () => resolve(buf))
    })
    assert.match(text, /^HTTP\/1\.[01] 400 /)
  })
  test('an oversize body (Content-Length above max-size) → 413 and nothing stored', async () => {
    const u = await fresh()
    const r = await send(u, { method: 'PATCH', headers: appendHeaders(9, 3, false), body: 'x'.repeat(10_001) })
    assert.equal(r.status, 413)
    assert.equal(await offsetOf(u), '3')
  })
})
