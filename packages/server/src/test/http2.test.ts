/**
 * HTTP/2 transport of the listener: h2c with prior knowledge on the same port as HTTP/1.1, and TLS where ALPN picks
 * h2 or http/1.1. On HTTP/2 the 104 is an extra HEADERS frame before the final response (`'headers'` event on the
 * client stream); on HTTPS/1.1 it is a raw interim response (`'information'`).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { type ClientHttp2Session, constants } from 'node:http2'
import { request as httpsRequest, type RequestOptions } from 'node:https'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { ConnectionOptions, TLSSocket } from 'node:tls'
import { testCertificate } from './kit/cert.js'
import { h2, openH2 } from './kit/h2.js'
import { appendHeaders, header, send, startTestServer, type TestServer } from './kit/index.js'

type Headers = Record<string, string | string[] | undefined>

const idOf = (location: string) => new URL(location).pathname.split('/').pop() ?? ''

/**
 * The whole flow on one HTTP/2 session: creation with a body (104 then 201 with the same Location), HEAD, and the
 * completing PATCH, whose progress 104s carry no Location. Returns the Location.
 */
async function flow(session: ClientHttp2Session, server: TestServer, v: number, origin: string): Promise<string> {
  const file = randomBytes(300 * 1024)
  const first = file.subarray(0, 100 * 1024)
  const created = await h2(
    session,
    {
      ':method': 'POST',
      ':path': '/files/',
      'upload-draft-interop-version': v,
      'upload-complete': '?0',
      'content-length': first.length,
    },
    first,
  )
  assert.equal(created.status, 201)
  const location = String(created.headers['location'])
  assert.ok(location.startsWith(`${origin}/files/`), location)
  assert.ok(created.interim.length >= 1, 'a 104 arrived as an informational HEADERS block')
  const announce = created.interim[0]!
  assert.equal(announce[':status'], 104)
  assert.equal(announce['location'], location, 'the 104 and the 201 carry the same Location')
  assert.equal(announce['upload-draft-interop-version'], String(v))
  for (const i of created.interim) assert.equal(i['upload-draft-interop-version'], String(v))
  assert.equal(created.headers['upload-offset'], String(first.length))

  const path = new URL(location).pathname
  const head = await h2(session, { ':method': 'HEAD', ':path': path, 'upload-draft-interop-version': v })
  assert.ok(head.status === 200 || head.status === 204, `HEAD answered ${head.status}`)
  assert.equal(head.headers['upload-offset'], String(first.length))
  assert.equal(head.headers['upload-complete'], '?0')
  assert.equal(head.interim.length, 0)

  const rest = file.subarray(first.length)
  const patched = await h2(
    session,
    { ':method': 'PATCH', ':path': path, ...appendHeaders(v, first.length, true), 'content-length': rest.length },
    rest,
  )
  assert.ok(patched.status >= 200 && patched.status < 300, `PATCH answered ${patched.status}`)
  assert.equal(patched.headers['upload-complete'], '?1')
  assert.equal(patched.headers['upload-offset'], String(file.length))
  // progressIntervalMs is 0 in the test server: every stored batch is reported, so at least one progress 104 came.
  assert.ok(patched.interim.length >= 1, 'progress 104s during the append')
  for (const i of patched.interim) {
    assert.equal(i[':status'], 104)
    assert.equal(i['location'], undefined, 'no 104 during an append carries Location')
  }
  assert.ok((await readFile(join(server.dir, idOf(location)))).equals(file), 'byte-exact')
  return location
}

/** A PATCH whose stream the client cancels (RST_STREAM CANCEL) after `kept` bytes: the server keeps that prefix. */
async function cancelled(session: ClientHttp2Session, server: TestServer): Promise<void> {
  const created = await h2(session, {
    ':method': 'POST',
    ':path': '/files/',
    'upload-draft-interop-version': 9,
    'upload-complete': '?0',
  })
  assert.equal(created.status, 201)
  const path = new URL(String(created.headers['location'])).pathname
  const file = randomBytes(100_000)
  const kept = 40_000
  await new Promise<void>((resolve) => {
    const headers = { ':method': 'PATCH', ':path': path, ...appendHeaders(9, 0, true), 'content-length': file.length }
    const stream = session.request(headers, { endStream: false })
    stream.on('error', () => {})
    stream.on('close', () => resolve())
    stream.resume()
    // Cancel once a progress 104 says the prefix is stored (the event, not a timer: under load 100 ms is not enough).
    stream.on('headers', (h) => {
      if (Number(h['upload-offset']) >= kept) stream.close(constants.NGHTTP2_CANCEL)
    })
    stream.write(file.subarray(0, kept))
  })
  const head = await h2(session, { ':method': 'HEAD', ':path': path, 'upload-draft-interop-version': 9 })
  assert.equal(head.headers['upload-offset'], String(kept), 'the bytes before the cancel are kept')
  const rest = file.subarray(kept)
  const done = await h2(
    session,
    { ':method': 'PATCH', ':path': path, ...appendHeaders(9, kept, true), 'content-length': rest.length },
    rest,
  )
  assert.equal(done.headers['upload-complete'], '?1')
  assert.ok((await readFile(join(server.dir, path.split('/').pop() ?? ''))).equals(file))
}

describe('h2c with prior knowledge on the HTTP/1.1 port', () => {
  let server: TestServer
  before(async () => {
    server = await startTestServer()
  })
  after(() => server.close())

  for (const v of [6, 9]) {
    test(`interop ${v}: 104 as a HEADERS frame with Location and the version, then 201; HEAD and PATCH`, async () => {
      const origin = `http://127.0.0.1:${server.port}`
      const session = await openH2(origin)
      try {
        const location = await flow(session, server, v, origin)
        // The same port still speaks HTTP/1.1.
        const r = await send(location, { method: 'HEAD', headers: { 'upload-draft-interop-version': String(v) } })
        assert.equal(header(r, 'upload-complete'), '?1')
        assert.equal(header(r, 'upload-offset'), String(300 * 1024))
      } finally {
        session.destroy()
      }
    })
  }

  test('a cancelled h2c stream keeps its prefix; the upload resumes on the same session', async () => {
    const session = await openH2(`http://127.0.0.1:${server.port}`)
    try {
      await cancelled(session, server)
    } finally {
      session.destroy()
    }
  })

  test('no 104 over h2c without the interop header', async () => {
    const session = await openH2(`http://127.0.0.1:${server.port}`)
    try {
      const r = await h2(
        session,
        { ':method': 'POST', ':path': '/files/', 'upload-complete': '?0', 'content-length': 3 },
        Buffer.from('abc'),
      )
      assert.equal(r.status, 201)
      assert.ok(r.headers['location'])
      assert.equal(r.interim.length, 0)
    } finally {
      session.destroy()
    }
  })
})

describe('TLS: ALPN h2 and http/1.1', () => {
  let server: TestServer
  before(async () => {
    // The test certificate is made by openssl, installed like every other package a test needs (kit/cert.ts).
    server = await startTestServer({ tls: await testCertificate() })
  })
  after(async () => {
    await server.close()
  })

  test('HTTP/2 over TLS (ALPN h2): the 104 arrives, the upload completes', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+\/files\/$/)
    const origin = `https://127.0.0.1:${server.port}`
    const session = await openH2(origin, true)
    try {
      assert.equal(session.alpnProtocol, 'h2')
      await flow(session, server, 9, origin)
    } finally {
      session.destroy()
    }
  })

  test('a cancelled h2 stream over TLS keeps its prefix; the upload resumes', async () => {
    const session = await openH2(`https://127.0.0.1:${server.port}`, true)
    try {
      await cancelled(session, server)
    } finally {
      session.destroy()
    }
  })

  test('HTTPS/1.1 (ALPN http/1.1): the 104 arrives via information, the upload completes', async () => {
    const file = randomBytes(200 * 1024)
    const first = file.subarray(0, 50 * 1024)
    const created = await httpsSend(
      server.url,
      'POST',
      { 'upload-draft-interop-version': '9', 'upload-complete': '?0' },
      first,
    )
    assert.equal(created.alpn, 'http/1.1')
    assert.equal(created.status, 201)
    const location = String(created.headers['location'])
    assert.ok(location.startsWith(`https://127.0.0.1:${server.port}/files/`), location)
    assert.ok(created.interim.length >= 1)
    assert.equal(created.interim[0]?.status, 104)
    assert.equal(created.interim[0]?.headers['location'], location)
    assert.equal(created.interim[0]?.headers['upload-draft-interop-version'], '9')

    const rest = file.subarray(first.length)
    const patched = await httpsSend(location, 'PATCH', appendHeaders(9, first.length, true), rest)
    assert.ok(patched.status >= 200 && patched.status < 300, `PATCH answered ${patched.status}`)
    assert.equal(patched.headers['upload-complete'], '?1')
    assert.ok(patched.interim.length >= 1, 'progress 104s during the append')
    for (const i of patched.interim) assert.equal(i.headers['location'], undefined)
    assert.ok((await readFile(join(server.dir, idOf(location)))).equals(file))
  })
})

interface TlsResult {
  status: number
  headers: Headers
  interim: { status: number; headers: Headers }[]
  alpn: string | false | null
}

function httpsSend(url: string, method: string, headers: Record<string, string>, body: Buffer): Promise<TlsResult> {
  return new Promise((resolve, reject) => {
    const interim: TlsResult['interim'] = []
    // Offer ALPN with http/1.1 only: the server (allowHTTP1) must settle on it rather than h2.
    const options: RequestOptions & Pick<ConnectionOptions, 'ALPNProtocols'> = {
      method,
      headers: { ...headers, 'content-length': body.length },
      agent: false,
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    }
    const req = httpsRequest(url, options, (res) => {
      const alpn = (res.socket as TLSSocket).alpnProtocol
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, interim, alpn }))
    })
    req.on('information', (i) => interim.push({ status: i.statusCode, headers: i.headers }))
    req.on('error', reject)
    req.end(body)
  })
}
