import assert from 'node:assert/strict'
import net from 'node:net'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { WireConnection } from './connection.js'
import { exchange } from './exchange.js'
import { header } from './types.js'

/** What a tiny test server saw of one request: the head, and each piece of content with its arrival time. */
interface Seen {
  head: string
  parts: { at: number; bytes: number }[]
  closed: Promise<void>
  body(): number
}

type Script = (socket: net.Socket, seen: Seen) => Promise<void> | void

const servers: net.Server[] = []
after(() => {
  for (const s of servers) s.close()
})

/** A node:net server that reads one request head, then hands the socket to `script`. */
async function serve(script: Script): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const server = net.createServer((socket) => {
    let buf = Buffer.alloc(0)
    let s: Seen | undefined
    const t0 = Date.now()
    let onClose!: () => void
    const closed = new Promise<void>((r) => {
      onClose = r
    })
    socket.on('close', onClose)
    socket.on('error', () => {})
    socket.on('data', (b: Buffer) => {
      if (s) {
        s.parts.push({ at: Date.now() - t0, bytes: b.length })
        return
      }
      buf = Buffer.concat([buf, b])
      const i = buf.indexOf('\r\n\r\n')
      if (i < 0) return
      const rest = buf.subarray(i + 4)
      const cur: Seen = {
        head: buf.subarray(0, i).toString(),
        parts: rest.length ? [{ at: Date.now() - t0, bytes: rest.length }] : [],
        closed,
        body: () => cur.parts.reduce((a, p) => a + p.bytes, 0),
      }
      s = cur
      seen.push(cur)
      void script(socket, cur)
    })
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as net.AddressInfo
  return { url: `http://127.0.0.1:${port}/files/`, seen }
}

test('observes every 104 and the final response, each timestamped', async () => {
  const { url, seen } = await serve(async (sock) => {
    sock.write('HTTP/1.1 104 Upload Resumption Supported\r\nLocation: /files/1\r\n\r\n')
    await sleep(30)
    sock.write('HTTP/1.1 104 Upload Resumption Supported\r\nUpload-Offset: 5\r\n\r\n')
    await sleep(30)
    sock.end('HTTP/1.1 201 Created\r\nLocation: /files/1\r\nContent-Length: 2\r\n\r\nok')
  })
  const r = await exchange(url, { method: 'POST', headers: { 'Upload-Complete': '?0' }, body: 'hello' })
  assert.equal(r.error, undefined)
  assert.deepEqual(
    r.interim.map((i) => i.status),
    [104, 104],
  )
  assert.equal(header(r.interim[0]!, 'location'), '/files/1')
  assert.equal(r.final?.status, 201)
  assert.equal(Buffer.from(r.final!.body).toString(), 'ok')
  assert.ok(r.interim[0]!.at <= r.interim[1]!.at && r.interim[1]!.at <= r.final!.at)
  assert.ok(r.final!.at - r.interim[0]!.at >= 50)
  assert.match(seen[0]!.head, /^POST \/files\/ HTTP\/1\.1\r\n/)
  assert.match(seen[0]!.head, /Content-Length: 5/)
  assert.match(seen[0]!.head, /Host: 127\.0\.0\.1:\d+/)
})

test('chunked final content and HEAD responses without content', async () => {
  const { url } = await serve((sock, s) => {
    if (s.head.startsWith('HEAD')) sock.write('HTTP/1.1 200 OK\r\nContent-Length: 99\r\nUpload-Offset: 3\r\n\r\n')
    else sock.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n')
  })
  const head = await exchange(url, { method: 'HEAD' })
  assert.equal(head.final?.status, 200)
  assert.equal(header(head.final!, 'upload-offset'), '3')
  assert.equal(head.final!.body.length, 0)
  const get = await exchange(url, { method: 'GET' })
  assert.equal(Buffer.from(get.final!.body).toString(), 'ab')
})

test('a slow body arrives in parts spaced by the delay', async () => {
  const { url, seen } = await serve(async (sock, s) => {
    while (s.body() < 40) await sleep(5)
    sock.end('HTTP/1.1 204 No Content\r\n\r\n')
  })
  const r = await exchange(url, { method: 'PATCH', body: Buffer.alloc(40, 1) }, { chunkSize: 10, delayMs: 40 })
  assert.equal(r.final?.status, 204)
  const parts = seen[0]!.parts
  assert.ok(parts.length >= 3, `parts: ${JSON.stringify(parts)}`)
  assert.ok(parts[parts.length - 1]!.at - parts[0]!.at >= 100)
  assert.equal(r.request.bodyBytesSent, 40)
})

test('cutAfter sends K bytes of a larger declared body, then destroys the connection', async () => {
  const { url, seen } = await serve(() => {})
  const r = await exchange(
    url,
    { method: 'PATCH', body: Buffer.alloc(100, 2) },
    { cutAfter: 30, cutDelayMs: 20, timeoutMs: 2000 },
  )
  assert.equal(r.cutByClient, true)
  assert.equal(r.final, undefined)
  assert.equal(r.error, undefined)
  await seen[0]!.closed
  assert.equal(seen[0]!.body(), 30)
  assert.match(seen[0]!.head, /Content-Length: 100/)
})

test('holdMs sends the head, then the content after the pause', async () => {
  const { url, seen } = await serve(async (sock, s) => {
    while (s.body() < 4) await sleep(5)
    sock.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')
  })
  const r = await exchange(url, { method: 'POST', body: 'abcd' }, { holdMs: 120 })
  assert.equal(r.final?.status, 200)
  assert.ok(seen[0]!.parts[0]!.at >= 100, `first content at ${seen[0]!.parts[0]!.at}`)
})

test('expectContinueMs waits for 100 Continue before sending content', async () => {
  const { url, seen } = await serve(async (sock, s) => {
    await sleep(60)
    assert.equal(s.body(), 0)
    sock.write('HTTP/1.1 100 Continue\r\n\r\n')
    while (s.body() < 3) await sleep(5)
    sock.end('HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n')
  })
  const r = await exchange(url, { method: 'POST', body: 'abc' }, { expectContinueMs: 1000 })
  assert.equal(r.interim[0]?.status, 100)
  assert.equal(r.final?.status, 201)
  assert.match(seen[0]!.head, /Expect: 100-continue/)
})

test('no exchange hangs: a silent server yields a TIMEOUT error', async () => {
  const { url } = await serve(() => {})
  const t = Date.now()
  const r = await exchange(url, { method: 'GET' }, { timeoutMs: 200 })
  assert.equal(r.error?.code, 'TIMEOUT')
  assert.ok(Date.now() - t < 1000)
})

test('refused connections and peers that hang up are reported, not thrown', async () => {
  const probe = net.createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
  const { port } = probe.address() as net.AddressInfo
  await new Promise<void>((r) => probe.close(() => r()))
  const refused = await exchange(`http://127.0.0.1:${port}/`, { method: 'GET' })
  assert.equal(refused.error?.code, 'ECONNREFUSED')

  const { url } = await serve((sock) => {
    sock.destroy()
  })
  const r = await exchange(url, { method: 'POST', body: Buffer.alloc(10) }, { chunkSize: 2, delayMs: 20 })
  assert.equal(r.closedByPeer, true)
  assert.equal(r.final, undefined)
  assert.ok(r.error)
})

test('nonsense from the peer is a PARSE error', async () => {
  const { url } = await serve((sock) => {
    sock.end('SSH-2.0-OpenSSH_9.6\r\n\r\n')
  })
  const r = await exchange(url, { method: 'GET' })
  assert.equal(r.error?.code, 'PARSE')
})

test('two connections at once: a held request stays open while another completes', async () => {
  const { url, seen } = await serve((sock, s) => {
    if (s.head.startsWith('HEAD')) sock.end('HTTP/1.1 204 No Content\r\nUpload-Offset: 7\r\n\r\n')
    else sock.write('HTTP/1.1 104 Upload Resumption Supported\r\nUpload-Offset: 0\r\n\r\n')
  })
  const slow = await WireConnection.open(url, { timeoutMs: 3000 })
  slow.writeHead({ method: 'PATCH', body: '' }, { contentLength: 100 })
  await slow.write(Buffer.alloc(7))
  assert.equal((await slow.waitInterim(1, 1000))?.status, 104)
  const head = await exchange(url, { method: 'HEAD' })
  assert.equal(header(head.final!, 'upload-offset'), '7')
  assert.equal(slow.done, false)
  slow.cut()
  assert.equal(await slow.finished(), undefined)
  assert.equal(slow.cutByClient, true)
  assert.equal(seen.length, 2)
})
