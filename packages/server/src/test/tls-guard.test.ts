/**
 * TLS behaves like plain TCP (issue 13): over HTTPS/1.1 a malformed or oversized head is answered with a problem
 * body (Node's parser runs on the secure server too: `clientError`), and the connection guard bounds TLS sockets the
 * same way: a silent connection (no handshake) within the idle bound, a connection with no request (HTTP/1.1 or h2
 * chosen by ALPN) within the head bound, a partial head answered 408, and the per-address cap.
 */
import assert from 'node:assert/strict'
import { connect as h2connect } from 'node:http2'
import { connect as tcpConnect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { type TLSSocket, connect as tlsConnect } from 'node:tls'
import { testCertificate } from './kit/cert.js'
import { h2Connect } from './kit/h2.js'
import { startTestServer, type TestServer } from './kit/index.js'
import { parseReplies, problemOf } from './kit/raw.js'

const LIMIT_MS = 30_000
/** How late a close may come after its bound on a loaded machine (timers, 2 shared cores). */
const SLACK_MS = 2500
const IDLE_MS = 600
const HEAD_MS = 1500

let tls: { cert: Buffer; key: Buffer }
before(async () => {
  tls = await testCertificate()
})

interface Secure {
  socket: TLSSocket
  /** Milliseconds from the handshake to the close. */
  closed: Promise<number>
  received: () => Buffer
}

/** A TLS connection that offers only `alpn`; resolves once the handshake is done. */
function secure(port: number, alpn: string, localAddress = '127.0.0.1'): Promise<Secure> {
  return new Promise((resolve, reject) => {
    const tcp = tcpConnect({ port, host: '127.0.0.1', localAddress })
    tcp.on('error', () => {})
    const socket = tlsConnect({ socket: tcp, rejectUnauthorized: false, ALPNProtocols: [alpn] })
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.once('error', reject)
    socket.once('secureConnect', () => {
      socket.on('error', () => {})
      const at = Date.now()
      const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - at)))
      resolve({ socket, closed, received: () => Buffer.concat(chunks) })
    })
  })
}

/** Sends `head` over HTTPS/1.1 and resolves with the single response the server wrote before closing. */
async function answerTo(port: number, head: string | Buffer) {
  const c = await secure(port, 'http/1.1')
  c.socket.write(head)
  await c.closed
  const replies = parseReplies(c.received(), true)
  assert.equal(replies.length, 1, c.received().toString().slice(0, 300))
  return replies[0] as NonNullable<(typeof replies)[0]>
}

describe('HTTPS/1.1: Node-parsed errors have problem bodies', () => {
  let server: TestServer
  before(async () => {
    server = await startTestServer({ tls })
  })
  after(() => server.close())

  test('a malformed head is 400 problem+json, and the connection closes', { timeout: LIMIT_MS }, async () => {
    for (const head of [
      'GARBAGE\r\n\r\n',
      'OPTIONS /files/ HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\n\r\n',
      'POST /files/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
    ]) {
      const r = await answerTo(server.port, head)
      assert.equal(r.status, 400, head)
      const p = problemOf(r)
      assert.equal(p.status, 400)
      assert.equal(p.code, 'ERR_MALFORMED_REQUEST')
      assert.equal(r.headers['connection'], 'close')
    }
  })

  test('an oversized head is 431 problem+json', { timeout: LIMIT_MS }, async () => {
    const r = await answerTo(
      server.port,
      `OPTIONS /files/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`,
    )
    assert.equal(r.status, 431)
    assert.equal(problemOf(r).status, 431)
  })

  test('CONNECT is 405 problem+json with Allow, over HTTPS/1.1 and over h2', { timeout: LIMIT_MS }, async () => {
    const r = await answerTo(server.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')
    assert.equal(r.status, 405)
    assert.equal(problemOf(r).code, 'ERR_METHOD_NOT_ALLOWED')
    assert.match(r.headers['allow'] ?? '', /PATCH/)
    const h2r = await h2Connect(`https://127.0.0.1:${server.port}`)
    assert.equal(h2r.headers[':status'], 405)
    assert.match(String(h2r.headers['allow']), /PATCH/)
    assert.equal(problemOf(h2r).code, 'ERR_METHOD_NOT_ALLOWED')
  })
})

describe('the connection guard on TLS sockets', () => {
  let server: TestServer
  before(async () => {
    server = await startTestServer({
      tls,
      connections: { idleTimeoutMs: IDLE_MS, headTimeoutMs: HEAD_MS, maxConnectionsPerAddress: 3 },
    })
  })
  after(() => server.close())

  test('a TCP connection that never starts the handshake is closed within the idle bound', {
    timeout: LIMIT_MS,
  }, async () => {
    const before = server.connections.timedOut
    const socket = tcpConnect(server.port, '127.0.0.1')
    socket.on('error', () => {})
    await new Promise((r) => socket.once('connect', r))
    const t0 = Date.now()
    await new Promise((r) => socket.once('close', r))
    const ms = Date.now() - t0
    assert.ok(ms >= IDLE_MS - 50, `closed after ${ms} ms, before its bound`)
    assert.ok(ms < IDLE_MS + SLACK_MS, `closed after ${ms} ms`)
    assert.ok(ms < HEAD_MS, `the idle bound, not the head bound (${ms} ms)`)
    assert.equal(server.connections.timedOut, before + 1)
  })

  for (const alpn of ['http/1.1', 'h2'])
    test(`a TLS connection (ALPN ${alpn}) that sends no request is closed within the head bound`, {
      timeout: LIMIT_MS,
    }, async () => {
      const before = server.connections.timedOut
      const c = await secure(server.port, alpn)
      assert.equal(c.socket.alpnProtocol, alpn)
      const ms = await c.closed
      assert.ok(ms >= HEAD_MS - 50, `closed after ${ms} ms, before its bound`)
      assert.ok(ms < HEAD_MS + SLACK_MS, `closed after ${ms} ms`)
      assert.equal(server.connections.timedOut, before + 1)
    })

  test('a partial HTTPS/1.1 head is answered 408 problem+json at the head bound', { timeout: LIMIT_MS }, async () => {
    const c = await secure(server.port, 'http/1.1')
    c.socket.write('OPTIONS /files/ HTTP/1.1\r\nHost: 127.0.0.1\r\n')
    const ms = await c.closed
    assert.ok(ms >= HEAD_MS - 50 && ms < HEAD_MS + SLACK_MS, `closed after ${ms} ms`)
    const [r] = parseReplies(c.received(), true)
    assert.equal(r?.status, 408)
    assert.equal(problemOf(r as NonNullable<typeof r>).status, 408)
  })

  test('an h2 session over TLS that keeps a stream open is not cut by the head bound', {
    timeout: LIMIT_MS,
  }, async () => {
    const session = h2connect(`https://127.0.0.1:${server.port}`, { rejectUnauthorized: false })
    session.on('error', () => {})
    try {
      const stream = session.request(
        { ':method': 'OPTIONS', ':path': '/files/', 'tus-resumable': '1.0.0' },
        { endStream: true },
      )
      const status = await new Promise<number>((r) => stream.once('response', (h) => r(Number(h[':status']))))
      assert.equal(status, 204)
      stream.resume()
      await new Promise((r) => stream.once('close', r))
      // Free again: the session is closed one head bound after its last stream.
      const t0 = Date.now()
      await new Promise((r) => session.once('close', r))
      const ms = Date.now() - t0
      assert.ok(ms >= HEAD_MS - 50 && ms < HEAD_MS + SLACK_MS, `closed after ${ms} ms`)
    } finally {
      session.destroy()
    }
  })

  test('an h2 stream over TLS left open past the head bound, then GOAWAY: the server lives on', {
    timeout: LIMIT_MS,
  }, async () => {
    // Regression: the TLS socket was tracked only after Node had made its h2 session, so the head deadline took it
    // for HTTP/1.1 and wrote a raw 408 into the session's socket; the client's GOAWAY then aborted the process.
    const session = h2connect(`https://127.0.0.1:${server.port}`, { rejectUnauthorized: false })
    session.on('error', () => {})
    const stream = session.request({ ':method': 'OPTIONS', ':path': '/files/', 'tus-resumable': '1.0.0' })
    stream.on('error', () => {})
    assert.equal(await new Promise<number>((r) => stream.once('response', (h) => r(Number(h[':status'])))), 204)
    stream.resume()
    await new Promise((r) => setTimeout(r, HEAD_MS + 500))
    assert.equal(session.closed, false, 'a session with a stream open is not cut')
    session.goaway()
    await new Promise((r) => setTimeout(r, 100))
    session.destroy()
    const again = await secure(server.port, 'http/1.1')
    again.socket.write(
      'OPTIONS /files/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nConnection: close\r\n\r\n',
    )
    await again.closed
    assert.equal(parseReplies(again.received(), true)[0]?.status, 204)
  })

  test('the per-address cap holds for TLS connections; other addresses still get in', {
    timeout: LIMIT_MS,
  }, async () => {
    const refused = server.connections.refused
    const held = await Promise.all([0, 1, 2].map(() => secure(server.port, 'http/1.1')))
    try {
      await assert.rejects(secure(server.port, 'http/1.1'), 'a fourth TLS connection from one address is refused')
      assert.equal(server.connections.refused, refused + 1)
      const other = await secure(server.port, 'http/1.1', '127.0.0.2')
      other.socket.write(
        'OPTIONS /files/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nConnection: close\r\n\r\n',
      )
      await other.closed
      assert.equal(parseReplies(other.received(), true)[0]?.status, 204)
    } finally {
      for (const c of held) c.socket.destroy()
    }
  })
})
