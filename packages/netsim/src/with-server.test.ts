/**
 * netsim in front of `rufh serve` (@rufh/server), speaking interop version 6 with plain node:http requests: the
 * faults resumable uploads exist for, and what the server and the client are left with after each.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { startServer } from '@rufh/server'
import type { NetsimProxy } from './proxy.js'
import { pattern, sleep, withNetsim } from './test-helpers.js'

const V = '6'

interface Result {
  status?: number
  headers: Record<string, string | string[] | undefined>
  /** Every 1xx the client saw, with its Location if any. */
  interim: { status: number; location?: string }[]
  error?: string
}

interface Req {
  method: string
  url: string
  headers?: Record<string, string | number>
  body?: Buffer
  /** The body goes out in this many pieces, 40 ms apart. */
  pieces?: number
  /** After the first piece, wait for a 104 before sending the rest (so it surely arrives before a cut). */
  after104?: boolean
}

function send(o: Req): Promise<Result> {
  const out: Result = { headers: {}, interim: [] }
  return new Promise((resolve) => {
    const req = request(o.url, {
      method: o.method,
      headers: { 'upload-draft-interop-version': V, ...o.headers },
      agent: false,
    })
    let got104: () => void = () => {}
    const seen104 = new Promise<void>((r) => {
      got104 = r
    })
    req.on('information', (i) => {
      const location = i.headers['location']
      out.interim.push({ status: i.statusCode, ...(typeof location === 'string' ? { location } : {}) })
      if (i.statusCode === 104) got104()
    })
    req.on('response', (res) => {
      out.status = res.statusCode
      out.headers = res.headers
      res.resume()
      res.on('end', () => resolve(out))
      res.on('error', () => resolve(out))
    })
    req.on('error', (e: NodeJS.ErrnoException) => {
      out.error ??= e.code ?? e.message
      resolve(out)
    })
    const body = o.body ?? Buffer.alloc(0)
    const pieces = o.pieces ?? 1
    const size = Math.ceil(body.length / pieces) || 1
    let k = 0
    const next = (): void => {
      if (req.destroyed) return
      if (k * size >= body.length) return void req.end()
      req.write(body.subarray(k * size, (k + 1) * size))
      k++
      if (k === 1 && o.after104) void seen104.then(next)
      else setTimeout(next, 40)
    }
    next()
  })
}

async function server(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'netsim-server-'))
  const s = await startServer({ host: '127.0.0.1', port: 0, directory: dir, progressIntervalMs: 0 })
  t.after(async () => {
    await s.close(500)
    await rm(dir, { recursive: true, force: true })
  })
  return s
}

/** The upload-creation URL, reached through the proxy. */
function viaProxy(url: string, p: NetsimProxy): string {
  const u = new URL(url)
  u.port = String(p.port)
  return u.toString()
}

/** Offset retrieval; an interrupted request may still hold the upload for a moment, so ask until it answers. */
async function offsetOf(location: string): Promise<{ offset: number; complete: string | undefined }> {
  for (let i = 0; i < 100; i++) {
    const r = await send({ method: 'HEAD', url: location })
    if (r.status !== undefined && r.status < 300 && r.headers['upload-offset'] !== undefined) {
      return {
        offset: Number(r.headers['upload-offset']),
        complete: r.headers['upload-complete'] as string | undefined,
      }
    }
    await sleep(30)
  }
  throw new Error(`no offset for ${location}`)
}

const optimistic = { 'upload-complete': '?1' }

test('with rufh serve: a cut body leaves the server with the prefix, and the upload resumes from there', async (t) => {
  const s = await server(t)
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await ns.createProxy({ name: 'serve-cut', upstream: `127.0.0.1:${s.port}` })
    p.addToxic({ type: 'http_cut_body', attributes: { method: 'POST', after_bytes: 4000 } })
    const data = pattern(10_000)
    const created = await send({
      method: 'POST',
      url: viaProxy(s.url, p),
      headers: optimistic,
      body: data,
      pieces: 5,
      after104: true,
    })
    assert.equal(created.status, undefined, 'the creation request never got its final response')
    assert.ok(created.error)
    const location = created.interim.find((i) => i.status === 104 && i.location)?.location
    assert.ok(location, 'the 104 arrived before the cut and named the upload')
    const after = await offsetOf(location)
    assert.deepEqual(after, { offset: 4000, complete: '?0' }, 'the server kept exactly the bytes that got through')

    const appended = await send({
      method: 'PATCH',
      url: location,
      headers: { 'upload-offset': 4000, 'content-type': 'application/partial-upload', ...optimistic },
      body: data.subarray(4000),
    })
    assert.ok(appended.status! >= 200 && appended.status! < 300, `append answered ${appended.status}`)
    assert.deepEqual(await offsetOf(location), { offset: 10_000, complete: '?1' })
  })
})

test('with rufh serve: a lost final response is recovered by offset retrieval', async (t) => {
  const s = await server(t)
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await ns.createProxy({ name: 'serve-lost', upstream: `127.0.0.1:${s.port}` })
    p.addToxic({ type: 'http_drop_response', attributes: { request: 1 } })
    const created = await send({ method: 'POST', url: viaProxy(s.url, p), headers: optimistic, body: pattern(8000) })
    assert.equal(created.status, undefined, 'the final response was lost')
    const location = created.interim.find((i) => i.status === 104 && i.location)?.location
    assert.ok(location)
    // The client cannot tell whether the upload went through; asking for the offset (here, through the same proxy,
    // whose toxic only took request 1) tells it that it did.
    const through = new URL(location)
    through.port = String(p.port)
    assert.deepEqual(await offsetOf(through.toString()), { offset: 8000, complete: '?1' })
  })
})

test('with rufh serve: a stripped 104 leaves an optimistic client cut off mid-body without an upload URL', async (t) => {
  const s = await server(t)
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await ns.createProxy({ name: 'serve-strip', upstream: `127.0.0.1:${s.port}` })
    const url = viaProxy(s.url, p)
    const plain = await send({ method: 'POST', url, headers: optimistic, body: pattern(100) })
    assert.equal(plain.status, 201)
    assert.ok(
      plain.interim.some((i) => i.status === 104),
      'without the toxic, the server sends a 104',
    )

    p.addToxic({ type: 'http_strip_1xx', attributes: { status: 104 } })
    const stripped = await send({ method: 'POST', url, headers: optimistic, body: pattern(100) })
    assert.equal(stripped.status, 201)
    assert.deepEqual(stripped.interim, [], 'no 104 reached the client')

    p.addToxic({ type: 'http_cut_body', attributes: { method: 'POST', after_bytes: 4000 } })
    const cut = await send({ method: 'POST', url, headers: optimistic, body: pattern(10_000), pieces: 5 })
    assert.equal(cut.status, undefined)
    assert.deepEqual(cut.interim, [], 'cut off with no Location: nothing to resume, the upload must start over')
  })
})
