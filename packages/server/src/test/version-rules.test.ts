/** Rules that differ between interop versions, each tested on the versions it applies to (and its neighbours). */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { appendHeaders, completeness, header, send, startTestServer, type TestServer, VERSIONS } from './kit/index.js'

let server: TestServer
before(async () => {
  server = await startTestServer()
})
after(() => server.close())

const hdr = (v: number) => ({ 'upload-draft-interop-version': String(v) })
async function create(v: number, body = '', extra: Record<string, string> = {}) {
  const r = await send(server.url, {
    method: 'POST',
    headers: { ...hdr(v), ...completeness(v, false), ...extra },
    body,
  })
  assert.equal(r.status, 201, r.body)
  return header(r, 'location')!
}
const head = (u: string, v: number) => send(u, { method: 'HEAD', headers: hdr(v) })

describe('retrieval and cancellation must not carry protocol fields (I3–I6: 400)', () => {
  for (const v of VERSIONS) {
    test(`interop ${v}`, async () => {
      const u = await create(v, 'ab')
      const field: Record<string, string> = v === 3 ? { 'upload-incomplete': '?1' } : { 'upload-complete': '?0' }
      const withOffset = await send(u, { method: 'HEAD', headers: { ...hdr(v), 'upload-offset': '2' } })
      const withComplete = await send(u, { method: 'HEAD', headers: { ...hdr(v), ...field } })
      const del = await send(u, { method: 'DELETE', headers: { ...hdr(v), 'upload-offset': '2' } })
      if (v <= 6) {
        assert.equal(withOffset.status, 400)
        assert.equal(withComplete.status, 400)
        assert.equal(del.status, 400)
        assert.equal(header(await head(u, v), 'upload-offset'), '2', 'the rejected DELETE changed nothing')
      } else {
        assert.equal(withOffset.status, 204)
        assert.equal(withComplete.status, 204)
      }
      if (v === 6) {
        const withLength = await send(u, { method: 'HEAD', headers: { ...hdr(v), 'upload-length': '5' } })
        assert.equal(withLength.status, 400)
      }
    })
  }
})

describe('appends need application/partial-upload from interop 6 (draft-04 §4.3)', () => {
  for (const v of [5, 6, 7, 9]) {
    test(`interop ${v}`, async () => {
      const u = await create(v)
      const h = { ...appendHeaders(v, 0, false), 'content-type': 'application/octet-stream' }
      const r = await send(u, { method: 'PATCH', headers: h, body: 'data' })
      if (v >= 6) {
        assert.equal(r.status, 415)
        assert.equal(header(await head(u, v), 'upload-offset'), '0')
      } else assert.equal(r.status, 201)
    })
  }
})

describe('an append without its completeness field', () => {
  test('interop 3: the final chunk (draft-01 §6.3)', async () => {
    const u = await create(3, 'a')
    const r = await send(u, { method: 'PATCH', headers: { ...hdr(3), 'upload-offset': '1' }, body: 'b' })
    assert.equal(r.status, 201)
    assert.equal(header(r, 'upload-incomplete'), '?0')
    assert.equal(header(await head(u, 3), 'upload-incomplete'), '?0')
  })
  for (const v of [4, 5, 6]) {
    test(`interop ${v}: not completing (rufh's choice for the ambiguity, docs/protocol.md)`, async () => {
      const u = await create(v, 'a')
      const h: Record<string, string> = { ...hdr(v), 'upload-offset': '1' }
      if (v === 6) h['content-type'] = 'application/partial-upload'
      const r = await send(u, { method: 'PATCH', headers: h, body: 'b' })
      assert.equal(r.status, 201)
      assert.equal(header(r, 'upload-complete'), '?0')
      const hd = await head(u, v)
      assert.equal(header(hd, 'upload-complete'), '?0')
      assert.equal(header(hd, 'upload-offset'), '2')
    })
  }
  for (const v of [7, 8, 9, 10]) {
    test(`interop ${v}: rejected (draft-06 §4.4: MUST carry Upload-Complete)`, async () => {
      const u = await create(v, 'a')
      const h = { ...hdr(v), 'upload-offset': '1', 'content-type': 'application/partial-upload' }
      const r = await send(u, { method: 'PATCH', headers: h, body: 'b' })
      assert.equal(r.status, 400)
      assert.equal(header(r, 'upload-complete'), '?0')
      assert.equal(header(await head(u, v), 'upload-offset'), '1')
    })
  }
})

describe('GET retrieves the offset from interop 9 only (before, it is a download of a completed upload)', () => {
  for (const v of [8, 9, 10]) {
    test(`interop ${v}`, async () => {
      const u = await create(v, 'abcd')
      const r = await send(u, { method: 'GET', headers: hdr(v) })
      if (v >= 9) {
        assert.ok(r.status >= 200 && r.status < 300)
        assert.equal(header(r, 'upload-offset'), '4')
        assert.match(header(r, 'cache-control') ?? '', /no-store/)
      } else {
        assert.equal(r.status, 409, 'not a retrieval: a download of an upload that is not complete')
        assert.equal(header(r, 'upload-offset'), undefined)
      }
    })
  }
})

describe('a repeated completing append on a completed upload', () => {
  for (const v of [6, 7, 8, 9]) {
    test(`interop ${v}`, async () => {
      const r0 = await send(server.url, {
        method: 'POST',
        headers: { ...hdr(v), ...completeness(v, true) },
        body: 'xy',
      })
      const u = header(r0, 'location')!
      const r = await send(u, { method: 'PATCH', headers: appendHeaders(v, 2, true) })
      if (v >= 9) {
        // draft-12: replaying the final response recovers a client whose final response was lost.
        assert.ok(r.status >= 200 && r.status < 300)
        assert.equal(header(r, 'upload-complete'), '?1')
      } else if (v === 8) {
        assert.equal(r.status, 410) // draft-10 §4.4.2: an empty append to a completed upload
        assert.equal(JSON.parse(r.body).type, 'https://iana.org/assignments/http-problem-types#completed-upload')
      } else assert.equal(r.status, 400)
    })
  }
})

describe('Upload-Limit spells the lifetime per version', () => {
  test('expires in interop 6, max-age from 7, none before 6', async () => {
    const s = await startTestServer({ limits: { maxAge: 3600, maxSize: 1000 } })
    try {
      for (const v of [5, 6, 7, 9]) {
        const r = await send(s.url, { method: 'OPTIONS', headers: hdr(v) })
        const lim = header(r, 'upload-limit')
        if (v < 6) assert.equal(lim, undefined)
        else if (v === 6) assert.equal(lim, 'max-size=1000, expires=3600')
        else assert.equal(lim, 'max-size=1000, max-age=3600')
      }
    } finally {
      await s.close()
    }
  })
})

describe('progress 104s (from interop 5)', () => {
  for (const v of [4, 5, 9]) {
    test(`interop ${v}: offsets in successive 104s never go down, and HEAD reports at least the last`, async () => {
      const u = await create(v)
      const body = Buffer.alloc(3 * 1024 * 1024, 7)
      const r = await send(u, { method: 'PATCH', headers: appendHeaders(v, 0, false), body })
      const offsets = r.interim.map((i) => Number(i.headers['upload-offset']))
      if (v < 5) {
        assert.equal(r.interim.length, 0)
        return
      }
      assert.ok(offsets.length >= 1, 'at least one progress 104')
      for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i]! > offsets[i - 1]!)
      for (const i of r.interim) assert.equal(i.headers['location'], undefined)
      const last = offsets[offsets.length - 1]!
      assert.ok(Number(header(await head(u, v), 'upload-offset')) >= last)
    })
  }
})

describe('creation with any content-carrying method (draft-02 on)', () => {
  for (const method of ['PUT', 'PATCH', 'POST']) {
    test(`${method} to the target creates an upload`, async () => {
      const r = await send(server.url, { method, headers: { ...hdr(9), ...completeness(9, true) }, body: 'via' })
      assert.equal(r.status, 201)
      assert.equal(header(r, 'upload-complete'), '?1')
      assert.equal(r.interim.find((i) => i.headers['location'])?.headers['location'], header(r, 'location'))
    })
  }
  test('Expect: 100-continue still gets a 100 Continue alongside the 104 (draft-10)', async () => {
    const { request } = await import('node:http')
    const got = await new Promise<{ cont: boolean; status: number }>((resolve, reject) => {
      let cont = false
      const req = request(server.url, {
        method: 'POST',
        headers: { ...hdr(9), ...completeness(9, true), expect: '100-continue', 'content-length': '2' },
      })
      req.on('continue', () => {
        cont = true
        req.end('ok')
      })
      req.on('response', (res) => {
        res.resume()
        resolve({ cont, status: res.statusCode ?? 0 })
      })
      req.on('error', reject)
    })
    assert.deepEqual(got, { cont: true, status: 201 })
  })
})
