import assert from 'node:assert/strict'
import { once } from 'node:events'
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import type { FaultEvent } from './chain.js'
import type { Netsim } from './netsim.js'
import { pattern, sleep, tcpServer, within, withNetsim } from './test-helpers.js'

interface Seen {
  method: string
  url: string
  bytes: number
  complete: boolean
  closed: boolean
  headAt: number
}

/** A node:http server recording what each request delivered; answers 201 "created" once the body is in. */
async function recordingServer() {
  const seen: Seen[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const s: Seen = {
      method: req.method!,
      url: req.url!,
      bytes: 0,
      complete: false,
      closed: false,
      headAt: performance.now(),
    }
    seen.push(s)
    req.on('data', (d: Buffer) => {
      s.bytes += d.length
    })
    req.on('end', () => {
      s.complete = true
      res.writeHead(201, { 'content-type': 'text/plain' }).end('created')
    })
    req.on('close', () => {
      s.closed = true
    })
    req.on('error', () => {})
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  return {
    seen,
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

/**
 * A server that answers every request with `104 Upload Resumption Supported` (carrying the upload's Location) and,
 * 30 ms later, the final `201`. Written on raw sockets because node:http has no API for sending a 104.
 */
const uploadServer = () =>
  tcpServer((s) => {
    let buf = ''
    s.setEncoding('latin1')
    s.on('data', (d: string) => {
      buf += d
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      const length = Number(/content-length: *(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0)
      if (buf.length - end - 4 < length) return
      buf = ''
      s.write(
        'HTTP/1.1 104 Upload Resumption Supported\r\nLocation: /uploads/7\r\nUpload-Draft-Interop-Version: 6\r\n\r\n',
      )
      setTimeout(
        () => s.end('HTTP/1.1 201 Created\r\nLocation: /uploads/7\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'),
        30,
      )
    })
  })

interface Outcome {
  status?: number
  body?: string
  error?: string
  informational: { status: number; location?: string; at: number }[]
  start: number
  responseAt?: number
}

interface SendOptions {
  method?: string
  path?: string
  body?: Buffer
  /** Sends the body in this many pieces, `gap` ms apart. */
  pieces?: number
  gap?: number
  chunked?: boolean
  agent?: Agent | false
  /** Give up (and report 'timeout') after this many ms without a response. */
  timeout?: number
}

function send(port: number, o: SendOptions = {}): Promise<Outcome> {
  const body = o.body ?? Buffer.alloc(0)
  const headers: Record<string, string | number> = {}
  if (!o.chunked) headers['content-length'] = body.length
  const start = performance.now()
  const out: Outcome = { informational: [], start }
  return new Promise((resolve) => {
    const req = request({
      host: '127.0.0.1',
      port,
      method: o.method ?? 'PUT',
      path: o.path ?? '/up',
      headers,
      agent: o.agent ?? false,
    })
    req.on('information', (info) => {
      const location = info.headers['location']
      out.informational.push({
        status: info.statusCode,
        at: performance.now() - start,
        ...(location ? { location } : {}),
      })
    })
    req.on('response', (res) => {
      out.status = res.statusCode
      out.responseAt = performance.now() - start
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        text += d
      })
      res.on('end', () => {
        out.body = text
        resolve(out)
      })
      res.on('error', () => resolve(out))
    })
    req.on('error', (e: NodeJS.ErrnoException) => {
      out.error ??= e.code ?? e.message
      resolve(out)
    })
    if (o.timeout) {
      req.setTimeout(o.timeout, () => {
        out.error = 'timeout'
        req.destroy()
      })
    }
    const pieces = o.pieces ?? 1
    const size = Math.ceil(body.length / pieces)
    let k = 0
    const next = (): void => {
      if (req.destroyed) return
      if (k >= pieces) return void req.end()
      req.write(body.subarray(k * size, (k + 1) * size))
      k++
      if (o.gap) setTimeout(next, o.gap)
      else next()
    }
    next()
  })
}

function faultsOf(ns: Netsim): FaultEvent[] {
  const faults: FaultEvent[] = []
  ns.on('fault', (f) => faults.push(f))
  return faults
}

test('http_cut_body cuts the Nth matching request after K body bytes; the server keeps the prefix', async (t) => {
  const server = await recordingServer()
  t.after(() => server.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await ns.createProxy({ name: 'cut', upstream: server.address })
    const faults = faultsOf(ns)
    p.addToxic({ type: 'http_cut_body', attributes: { request: 2, after_bytes: 1000, method: 'PUT' } })
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const body = pattern(5000)
    const r1 = await send(p.port, { body, agent })
    const r2 = await send(p.port, { method: 'GET', agent })
    const r3 = await send(p.port, { body, agent })
    const r4 = await send(p.port, { body, agent })
    agent.destroy()
    assert.equal(r1.status, 201)
    assert.equal(r2.status, 201, 'a GET does not count as a matching request')
    assert.equal(r3.status, undefined)
    assert.ok(r3.error, 'the client sees the connection fail')
    assert.equal(r4.status, 201, 'only the 2nd PUT is cut')
    await within(
      2000,
      (async () => {
        while (!server.seen[2]?.closed) await sleep(10)
      })(),
    )
    assert.deepEqual(
      server.seen.map((s) => [s.method, s.bytes, s.complete]),
      [
        ['PUT', 5000, true],
        ['GET', 0, true],
        ['PUT', 1000, false],
        ['PUT', 5000, true],
      ],
    )
    assert.deepEqual(
      faults.map((f) => [f.fault, f.request, f.detail]),
      [['cut', 2, { offset: 1000, action: 'close' }]],
    )
  })
})

test('http_cut_body at a random offset: drawn from the seed, and the server gets exactly that prefix', async (t) => {
  const server = await recordingServer()
  t.after(() => server.close())
  const cutAt = (seed: number): Promise<number> =>
    withNetsim({ seed }, async (ns) => {
      const p = await ns.createProxy({ name: 'random-cut', upstream: server.address })
      const faults = faultsOf(ns)
      p.addToxic({ type: 'http_cut_body', attributes: { random: true } })
      const before = server.seen.length
      const r = await send(p.port, { body: pattern(20_000) })
      assert.ok(r.error)
      const offset = faults[0]!.detail!['offset'] as number
      await within(
        2000,
        (async () => {
          while (!server.seen[before]?.closed) await sleep(10)
        })(),
      )
      assert.equal(server.seen[before]!.bytes, offset)
      return offset
    })
  const a = await cutAt(21)
  assert.ok(a >= 0 && a < 20_000)
  assert.equal(await cutAt(21), a)
  assert.notEqual(await cutAt(22), a)
})

test('http_cut_body counts payload bytes of a chunked body, not its framing', async (t) => {
  const server = await recordingServer()
  t.after(() => server.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await ns.createProxy({ name: 'cut-chunked', upstream: server.address })
    p.addToxic({ type: 'http_cut_body', attributes: { after_bytes: 1500 } })
    const r = await send(p.port, { body: pattern(3500), chunked: true, pieces: 5, gap: 20 })
    assert.ok(r.error)
    await within(
      2000,
      (async () => {
        while (!server.seen[0]?.closed) await sleep(10)
      })(),
    )
    assert.equal(server.seen[0]!.bytes, 1500)
    assert.equal(server.seen[0]!.complete, false)
  })
})

test('http_cut_body with action reset resets both sides instead of closing', async (t) => {
  const server = await recordingServer()
  t.after(() => server.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await ns.createProxy({ name: 'cut-reset', upstream: server.address })
    p.addToxic({ type: 'http_cut_body', attributes: { after_bytes: 1000, action: 'reset' } })
    const r = await send(p.port, { body: pattern(5000), pieces: 5, gap: 20 })
    assert.equal(r.error, 'ECONNRESET')
    await within(
      2000,
      (async () => {
        while (!server.seen[0]?.closed) await sleep(10)
      })(),
    )
    // An RST may overtake bytes the server had not read yet: at most the prefix arrives, never more.
    assert.ok(server.seen[0]!.bytes <= 1000)
    assert.equal(server.seen[0]!.complete, false)
  })
})

test('http_half_open stops forwarding mid-body and leaves both connections open', async (t) => {
  const server = await recordingServer()
  t.after(() => server.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await ns.createProxy({ name: 'half-open', upstream: server.address })
    p.addToxic({ type: 'http_half_open', attributes: { after_bytes: 100 } })
    const r = await send(p.port, { body: pattern(5000), timeout: 500 })
    assert.equal(r.error, 'timeout', 'no response and no close reach the client')
    assert.equal(server.seen[0]!.bytes, 100)
    assert.equal(server.seen[0]!.closed, false, 'the server still waits on an open connection')
    assert.equal(p.connectionCount, 1)
  })
  await sleep(50)
  assert.equal(server.seen[0]!.closed, true, 'closing netsim releases the frozen connection')
})

test('http_strip_1xx removes the 104 so the client never sees the upload URL early; other codes pass', async (t) => {
  const server = await uploadServer()
  t.after(() => server.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await ns.createProxy({ name: 'strip', upstream: server.address })
    const plain = await send(p.port, { method: 'POST', body: pattern(10) })
    assert.deepEqual(
      plain.informational.map((i) => [i.status, i.location]),
      [[104, '/uploads/7']],
    )
    p.addToxic({ type: 'http_strip_1xx', attributes: { status: 103 } })
    const other = await send(p.port, { method: 'POST', body: pattern(10) })
    assert.deepEqual(
      other.informational.map((i) => i.status),
      [104],
    )
    p.removeToxic('http_strip_1xx_downstream')
    p.addToxic({ type: 'http_strip_1xx', attributes: { status: 104 } })
    const stripped = await send(p.port, { method: 'POST', body: pattern(10) })
    assert.deepEqual(stripped.informational, [])
    assert.equal(stripped.status, 201)
  })
})

test('http_delay_1xx holds the 104, and what follows it, back by `delay` ms', async (t) => {
  const server = await uploadServer()
  t.after(() => server.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await ns.createProxy({ name: 'delay', upstream: server.address })
    p.addToxic({ type: 'http_delay_1xx', attributes: { delay: 300 } })
    const r = await send(p.port, { method: 'POST', body: pattern(10) })
    assert.equal(r.informational.length, 1)
    assert.ok(r.informational[0]!.at >= 300, `104 after ${r.informational[0]!.at} ms`)
    assert.ok(r.responseAt! >= r.informational[0]!.at, 'the final response does not overtake the 104')
    assert.equal(r.status, 201)
  })
})

test('http_buffer_request holds the request until its whole body has arrived, as nginx does', async (t) => {
  const server = await recordingServer()
  t.after(() => server.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await ns.createProxy({ name: 'buffer', upstream: server.address })
    const streamed = await send(p.port, { body: pattern(5000), pieces: 5, gap: 120 })
    assert.equal(streamed.status, 201)
    assert.ok(server.seen[0]!.headAt - streamed.start < 300, 'without the toxic the server starts at once')

    p.addToxic({ type: 'http_buffer_request' })
    const buffered = await send(p.port, { body: pattern(5000), pieces: 5, gap: 120 })
    assert.equal(buffered.status, 201)
    const waited = server.seen[1]!.headAt - buffered.start
    assert.ok(waited >= 475, `the server saw the request ${waited} ms in, expected after the last piece (480 ms)`)
    assert.deepEqual([server.seen[1]!.bytes, server.seen[1]!.complete], [5000, true])
  })
})

test('http_buffer_request with max_bytes answers 413 and the server never sees the request', async (t) => {
  const server = await recordingServer()
  t.after(() => server.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await ns.createProxy({ name: 'too-large', upstream: server.address })
    p.addToxic({ type: 'http_buffer_request', attributes: { max_bytes: 1000 } })
    const r = await send(p.port, { body: pattern(5000), pieces: 5, gap: 10 })
    assert.equal(r.status, 413)
    await sleep(50)
    assert.equal(server.seen.length, 0)
  })
})

test('http_drop_response loses the final response after the server processed the request', async (t) => {
  const server = await recordingServer()
  t.after(() => server.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await ns.createProxy({ name: 'drop', upstream: server.address })
    const faults = faultsOf(ns)
    p.addToxic({ type: 'http_drop_response', attributes: { request: 1 } })
    const lost = await send(p.port, { body: pattern(5000) })
    assert.equal(lost.status, undefined)
    assert.ok(lost.error, 'the client sees the connection close without a response')
    assert.deepEqual([server.seen[0]!.bytes, server.seen[0]!.complete], [5000, true], 'yet the server got it all')
    assert.deepEqual(
      faults.map((f) => [f.fault, f.request, f.detail?.['status']]),
      [['drop-response', 1, 201]],
    )
    const next = await send(p.port, { body: pattern(10) })
    assert.equal(next.status, 201)
    assert.equal(next.body, 'created')
  })
})

test('http_drop_response lets the 104 through: the client learns the upload URL but not the outcome', async (t) => {
  const server = await uploadServer()
  t.after(() => server.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await ns.createProxy({ name: 'drop-final', upstream: server.address })
    p.addToxic({ type: 'http_drop_response', attributes: { action: 'reset' } })
    const r = await send(p.port, { method: 'POST', body: pattern(10) })
    assert.deepEqual(
      r.informational.map((i) => [i.status, i.location]),
      [[104, '/uploads/7']],
    )
    assert.equal(r.status, undefined)
    assert.equal(r.error, 'ECONNRESET')
  })
})
