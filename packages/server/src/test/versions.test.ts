/**
 * Socket-level checks of every interop version's MUSTs (spec notes §3): creation, 104s, offset retrieval, appends,
 * completion, mismatches, cancellation, discovery. 1xx responses are only visible on a real connection.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { appendHeaders, completeness, header, send, startTestServer, type TestServer, VERSIONS } from './kit/index.js'

let server: TestServer
before(async () => {
  server = await startTestServer()
})
after(() => server.close())

const hdr = (v: number) => ({ 'upload-draft-interop-version': String(v) })
const completeName = (v: number) => (v === 3 ? 'upload-incomplete' : 'upload-complete')
/** The completeness field as each version spells "not complete". */
const incompleteValue = (v: number) => (v === 3 ? '?1' : '?0')
const completeValue = (v: number) => (v === 3 ? '?0' : '?1')

async function careful(v: number, body = '') {
  return send(server.url, { method: 'POST', headers: { ...hdr(v), ...completeness(v, false) }, body })
}

for (const v of VERSIONS) {
  describe(`interop ${v}`, () => {
    test('careful creation: 201, Location, offset, not complete; a 104 with Location and the version first', async () => {
      const r = await careful(v, 'abc')
      assert.equal(r.status, 201)
      const location = header(r, 'location')
      assert.match(location ?? '', /^http:\/\/127\.0\.0\.1:\d+\/files\/[A-Za-z0-9_-]{24}$/)
      assert.equal(header(r, 'upload-offset'), '3')
      assert.equal(header(r, completeName(v)), incompleteValue(v))
      const announce = r.interim.filter((i) => i.headers['location'])
      assert.equal(announce.length, 1, 'exactly one 104 announces the upload')
      assert.equal(announce[0]!.status, 104)
      // Every 104 carries the version; the Location is identical everywhere (draft-10 §4.2).
      for (const i of r.interim) assert.equal(i.headers['upload-draft-interop-version'], String(v))
      assert.equal(announce[0]!.headers['location'], location)
      assert.equal(r.interim[0]!.headers['location'], location, 'the first 104 carries Location')
      // draft-09 on: Upload-Limit in the announcing 104 and the creation response (from I6 the server sends it).
      if (v >= 6) {
        assert.equal(announce[0]!.headers['upload-limit'], 'min-size=0')
        assert.equal(header(r, 'upload-limit'), 'min-size=0')
      }
    })

    test('no 104 without the interop header or with another version', async () => {
      const none = await send(server.url, { method: 'POST', headers: completeness(v, false) })
      assert.equal(none.interim.length, 0)
      const other = await send(server.url, {
        method: 'POST',
        headers: { 'upload-draft-interop-version': '999', ...completeness(v, false) },
      })
      assert.equal(other.interim.length, 0)
      // A version rufh does not speak is an ordinary upload, not a refusal (draft-ietf-httpbis-resumable-upload's
      // interop appendix forbids only the 104; unknown-version.test.ts tests the rest).
      assert.equal(other.status, 201)
      assert.equal(header(other, 'upload-draft-interop-version'), undefined)
    })

    test('offset retrieval, appends in sequence, completion, and the bytes on disk', async () => {
      const c = await careful(v, 'hello ')
      const u = header(c, 'location')!
      const h = await send(u, { method: 'HEAD', headers: hdr(v) })
      assert.equal(h.status, 204)
      assert.equal(header(h, 'upload-offset'), '6')
      assert.equal(header(h, completeName(v)), incompleteValue(v))
      assert.match(header(h, 'cache-control') ?? '', /no-store/)
      const p1 = await send(u, { method: 'PATCH', headers: appendHeaders(v, 6, false), body: 'big ' })
      assert.equal(p1.status, v <= 6 ? 201 : 204)
      assert.equal(header(p1, 'upload-offset'), '10')
      assert.equal(header(p1, completeName(v)), incompleteValue(v))
      assert.equal(p1.interim.filter((i) => i.headers['location']).length, 0, 'no 104 during an append has Location')
      const h2 = await send(u, { method: 'HEAD', headers: hdr(v) })
      assert.equal(header(h2, 'upload-offset'), '10')
      const p2 = await send(u, { method: 'PATCH', headers: appendHeaders(v, 10, true), body: 'world' })
      assert.ok(p2.status >= 200 && p2.status < 300)
      assert.equal(header(p2, completeName(v)), completeValue(v))
      const h3 = await send(u, { method: 'HEAD', headers: hdr(v) })
      assert.equal(header(h3, 'upload-offset'), '15')
      assert.equal(header(h3, completeName(v)), completeValue(v))
      if (v >= 6) assert.equal(header(h3, 'upload-length'), '15')
      const id = u.split('/').pop()!
      assert.equal(await readFile(join(server.dir, id), 'utf8'), 'hello big world')
    })

    test('optimistic creation with the whole body completes the upload', async () => {
      const r = await send(server.url, {
        method: 'POST',
        headers: { ...hdr(v), ...completeness(v, true) },
        body: 'all at once',
      })
      assert.equal(r.status, 201)
      assert.equal(header(r, completeName(v)), completeValue(v))
      assert.equal(header(r, 'upload-offset'), '11')
      const h = await send(header(r, 'location')!, { method: 'HEAD', headers: hdr(v) })
      assert.equal(header(h, completeName(v)), completeValue(v))
    })

    test('a wrong offset gets 409 with the right Upload-Offset and changes nothing', async () => {
      const u = header(await careful(v, 'xyz'), 'location')!
      const r = await send(u, { method: 'PATCH', headers: appendHeaders(v, 4, false), body: 'q' })
      assert.equal(r.status, 409)
      assert.equal(header(r, 'upload-offset'), '3')
      assert.equal(header(r, 'content-type'), 'application/problem+json')
      const p = JSON.parse(r.body) as Record<string, unknown>
      assert.equal(p['expected-offset'], 3)
      assert.equal(p['provided-offset'], 4)
      if (v >= 6) assert.equal(p['type'], 'https://iana.org/assignments/http-problem-types#mismatching-upload-offset')
      if (v >= 7) assert.equal(header(r, 'upload-complete'), '?0')
      const h = await send(u, { method: 'HEAD', headers: hdr(v) })
      assert.equal(header(h, 'upload-offset'), '3')
    })

    test('an append to a completed upload is rejected and changes nothing', async () => {
      const r0 = await send(server.url, {
        method: 'POST',
        headers: { ...hdr(v), ...completeness(v, true) },
        body: 'done',
      })
      const u = header(r0, 'location')!
      const r = await send(u, { method: 'PATCH', headers: appendHeaders(v, 4, false), body: 'more' })
      assert.ok(r.status >= 400 && r.status < 500, `got ${r.status}`)
      if (v === 6 || v === 7)
        assert.equal(JSON.parse(r.body).type, 'https://iana.org/assignments/http-problem-types#completed-upload')
      if (v >= 8)
        assert.equal(
          JSON.parse(r.body).type,
          'https://iana.org/assignments/http-problem-types#inconsistent-upload-length',
        )
      const h = await send(u, { method: 'HEAD', headers: hdr(v) })
      assert.equal(header(h, 'upload-offset'), '4')
    })

    test('cancellation: 204, then the upload is gone', async () => {
      const u = header(await careful(v, 'bye'), 'location')!
      const d = await send(u, { method: 'DELETE', headers: hdr(v) })
      assert.equal(d.status, 204)
      const h = await send(u, { method: 'HEAD', headers: hdr(v) })
      assert.equal(h.status, 404)
      const p = await send(u, { method: 'PATCH', headers: appendHeaders(v, 3, false), body: 'x' })
      assert.equal(p.status, 404)
    })

    test('unknown upload URIs get 404 for HEAD, PATCH and DELETE', async () => {
      const u = `${server.url}AAAAAAAAAAAAAAAAAAAAAAAA`
      for (const method of ['HEAD', 'PATCH', 'DELETE']) {
        const r = await send(u, { method, headers: method === 'PATCH' ? appendHeaders(v, 0, false) : hdr(v) })
        assert.equal(r.status, 404, method)
      }
    })

    test('discovery with OPTIONS', async () => {
      const r = await send(server.url, { method: 'OPTIONS', headers: hdr(v) })
      assert.ok(r.status >= 200 && r.status < 300)
      if (v >= 6) assert.equal(header(r, 'upload-limit'), 'min-size=0')
      if (v >= 8) assert.equal(header(r, 'accept-patch'), 'application/partial-upload')
    })
  })
}
