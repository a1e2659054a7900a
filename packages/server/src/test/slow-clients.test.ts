/**
 * Slow clients (issue 13): idle, partial-head and Slowloris connections by the hundred while a normal client keeps
 * its latency; each kind is closed within its configured bound (and not before); a legitimately slow upload — a body
 * at 1 KiB/s, slower than any head bound — completes; under a file-descriptor limit, connection caps keep the server
 * reachable for other clients.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { connect as h2connect } from 'node:http2'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { ServerMetrics } from '../observe/prometheus.js'
import { send, startTestServer } from './kit/index.js'
import { parseReplies, problemOf } from './kit/raw.js'
import { serveChildren, spawnServe } from './kit/serve.js'

const LIMIT_MS = 60_000
/** How late a close may come after its bound on a loaded machine (timers, 2 shared cores). */
const SLACK_MS = 2500

after(() => {
  for (const c of serveChildren) c.kill('SIGKILL')
})

interface Probe {
  socket: Socket
  opened: number
  /** Milliseconds from open to close. */
  closed: Promise<number>
  received: () => Buffer
  stop(): void
}

function open(port: number, localAddress = '127.0.0.1'): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress })
    const chunks: Buffer[] = []
    let timer: NodeJS.Timeout | undefined
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => {})
    const opened = Date.now()
    const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - opened)))
    socket.once('connect', () =>
      resolve({
        socket,
        opened,
        closed: closed.finally(() => clearInterval(timer)),
        received: () => Buffer.concat(chunks),
        stop: () => clearInterval(timer),
      }),
    )
    socket.once('error', reject)
    Object.defineProperty(socket, 'drip', {
      value: (text: string, everyMs: number) => {
        let i = 0
        timer = setInterval(() => {
          if (!socket.destroyed) socket.write(text[i++ % text.length] ?? 'a')
        }, everyMs)
      },
    })
  })
}

function drip(p: Probe, text: string, everyMs: number): void {
  ;(p.socket as Socket & { drip(t: string, ms: number): void }).drip(text, everyMs)
}

async function many(n: number, port: number, setup: (p: Probe) => void): Promise<Probe[]> {
  const out: Probe[] = []
  for (let i = 0; i < n; i++) {
    const p = await open(port)
    setup(p)
    out.push(p)
  }
  return out
}

/** A normal client: sequential creations (each on a fresh connection), with their latencies. */
async function normalClient(url: string, n: number): Promise<number[]> {
  const ms: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = Date.now()
    const r = await send(url, {
      method: 'POST',
      headers: { 'upload-draft-interop-version': '6', 'upload-complete': '?1' },
      body: 'hello',
    })
    assert.equal(r.status, 201, r.body)
    ms.push(Date.now() - t0)
  }
  return ms
}

describe('slow clients by the hundred', { timeout: LIMIT_MS }, () => {
  test('idle, partial-head and Slowloris connections close within their bounds; a normal client is unaffected', async () => {
    const idleTimeoutMs = 800
    const headTimeoutMs = 2000
    const s = await startTestServer({ connections: { idleTimeoutMs, headTimeoutMs, maxConnectionsPerAddress: 1000 } })
    try {
      const idle = await many(100, s.port, () => {})
      const partial = await many(100, s.port, (p) => p.socket.write('POST /files/ HTTP/1.1\r\nHost: x\r\nUpload-'))
      const loris = await many(100, s.port, (p) => {
        p.socket.write('POST /files/ HTTP/1.1\r\nHost: x\r\n')
        drip(p, 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n', 100)
      })
      const latencies = await normalClient(s.url, 20)
      const [idleMs, partialMs, lorisMs] = await Promise.all(
        [idle, partial, loris].map((ps) => Promise.all(ps.map((p) => p.closed))),
      )
      const range = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)]
      const [i0, i1] = range(idleMs ?? [])
      const [p0, p1] = range(partialMs ?? [])
      const [l0, l1] = range(lorisMs ?? [])
      assert.ok(i0 >= idleTimeoutMs - 50 && i1 <= idleTimeoutMs + SLACK_MS, `idle closed after ${i0}–${i1} ms`)
      assert.ok(p0 >= headTimeoutMs - 50 && p1 <= headTimeoutMs + SLACK_MS, `partial heads closed after ${p0}–${p1} ms`)
      assert.ok(l0 >= headTimeoutMs - 50 && l1 <= headTimeoutMs + SLACK_MS, `Slowloris closed after ${l0}–${l1} ms`)
      // A partial head is answered 408 with a problem body; a silent connection is just closed.
      for (const p of [...partial, ...loris]) {
        const [reply] = parseReplies(p.received())
        assert.equal(reply?.status, 408)
        assert.equal(problemOf(reply).code, 'ERR_REQUEST_TIMEOUT')
      }
      for (const p of idle) assert.equal(p.received().length, 0)
      assert.ok(Math.max(...latencies) < 1500, `normal client latencies ${latencies.join(',')} ms`)
      assert.equal(s.connections.timedOut, 300)
    } finally {
      await s.close()
    }
  })

  test('a body at 1 KiB/s, slower than every head bound, completes byte-exact', async () => {
    const s = await startTestServer({ connections: { idleTimeoutMs: 300, headTimeoutMs: 500 } })
    try {
      const body = randomBytes(4 * 1024)
      const r = await new Promise<{ status: number; location: string }>((resolve, reject) => {
        const req = httpRequest(s.url, {
          method: 'POST',
          agent: false,
          headers: { 'upload-draft-interop-version': '6', 'upload-complete': '?1', 'content-length': body.length },
        })
        req.on('response', (res) => {
          res.resume()
          resolve({ status: res.statusCode ?? 0, location: String(res.headers.location) })
        })
        req.on('error', reject)
        req.flushHeaders()
        let sent = 0
        const t = setInterval(() => {
          req.write(body.subarray(sent, sent + 256))
          sent += 256
          if (sent >= body.length) {
            clearInterval(t)
            req.end()
          }
        }, 250)
      })
      assert.equal(r.status, 201)
      const id = new URL(r.location).pathname.split('/').pop() ?? ''
      assert.ok((await readFile(join(s.dir, id))).equals(body))
    } finally {
      await s.close()
    }
  })

  test('an h2c session with no stream closes after the head bound; one with a stream in progress stays', async () => {
    const s = await startTestServer({ connections: { idleTimeoutMs: 300, headTimeoutMs: 700 } })
    try {
      const idle = h2connect(`http://127.0.0.1:${s.port}`)
      idle.on('error', () => {})
      const t0 = Date.now()
      await new Promise((r) => idle.once('close', r))
      const ms = Date.now() - t0
      assert.ok(ms >= 650 && ms <= 700 + SLACK_MS, `idle h2c session closed after ${ms} ms`)
      const busy = h2connect(`http://127.0.0.1:${s.port}`)
      const stream = busy.request({
        ':method': 'POST',
        ':path': '/files/',
        'upload-draft-interop-version': '6',
        'upload-complete': '?1',
      })
      stream.write('a')
      await new Promise((r) => setTimeout(r, 1500))
      assert.equal(busy.destroyed || busy.closed, false, 'a session with a request in progress is not cut')
      const status = new Promise<number>((r) => stream.on('response', (h) => r(Number(h[':status']))))
      stream.end('b')
      assert.equal(await status, 201)
      busy.close()
    } finally {
      await s.close()
    }
  })
})

describe('connection metrics', { timeout: LIMIT_MS }, () => {
  test('accepted, refused and timed-out connections are counted, and the open ones gauged', async () => {
    const metrics = new ServerMetrics({ processMetrics: false })
    const s = await startTestServer({ metrics, connections: { idleTimeoutMs: 300, maxConnectionsPerAddress: 2 } })
    try {
      const ps = await many(3, s.port, () => {})
      await Promise.all(ps.map((p) => p.closed))
      // The client sees its close before the server's socket emits its own.
      while (s.connections.open > 0) await new Promise((r) => setImmediate(r))
      const text = (await metrics.render()).body
      const value = (name: string) =>
        Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1])
      assert.equal(value('rufh_connections_total{outcome="accepted"}'), 2)
      assert.equal(value('rufh_connections_total{outcome="refused"}'), 1)
      assert.equal(value('rufh_connections_total{outcome="timed-out"}'), 2)
      assert.equal(value('rufh_connections_open'), 0)
    } finally {
      await s.close()
    }
  })
})

describe('connection caps under a file-descriptor limit', { timeout: LIMIT_MS }, () => {
  test('rufh serve under ulimit -n 256: 300 idle connections from one address do not lock out another', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rufh-slow-'))
    const srv = await spawnServe(dir, ['--max-connections-per-address', '100', '--idle-timeout', '3'], { fdLimit: 256 })
    try {
      const port = Number(new URL(srv.url).port)
      const idle: Probe[] = []
      for (let i = 0; i < 300; i++) idle.push(await open(port))
      // Refused ones are closed at once; the server holds at most 100 for this address.
      await new Promise((r) => setTimeout(r, 300))
      const open1 = idle.filter((p) => !p.socket.destroyed && p.socket.readyState === 'open').length
      assert.ok(open1 <= 100, `${open1} idle connections still open`)
      // Another client address (all of 127.0.0.0/8 is loopback) is served while they are held.
      const other = await open(port, '127.0.0.2')
      other.socket.write(
        'POST /files/ HTTP/1.1\r\nHost: x\r\nUpload-Draft-Interop-Version: 6\r\nUpload-Complete: ?1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi',
      )
      await other.closed
      assert.equal(parseReplies(other.received()).find((r) => r.status >= 200)?.status, 201)
      const after = await Promise.all(idle.map((p) => p.closed))
      assert.ok(Math.max(...after) <= 3000 + SLACK_MS, `idle connections closed after up to ${Math.max(...after)} ms`)
      assert.equal(srv.child.exitCode, null, 'the server is still running')
      const ok = await send(srv.url, { method: 'OPTIONS' })
      assert.equal(ok.status, 204)
    } finally {
      srv.child.kill('SIGKILL')
      await rm(dir, { recursive: true, force: true })
    }
  })
})
