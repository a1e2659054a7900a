/**
 * @rufh/client (Node: optimistic creation, the URL comes from the 104) against `rufh serve` behind netsim, with every
 * 1xx stripped and creation bodies cut. Without a 104 a cut optimistic creation leaves the client with no upload URL;
 * the client must cope by careful creation (an empty creation request, then appends), and the bytes must arrive exact.
 * What reached the server is read off the wire by a small relay between netsim and the server.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { createUpload } from '@rufh/client'
import { startServer } from '@rufh/server'
import { Http1Tracker, headerValue } from './http1-parser.js'
import { pattern, withNetsim } from './test-helpers.js'

/** One request as the server received it. */
interface Seen {
  method: string
  target: string
  complete: string | undefined
  offset: string | undefined
  /** Body bytes that reached the server. */
  bytes: number
  /** The whole message (head and declared body) arrived. */
  ended: boolean
  /** Status codes the server answered with, 1xx included (in order). */
  statuses: number[]
}

/** A TCP relay to `port` that frames the HTTP/1.1 traffic in both directions and logs each request. */
async function sniffer(t: TestContext, port: number): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((down) => {
    const up = connect({ host: '127.0.0.1', port })
    sockets.add(down).add(up)
    const mine: Seen[] = []
    let answered = 0
    const reqs = new Http1Tracker('request')
    const res = new Http1Tracker('response', { nextRequestMethod: () => mine[answered]?.method })
    down.on('data', (d: Buffer) => {
      for (const p of reqs.feed(d)) {
        if (p.kind === 'head' && p.head.kind === 'request') {
          const h = p.head.headers
          const s: Seen = {
            method: p.head.method,
            target: p.head.target,
            complete: headerValue(h, 'upload-complete'),
            offset: headerValue(h, 'upload-offset'),
            bytes: 0,
            ended: false,
            statuses: [],
          }
          mine.push(s)
          seen.push(s)
        } else if (p.kind === 'body' && p.payload) mine.at(-1)!.bytes += p.bytes.length
        else if (p.kind === 'end') mine.at(-1)!.ended = true
      }
      if (up.writable) up.write(d)
    })
    up.on('data', (d: Buffer) => {
      for (const p of res.feed(d)) {
        if (p.kind === 'head' && p.head.kind === 'response') {
          mine[answered]?.statuses.push(p.head.status)
          if (!p.head.interim) answered++
        }
      }
      if (down.writable) down.write(d)
    })
    // Ends travel on (a cut creation is a FIN from netsim), and the server's answer to it is still read and logged.
    down.on('end', () => up.end())
    up.on('end', () => down.end())
    for (const [a, b] of [
      [down, up],
      [up, down],
    ] as const) {
      a.on('error', () => b.destroy())
      a.on('close', (hadError) => {
        sockets.delete(a)
        if (hadError) b.destroy()
      })
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.after(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((r) => server.close(r))
  })
  return { port: (server.address() as AddressInfo).port, seen }
}

const SIZE = 1_000_000
const K = 100_000

/** rufh serve ← sniffer ← netsim (1xx stripped, POST bodies cut after K bytes) ← @rufh/client. */
async function run(t: TestContext, request: number, seed: number) {
  const dir = await mkdtemp(join(tmpdir(), 'netsim-careful-'))
  const server = await startServer({ host: '127.0.0.1', port: 0, directory: dir, progressIntervalMs: 0 })
  t.after(async () => {
    await server.close(500)
    await rm(dir, { recursive: true, force: true })
  })
  const s = { ...server, dir }
  const sn = await sniffer(t, s.port)
  return withNetsim({ seed }, async (ns) => {
    const p = await ns.createProxy({ name: 'careful', upstream: `127.0.0.1:${sn.port}` })
    p.addToxic({ type: 'http_strip_1xx', attributes: { status: 0 } })
    p.addToxic({ type: 'http_cut_body', attributes: { method: 'POST', request, after_bytes: K } })
    const faults: string[] = []
    ns.on('fault', (f) => faults.push(f.fault))
    const endpoint = new URL(s.url)
    endpoint.port = String(p.port)
    const data = pattern(SIZE)
    const up = await createUpload(data, {
      endpoint: endpoint.toString(),
      // A chosen version: creation is optimistic (with `auto` and nothing remembered the first creation is empty).
      interop: 10,
      retry: { retries: 4, baseDelay: 20, maxDelay: 100 },
    })
    const urls: string[] = []
    up.on('url', (e) => urls.push(e.url))
    const outcome = await up.start().then(
      (r) => ({ ok: true as const, r }),
      (e: Error & { code?: string }) => ({ ok: false as const, error: `${e.code}: ${e.message}` }),
    )
    const log = sn.seen.map(
      (q) =>
        `${q.method} ${q.target} complete=${q.complete ?? '-'} offset=${q.offset ?? '-'} body=${q.bytes}${q.ended ? '' : ' (cut)'} -> ${q.statuses.join(',') || 'none'}`,
    )
    return { s, data, outcome, log, seen: sn.seen, faults, urls }
  })
}

const posts = (seen: Seen[]) => seen.filter((q) => q.method === 'POST')

test('the first creation is cut with its 104 stripped: the client creates carefully and completes byte-exact', async (t) => {
  const { s, data, outcome, log, seen, faults } = await run(t, 1, 5)
  const why = `\nrequests that reached the server:\n${log.join('\n')}`
  assert.ok(faults.includes('cut'), `netsim cut the first creation${why}`)
  assert.ok(faults.includes('strip-1xx'), `netsim stripped 1xx responses${why}`)
  const [first, ...rest] = posts(seen)
  assert.ok(first, why)
  assert.equal(first.complete, '?1', `the first creation was optimistic${why}`)
  assert.equal(first.bytes, K, `the server got exactly the K bytes before the cut${why}`)
  assert.equal(first.ended, false, why)
  assert.ok(outcome.ok, `the upload completed (${outcome.ok ? '' : outcome.error})${why}`)
  // Careful creation: the next creation carries no content and is not complete; appends carry the bytes.
  assert.equal(rest.length, 1, `exactly one more creation${why}`)
  assert.equal(rest[0]!.complete, '?0', `the second creation is careful (Upload-Complete: ?0)${why}`)
  assert.equal(rest[0]!.bytes, 0, `the careful creation carries no content${why}`)
  assert.equal(rest[0]!.statuses.at(-1), 201, why)
  const after = seen.slice(seen.indexOf(rest[0]!) + 1)
  const patches = after.filter((q) => q.method === 'PATCH')
  assert.ok(patches.length >= 1, `appends follow${why}`)
  assert.equal(
    patches.reduce((n, q) => n + q.bytes, 0),
    SIZE,
    `the appends carried the content once${why}`,
  )
  const url = outcome.r.url!
  assert.deepEqual(await readFile(join(s.dir, url.split('/').pop()!)), data)
})

test('every creation body is cut and no 104 arrives: only careful creation can finish', async (t) => {
  const { s, data, outcome, log, seen } = await run(t, 0, 6)
  const why = `\nrequests that reached the server:\n${log.join('\n')}`
  assert.ok(outcome.ok, `the upload completed (${outcome.ok ? '' : outcome.error})${why}`)
  const cut = posts(seen).filter((q) => !q.ended)
  assert.equal(cut.length, 1, `one optimistic creation was cut, then the client stopped sending content on POST${why}`)
  const careful = posts(seen).filter((q) => q.ended)
  assert.equal(careful.length, 1, why)
  assert.deepEqual([careful[0]!.complete, careful[0]!.bytes], ['?0', 0], why)
  assert.deepEqual(await readFile(join(s.dir, outcome.r.url!.split('/').pop()!)), data)
})
