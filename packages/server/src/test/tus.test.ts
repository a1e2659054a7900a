/** tus 1.0 on the same endpoint: core, extensions, downloads, and continuation across protocols. */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { appendHeaders, completeness, header, send, startTestServer, type TestServer } from './kit/index.js'

let s: TestServer
before(async () => {
  s = await startTestServer({ limits: { maxSize: 1_000_000, maxAge: 3600 } })
})
after(() => s.close())

const T = { 'tus-resumable': '1.0.0' }
const OCTETS = { 'content-type': 'application/offset+octet-stream' }
const b64 = (x: string) => Buffer.from(x).toString('base64')

async function tusCreate(length: number | undefined, extra: Record<string, string> = {}, body?: string) {
  const h: Record<string, string> = { ...T, ...extra }
  if (length === undefined) h['upload-defer-length'] = '1'
  else h['upload-length'] = String(length)
  if (body !== undefined) Object.assign(h, OCTETS)
  const r = await send(s.url, { method: 'POST', headers: h, ...(body !== undefined ? { body } : {}) })
  assert.equal(r.status, 201, r.body)
  return { url: header(r, 'location')!, r }
}
const patch = (u: string, offset: number, body: string, extra: Record<string, string> = {}) =>
  send(u, { method: 'PATCH', headers: { ...T, ...OCTETS, 'upload-offset': String(offset), ...extra }, body })
const head = (u: string) => send(u, { method: 'HEAD', headers: T })

describe('tus core', () => {
  test('OPTIONS advertises version, extensions, max size and checksum algorithms', async () => {
    const r = await send(s.url, { method: 'OPTIONS' })
    assert.equal(r.status, 204)
    assert.equal(header(r, 'tus-version'), '1.0.0')
    assert.equal(header(r, 'tus-max-size'), '1000000')
    for (const ext of [
      'creation',
      'creation-with-upload',
      'creation-defer-length',
      'termination',
      'expiration',
      'checksum',
      'concatenation',
    ])
      assert.ok(header(r, 'tus-extension')?.split(',').includes(ext), ext)
    assert.match(header(r, 'tus-checksum-algorithm') ?? '', /sha1/)
  })

  test('creation, HEAD, PATCH in pieces; complete when the offset reaches the length; metadata kept', async () => {
    const { url, r } = await tusCreate(11, {
      'upload-metadata': `filename ${b64('näme.txt')},filetype ${b64('text/plain')},empty`,
    })
    assert.equal(header(r, 'tus-resumable'), '1.0.0')
    assert.ok(header(r, 'upload-expires'), 'expiration extension')
    const h = await head(url)
    assert.equal(h.status, 200)
    assert.equal(header(h, 'upload-offset'), '0')
    assert.equal(header(h, 'upload-length'), '11')
    assert.equal(header(h, 'cache-control'), 'no-store')
    assert.match(header(h, 'upload-metadata') ?? '', new RegExp(`filename ${b64('näme.txt')}`))
    const p1 = await patch(url, 0, 'hello ')
    assert.equal(p1.status, 204)
    assert.equal(header(p1, 'upload-offset'), '6')
    assert.equal((await patch(url, 6, 'world')).status, 204)
    const g = await send(url, { method: 'GET' })
    assert.equal(g.status, 200)
    assert.equal(g.body, 'hello world')
    assert.equal(header(g, 'content-type'), 'text/plain')
    assert.match(
      header(g, 'content-disposition') ?? '',
      /^inline; filename="n_me.txt"; filename\*=UTF-8''n%C3%A4me\.txt$/,
    )
    // A draft client sees the same upload as complete.
    const ietf = await send(url, { method: 'HEAD', headers: { 'upload-draft-interop-version': '9' } })
    assert.equal(header(ietf, 'upload-complete'), '?1')
  })

  test('OPTIONS ignores Tus-Resumable; a deferred length above Tus-Max-Size gets 413', async () => {
    const o = await send(s.url, { method: 'OPTIONS', headers: { 'tus-resumable': '0.0.1' } })
    assert.equal(o.status, 204)
    assert.equal(header(o, 'tus-version'), '1.0.0')
    const { url } = await tusCreate(undefined)
    const r = await patch(url, 0, 'abcd', { 'upload-length': '1000001' })
    assert.equal(r.status, 413)
    assert.equal(header(await head(url), 'upload-defer-length'), '1')
  })

  test('requests without a supported Tus-Resumable get 412 with Tus-Version', async () => {
    const r = await send(s.url, { method: 'POST', headers: { 'tus-resumable': '0.2.2', 'upload-length': '1' } })
    assert.equal(r.status, 412)
    assert.equal(header(r, 'tus-version'), '1.0.0')
  })

  test('wrong offset 409, wrong media type 415, over Tus-Max-Size 413, bad metadata 400', async () => {
    const { url } = await tusCreate(10)
    const wrong = await patch(url, 3, 'x')
    assert.equal(wrong.status, 409)
    assert.equal(header(wrong, 'upload-offset'), '0')
    const mt = await send(url, {
      method: 'PATCH',
      headers: { ...T, 'upload-offset': '0', 'content-type': 'text/plain' },
      body: 'x',
    })
    assert.equal(mt.status, 415)
    const big = await send(s.url, { method: 'POST', headers: { ...T, 'upload-length': '1000001' } })
    assert.equal(big.status, 413)
    const meta = await send(s.url, {
      method: 'POST',
      headers: { ...T, 'upload-length': '1', 'upload-metadata': 'a b c' },
    })
    assert.equal(meta.status, 400)
    const none = await send(s.url, { method: 'POST', headers: T })
    assert.equal(none.status, 400, 'Upload-Length or Upload-Defer-Length is required')
    assert.equal(header(await head(url), 'upload-offset'), '0')
  })

  test('creation-with-upload and creation-defer-length', async () => {
    const { r } = await tusCreate(5, {}, 'abc')
    assert.equal(header(r, 'upload-offset'), '3')
    const d = await tusCreate(undefined)
    assert.equal(header(await head(d.url), 'upload-defer-length'), '1')
    await patch(d.url, 0, 'abcd')
    const last = await patch(d.url, 4, 'ef', { 'upload-length': '6' })
    assert.equal(last.status, 204)
    const h = await head(d.url)
    assert.equal(header(h, 'upload-length'), '6')
    assert.equal((await send(d.url, { method: 'GET' })).body, 'abcdef')
  })

  test('termination, and X-HTTP-Method-Override', async () => {
    const { url } = await tusCreate(3)
    const p = await send(url, {
      method: 'POST',
      headers: { ...T, ...OCTETS, 'x-http-method-override': 'PATCH', 'upload-offset': '0' },
      body: 'ab',
    })
    assert.equal(p.status, 204)
    assert.equal(header(p, 'upload-offset'), '2')
    const d = await send(url, { method: 'POST', headers: { ...T, 'x-http-method-override': 'DELETE' } })
    assert.equal(d.status, 204)
    assert.equal((await head(url)).status, 404)
  })
})

describe('tus checksum', () => {
  for (const algo of ['sha1', 'md5', 'sha256'] as const) {
    test(`${algo}: a match appends, a mismatch gets 460 and appends nothing`, async () => {
      const { url } = await tusCreate(8)
      const ok = createHash(algo).update('abcd').digest('base64')
      assert.equal((await patch(url, 0, 'abcd', { 'upload-checksum': `${algo} ${ok}` })).status, 204)
      const bad = createHash(algo).update('nope').digest('base64')
      const r = await patch(url, 4, 'efgh', { 'upload-checksum': `${algo} ${bad}` })
      assert.equal(r.status, 460)
      assert.equal(header(await head(url), 'upload-offset'), '4')
    })
  }
  test('an unsupported algorithm is refused before anything is stored', async () => {
    const { url } = await tusCreate(4)
    const r = await patch(url, 0, 'abcd', { 'upload-checksum': 'crc32 AAAAAA==' })
    assert.equal(r.status, 400)
    assert.equal(header(await head(url), 'upload-offset'), '0')
  })
})

describe('tus concatenation', () => {
  test('partial uploads concatenated into a final one; a final upload takes no PATCH', async () => {
    const a = await tusCreate(3, { 'upload-concat': 'partial' }, 'abc')
    const b = await tusCreate(2, { 'upload-concat': 'partial' }, 'de')
    assert.equal(header(await head(a.url), 'upload-concat'), 'partial')
    const relB = new URL(b.url).pathname
    const f = await send(s.url, { method: 'POST', headers: { ...T, 'upload-concat': `final;${a.url} ${relB}` } })
    assert.equal(f.status, 201, f.body)
    const u = header(f, 'location')!
    const h = await head(u)
    assert.equal(header(h, 'upload-length'), '5')
    assert.equal(header(h, 'upload-offset'), '5')
    assert.equal(header(h, 'upload-concat'), `final;${a.url} ${b.url}`)
    assert.equal((await send(u, { method: 'GET' })).body, 'abcde')
    assert.equal((await patch(u, 5, 'x')).status, 403)
  })
  test('concatenating an incomplete, non-partial or unknown upload is refused', async () => {
    const inc = await tusCreate(3, { 'upload-concat': 'partial' }, 'a')
    const plain = await tusCreate(1, {}, 'z')
    for (const parts of [inc.url, plain.url, `${s.url}AAAAAAAAAAAAAAAAAAAAAAAA`, 'http://other.example/files/x']) {
      const r = await send(s.url, { method: 'POST', headers: { ...T, 'upload-concat': `final;${parts}` } })
      assert.equal(r.status, 400, parts)
    }
  })
})

describe('downloads', () => {
  test('Range requests, 416, and a safe Content-Type policy', async () => {
    const { url } = await tusCreate(
      10,
      { 'upload-metadata': `filetype ${b64('text/html')},filename ${b64('x.html')}` },
      '0123456789',
    )
    const g = await send(url, { method: 'GET', headers: { range: 'bytes=2-4' } })
    assert.equal(g.status, 206)
    assert.equal(g.body, '234')
    assert.equal(header(g, 'content-range'), 'bytes 2-4/10')
    assert.equal((await send(url, { method: 'GET', headers: { range: 'bytes=-3' } })).body, '789')
    assert.equal((await send(url, { method: 'GET', headers: { range: 'bytes=7-' } })).body, '789')
    const bad = await send(url, { method: 'GET', headers: { range: 'bytes=20-30' } })
    assert.equal(bad.status, 416)
    assert.equal(header(bad, 'content-range'), 'bytes */10')
    // HTML is never served inline: it could run script in this origin.
    assert.equal(header(g, 'content-type'), 'application/octet-stream')
    assert.match(header(g, 'content-disposition') ?? '', /^attachment;/)
    assert.equal(header(g, 'x-content-type-options'), 'nosniff')
  })
  test('an incomplete upload is not served', async () => {
    const { url } = await tusCreate(10, {}, 'abc')
    assert.equal((await send(url, { method: 'GET' })).status, 409)
  })
})

describe('continuation across protocols', () => {
  test('created with tus, continued and completed with the draft (interop 6)', async () => {
    const { url } = await tusCreate(10, {}, 'abcd')
    const h = await send(url, { method: 'HEAD', headers: { 'upload-draft-interop-version': '6' } })
    assert.equal(header(h, 'upload-offset'), '4')
    assert.equal(header(h, 'upload-length'), '10')
    assert.equal(header(h, 'upload-complete'), '?0')
    const p = await send(url, { method: 'PATCH', headers: appendHeaders(6, 4, true), body: 'efghij' })
    assert.equal(p.status, 201)
    assert.equal(header(await head(url), 'upload-offset'), '10')
    assert.equal((await send(url, { method: 'GET' })).body, 'abcdefghij')
  })
  test('created with the draft, continued with tus; Content-Type/Content-Disposition become tus metadata', async () => {
    const c = await send(s.url, {
      method: 'POST',
      headers: {
        'upload-draft-interop-version': '9',
        ...completeness(9, false),
        'content-type': 'image/png',
        'content-disposition': 'attachment; filename="pic.png"',
      },
      body: 'PNG',
    })
    const url = header(c, 'location')!
    const h = await head(url)
    assert.equal(header(h, 'upload-defer-length'), '1')
    assert.equal(header(h, 'upload-metadata'), `filetype ${b64('image/png')},filename ${b64('pic.png')}`)
    const p = await patch(url, 3, 'DATA', { 'upload-length': '7' })
    assert.equal(p.status, 204)
    const d = await send(url, { method: 'HEAD', headers: { 'upload-draft-interop-version': '9' } })
    assert.equal(header(d, 'upload-complete'), '?1')
    const g = await send(url, { method: 'GET' })
    assert.equal(header(g, 'content-type'), 'image/png')
    assert.equal(g.body, 'PNGDATA')
  })
})

describe('tus expiration', () => {
  test('an expired incomplete upload is gone (410) for HEAD and PATCH; Upload-Expires told when', async () => {
    const s2 = await startTestServer({ limits: { maxAge: 1 } })
    try {
      const c = await send(s2.url, { method: 'POST', headers: { ...T, ...OCTETS, 'upload-length': '10' }, body: 'abc' })
      const expires = Date.parse(header(c, 'upload-expires') ?? '')
      assert.ok(
        expires > Date.now() - 2000 && expires <= Date.now() + 1000,
        `Upload-Expires ${header(c, 'upload-expires')}`,
      )
      const u = header(c, 'location')!
      await new Promise((r) => setTimeout(r, 1100))
      assert.equal((await send(u, { method: 'HEAD', headers: T })).status, 410)
      const p = await send(u, { method: 'PATCH', headers: { ...T, ...OCTETS, 'upload-offset': '3' }, body: 'd' })
      assert.equal(p.status, 410)
      assert.equal(await s2.core.sweepExpired(), 1)
      assert.equal((await send(u, { method: 'HEAD', headers: T })).status, 404)
    } finally {
      await s2.close()
    }
  })
})
