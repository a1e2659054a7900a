/**
 * Regression tests for faults found by trying `rufh serve` as an attacker would (issue 13): every malformed input is
 * a 4xx with a problem body, never a 500 or text/plain; a request whose first read is one byte is not taken for
 * HTTP/2; `Upload-Concat` names only this server's uploads.
 */
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { connect as h2connect } from 'node:http2'
import { connect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { h2Connect } from './kit/h2.js'
import { header, send, startTestServer, type TestServer } from './kit/index.js'
import { problemOf, rawRequest } from './kit/raw.js'

const LIMIT_MS = 30_000
let s: TestServer
before(async () => {
  s = await startTestServer({ limits: { maxSize: 1_000_000 } })
})
after(() => s.close())

const T = { 'tus-resumable': '1.0.0' }
const OCTETS = { 'content-type': 'application/offset+octet-stream' }

async function tusUpload(length: number, extra: Record<string, string> = {}): Promise<string> {
  const r = await send(s.url, { method: 'POST', headers: { ...T, 'upload-length': String(length), ...extra } })
  assert.equal(r.status, 201, r.body)
  return header(r, 'location') ?? ''
}

describe('malformed input is a 4xx with a problem body', { timeout: LIMIT_MS }, () => {
  // Each passed the old pattern /^[A-Za-z0-9+/]+=*$/ and made atob throw (500 ERR_INTERNAL).
  for (const b64 of ['A', 'AAAAA', 'A=', 'AA=', 'AAA==', 'AAAA=', 'AA===', 'AAAAAA=']) {
    test(`tus Upload-Checksum 'sha1 ${b64}' → 400, nothing appended`, async () => {
      const u = await tusUpload(4)
      const r = await send(u, {
        method: 'PATCH',
        headers: { ...T, ...OCTETS, 'upload-offset': '0', 'upload-checksum': `sha1 ${b64}` },
        body: 'abcd',
      })
      assert.equal(r.status, 400, r.body)
      assert.equal(problemOf(r).code, 'ERR_INVALID_FIELD')
      assert.equal(header(await send(u, { method: 'HEAD', headers: T }), 'upload-offset'), '0')
    })
  }

  const heads: [string, string][] = [
    ['Host with a port out of range', 'POST /files/ HTTP/1.1\r\nHost: 127.0.0.1:99999\r\n'],
    ['Host with port 65536', 'POST /files/ HTTP/1.1\r\nHost: localhost:65536\r\n'],
    ['empty Host', 'POST /files/ HTTP/1.1\r\nHost: \r\n'],
    ['invalid Host', 'POST /files/ HTTP/1.1\r\nHost: a b\r\n'],
    ['no Host (HTTP/1.1)', 'POST /files/ HTTP/1.1\r\n'],
    ['no Host (HTTP/1.0)', 'POST /files/ HTTP/1.0\r\n'],
    ['an absolute-form target the URL parser cannot read', 'POST http://[::1/files/ HTTP/1.1\r\nHost: x\r\n'],
    ['an absolute-form target with a bad port', 'POST http://x:99999/files/ HTTP/1.1\r\nHost: x\r\n'],
  ]
  for (const [name, head] of heads) {
    for (const tus of [false, true]) {
      test(`${name}${tus ? ' (tus)' : ''} → 400 problem, connection closed, nothing created`, async () => {
        const before = (await readdir(s.dir)).length
        const extra = tus ? 'Tus-Resumable: 1.0.0\r\nUpload-Length: 3\r\n' : 'Upload-Complete: ?1\r\n'
        const r = await rawRequest(s.port, `${head}${extra}Content-Length: 3\r\n\r\nabc`)
        assert.equal(r.final?.status, 400, JSON.stringify(r.replies))
        assert.equal(problemOf(r.final).code, 'ERR_MALFORMED_REQUEST')
        assert.equal(r.final.headers['connection'], 'close')
        if (tus) assert.equal(r.final.headers['tus-resumable'], '1.0.0')
        assert.equal((await readdir(s.dir)).length, before)
      })
    }
  }

  // Found by the fuzz suite (seed 1 #13 and others): Node answered an unknown Expect with a bare 417.
  test('Expect other than 100-continue → 417 problem (HTTP/1.1 and h2c)', async () => {
    const r = await rawRequest(s.port, 'OPTIONS /files/ HTTP/1.1\r\nHost: x\r\nExpect: nonsense\r\n\r\n')
    assert.equal(r.final?.status, 417)
    assert.equal(problemOf(r.final).code, 'ERR_EXPECTATION_FAILED')
    const session = h2connect(`http://127.0.0.1:${s.port}`)
    try {
      const stream = session.request({
        ':method': 'OPTIONS',
        ':path': '/files/',
        expect: 'nonsense',
        'tus-resumable': '1.0.0',
      })
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      const h = await new Promise<Record<string, unknown>>((resolve, reject) => {
        stream.on('response', resolve)
        stream.on('error', reject)
      })
      await new Promise((r) => stream.on('end', r))
      assert.equal(h[':status'], 417)
      assert.equal(h['tus-resumable'], '1.0.0')
      const body = Buffer.concat(chunks).toString()
      assert.equal(problemOf({ headers: { 'content-type': h['content-type'] }, body }).code, 'ERR_EXPECTATION_FAILED')
    } finally {
      session.close()
    }
  })
  // Found by the fuzz suite (seed 9): Node dropped CONNECT requests without an answer.
  test('CONNECT → 405 problem with Allow, not a silent close', async () => {
    const r = await rawRequest(s.port, 'CONNECT /files/ HTTP/1.1\r\nHost: x\r\n\r\n')
    assert.equal(r.final?.status, 405)
    assert.equal(problemOf(r.final).code, 'ERR_METHOD_NOT_ALLOWED')
    assert.match(r.final.headers['allow'] ?? '', /PATCH/)
  })
  test('CONNECT over h2c → 405 problem with Allow (Node answered a bare 405)', async () => {
    const h2r = await h2Connect(`http://127.0.0.1:${s.port}`)
    assert.equal(h2r.headers[':status'], 405)
    assert.match(String(h2r.headers['allow']), /PATCH/)
    assert.equal(problemOf(h2r).code, 'ERR_METHOD_NOT_ALLOWED')
  })
  test('a malformed head (answered by the HTTP/1.1 parser) → 400 problem', async () => {
    const r = await rawRequest(s.port, 'GARBAGE\r\n\r\n')
    assert.equal(r.final?.status, 400)
    assert.equal(problemOf(r.final).code, 'ERR_MALFORMED_REQUEST')
  })
  test('conflicting Content-Length and Transfer-Encoding (a smuggling shape) → 400 problem', async () => {
    const r = await rawRequest(
      s.port,
      'POST /files/ HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    )
    assert.equal(r.final?.status, 400)
    problemOf(r.final)
  })
  test('an oversized head → 431 problem', async () => {
    const r = await rawRequest(s.port, `GET /files/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    assert.equal(r.final?.status, 431)
    assert.equal(problemOf(r.final).code, 'ERR_HEADERS_TOO_LARGE')
  })
  for (const authority of ['x:99999', 'a_b', '[::1']) {
    test(`an invalid h2 :authority '${authority}' → 400 problem`, async () => {
      const session = h2connect(`http://127.0.0.1:${s.port}`)
      try {
        const stream = session.request({ ':method': 'OPTIONS', ':path': '/files/', ':authority': authority })
        const chunks: Buffer[] = []
        stream.on('data', (c: Buffer) => chunks.push(c))
        const [status, type] = await new Promise<[number, string]>((resolve, reject) => {
          stream.on('response', (h) => resolve([Number(h[':status']), String(h['content-type'])]))
          stream.on('error', reject)
        })
        await new Promise((r) => stream.on('end', r))
        assert.equal(status, 400)
        const body = Buffer.concat(chunks).toString()
        assert.equal(problemOf({ headers: { 'content-type': type }, body }).code, 'ERR_MALFORMED_REQUEST')
      } finally {
        session.close()
      }
    })
  }
})

describe('h2c detection waits for enough bytes', { timeout: LIMIT_MS }, () => {
  for (const first of ['P', 'PA', 'PO', 'POS', 'PATC']) {
    test(`an HTTP/1.1 request whose first read is '${first}' is served as HTTP/1.1`, async () => {
      const req =
        'POST /files/ HTTP/1.1\r\nHost: x\r\nUpload-Draft-Interop-Version: 6\r\nUpload-Complete: ?1\r\nContent-Length: 3\r\n\r\nabc'
      const patch = `PATCH /files/nope HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`
      const text = first.startsWith('PA') ? patch : req
      const r = await rawRequest(s.port, text, { pieces: [first, text.slice(first.length)], pauseMs: 100 })
      assert.equal(r.final?.status, first.startsWith('PA') ? 404 : 201, JSON.stringify(r.replies))
    })
  }
  test('an h2c preface split byte by byte is still HTTP/2', async () => {
    const session = h2connect(`http://127.0.0.1:${s.port}`, {
      createConnection: () => {
        const sock = connect(s.port, '127.0.0.1')
        const write = sock.write.bind(sock)
        let first = true
        sock.write = ((chunk: Buffer, ...rest: unknown[]) => {
          if (!first) return write(chunk, ...(rest as []))
          first = false
          for (const b of Buffer.from(chunk)) write(Buffer.from([b]))
          return true
        }) as typeof sock.write
        return sock
      },
    })
    try {
      const stream = session.request({ ':method': 'OPTIONS', ':path': '/files/' })
      const status = await new Promise<number>((resolve, reject) => {
        stream.on('response', (h) => resolve(Number(h[':status'])))
        stream.on('error', reject)
      })
      stream.resume()
      assert.equal(status, 204)
    } finally {
      session.close()
    }
  })
})

describe('Upload-Concat names only uploads of this server', { timeout: LIMIT_MS }, () => {
  async function partial(body: string): Promise<string> {
    const r = await send(s.url, {
      method: 'POST',
      headers: { ...T, ...OCTETS, 'upload-length': String(body.length), 'upload-concat': 'partial' },
      body,
    })
    assert.equal(r.status, 201, r.body)
    return header(r, 'location') ?? ''
  }
  const final = (parts: string[]) =>
    send(s.url, { method: 'POST', headers: { ...T, 'upload-concat': `final;${parts.join(' ')}` } })

  test('a URL of another host with a local ID → 400, no final upload', async () => {
    const a = new URL(await partial('abc'))
    const before = (await readdir(s.dir)).length
    for (const other of [`http://another.host${a.pathname}`, `https://127.0.0.1:${s.port}${a.pathname}`]) {
      const r = await final([other])
      assert.equal(r.status, 400, `${other}: ${r.body}`)
      assert.equal(problemOf(r).code, 'ERR_INVALID_FIELD')
    }
    const otherPort = `http://127.0.0.1:${s.port === 65535 ? 1 : s.port + 1}${a.pathname}`
    assert.equal((await final([otherPort])).status, 400)
    assert.equal((await readdir(s.dir)).length, before)
  })
  test('relative URLs and this origin are accepted', async () => {
    const a = await partial('abc')
    const b = await partial('de')
    const r = await final([new URL(a).pathname, b])
    assert.equal(r.status, 201, r.body)
    const got = await send(header(r, 'location') ?? '')
    assert.equal(got.body, 'abcde')
  })
  test('traversal, queries and fragments in part URLs → 400', async () => {
    const a = new URL(await partial('abc'))
    for (const bad of [`${a.pathname}/../x`, `/files/../${a.pathname.slice(7)}`, `${a.pathname}?x=1`, `${a.href}#f`]) {
      const r = await final([bad])
      assert.equal(r.status, 400, `${bad}: ${r.status}`)
      problemOf(r)
    }
  })
})
