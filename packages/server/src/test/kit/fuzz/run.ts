/**
 * The fuzz driver and its oracles: seeded requests over raw HTTP/1.1 sockets and h2c sessions against a running
 * server, then checks that nothing crashed, nothing answered 5xx, every error had a problem body, nothing was written
 * outside the store, completed uploads are unchanged and memory stayed bounded. Each request draws from its own
 * generator (`seed`, index), so a violation names the one request that reproduces it.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { connect as h2connect, type IncomingHttpHeaders } from 'node:http2'
import { join } from 'node:path'
import { rawRequest } from '../raw.js'
import { type FuzzRequest, fuzzRequest, http1Bytes, type Pool } from './requests.js'
import { Rng } from './rng.js'

export interface FuzzTarget {
  port: number
  /** The server's base path, e.g. `/files/`. */
  base: string
  /** The store's folder, and the folder it lives in (which must hold nothing else). */
  store: string
  root: string
  /** Still running and answering. */
  alive(): Promise<boolean>
  /** Resident memory of the server process, bytes. */
  rss(): number
}

export type Oracle = 'crash' | '5xx' | 'problem' | 'outside-store' | 'completed-changed' | 'memory'

export interface Violation {
  oracle: Oracle
  /** Which request (by seed and index) — the regression test to write. */
  seed: number
  index: number
  protocol: 'http1' | 'h2c' | '-'
  detail: string
}

export interface FuzzOptions {
  seed: number
  http1: number
  h2c: number
  concurrency?: number
  /** Allowed growth of the server's resident memory. Default 96 MiB. */
  memoryGrowth?: number
}

export interface FuzzReport {
  violations: Violation[]
  statuses: Record<string, number>
  rssGrowth: number
}

interface Completed {
  path: string
  sha: string
}

const ID_FILE = /^[A-Za-z0-9_-]{24}(\.json)?$/
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

export async function fuzz(t: FuzzTarget, o: FuzzOptions): Promise<FuzzReport> {
  const violations: Violation[] = []
  const statuses: Record<string, number> = {}
  const { pool, completed } = await seedUploads(t, o.seed)
  const rss0 = t.rss()
  const jobs: { index: number; protocol: 'http1' | 'h2c' }[] = [
    ...Array.from({ length: o.http1 }, (_, index) => ({ index, protocol: 'http1' as const })),
    ...Array.from({ length: o.h2c }, (_, i) => ({ index: o.http1 + i, protocol: 'h2c' as const })),
  ]
  const check = (index: number, protocol: 'http1' | 'h2c', q: FuzzRequest, r: Answer | undefined) => {
    const key = r ? String(r.status) : 'none'
    statuses[key] = (statuses[key] ?? 0) + 1
    if (!r) return
    const what = `${q.method} ${q.target.slice(0, 80)} [${q.headers.map(([k, v]) => `${k}: ${v.slice(0, 40)}`).join('; ')}]`
    if (r.status >= 500)
      violations.push({
        oracle: '5xx',
        seed: o.seed,
        index,
        protocol,
        detail: `${r.status} for ${what}: ${r.body.slice(0, 200)}`,
      })
    if (r.status >= 400) {
      const type = r.contentType ?? ''
      let ok = type === 'application/problem+json'
      if (ok && q.method !== 'HEAD' && r.body.length > 0) {
        try {
          const p = JSON.parse(r.body) as { status?: number; code?: string }
          ok = p.status === r.status && typeof p.code === 'string'
        } catch {
          ok = false
        }
      } else if (ok && q.method !== 'HEAD' && r.complete) ok = false
      if (!ok)
        violations.push({
          oracle: 'problem',
          seed: o.seed,
          index,
          protocol,
          detail: `${r.status} ${type} for ${what}: ${r.body.slice(0, 120)}`,
        })
    }
  }
  let next = 0
  const worker = async () => {
    for (;;) {
      const job = jobs[next++]
      if (!job) return
      const q = fuzzRequest(new Rng(o.seed * 100_003 + job.index), pool)
      const r = job.protocol === 'http1' ? await sendHttp1(t.port, q) : await sendH2c(t.port, q)
      check(job.index, job.protocol, q, r)
    }
  }
  await Promise.all(Array.from({ length: o.concurrency ?? 8 }, worker))

  const v = (oracle: Oracle, detail: string) =>
    violations.push({ oracle, seed: o.seed, index: -1, protocol: '-', detail })
  if (!(await t.alive())) v('crash', 'the server no longer answers')
  const outside = (await readdir(t.root)).filter((n) => join(t.root, n) !== t.store)
  if (outside.length) v('outside-store', `written next to the store: ${outside.join(', ')}`)
  const strange = (await readdir(t.store)).filter((n) => !ID_FILE.test(n))
  if (strange.length) v('outside-store', `files in the store that are no upload: ${strange.slice(0, 5).join(', ')}`)
  for (const c of completed) {
    const id = c.path.slice(t.base.length)
    const stored = await readFile(join(t.store, id)).catch(() => Buffer.alloc(0))
    const served = await download(t.port, c.path)
    if (sha(stored) !== c.sha || served.status !== 200 || sha(served.body) !== c.sha)
      v('completed-changed', `${c.path}: stored ${stored.length} B, served ${served.status} ${served.body.length} B`)
  }
  const growth = t.rss() - rss0
  if (growth > (o.memoryGrowth ?? 96 * 2 ** 20))
    v('memory', `resident memory grew by ${(growth / 2 ** 20).toFixed(0)} MiB`)
  return { violations, statuses, rssGrowth: growth }
}

interface Answer {
  status: number
  contentType: string | undefined
  body: string
  /** The whole body arrived (Content-Length honoured). */
  complete: boolean
}

async function sendHttp1(port: number, q: FuzzRequest): Promise<Answer | undefined> {
  const r = await rawRequest(port, http1Bytes(q), { waitMs: 2500 })
  const f = r.final
  if (!f) return undefined
  const length = Number(f.headers['content-length'] ?? 0)
  return {
    status: f.status,
    contentType: f.headers['content-type'],
    body: f.body,
    complete: Buffer.byteLength(f.body) >= length,
  }
}

function sendH2c(port: number, q: FuzzRequest): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const session = h2connect(`http://127.0.0.1:${port}`)
    session.on('error', () => {})
    const done = (a: Answer | undefined) => {
      clearTimeout(timer)
      session.destroy()
      resolve(a)
    }
    const timer = setTimeout(() => done(undefined), 3000)
    const headers: Record<string, string | string[]> = { ':method': q.method, ':path': q.target }
    for (const [k, v] of q.headers) {
      const name = k.toLowerCase()
      if (name === 'host') headers[':authority'] = v
      else if (name === 'connection' || name === 'transfer-encoding') continue
      else headers[name] = headers[name] === undefined ? v : [...[headers[name]].flat(), v]
    }
    if (q.framing === 'length') headers['content-length'] = String(q.body.length)
    try {
      const stream = session.request(headers, { endStream: false })
      const chunks: Buffer[] = []
      let head: IncomingHttpHeaders | undefined
      stream.on('response', (h) => {
        head = h
      })
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        if (!head) return done(undefined)
        const body = Buffer.concat(chunks).toString()
        const type = head['content-type']
        const length = Number(head['content-length'] ?? 0)
        done({
          status: Number(head[':status']),
          contentType: typeof type === 'string' ? type : undefined,
          body,
          complete: Buffer.byteLength(body) >= length,
        })
      })
      stream.on('error', () => done(undefined))
      stream.end(q.body)
    } catch {
      // The client refused to send it (a header HTTP/2 cannot carry): nothing reached the server.
      done(undefined)
    }
  })
}

/** GET the bytes; a failed connection is status 0 (the crash oracle says why). */
function download(port: number, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve) => {
    const reject = () => resolve({ status: 0, body: Buffer.alloc(0) })
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

function plain(port: number, method: string, path: string, headers: Record<string, string>, body?: Buffer) {
  return new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Uploads the fuzzer aims at: complete ones (draft, tus, a concatenation) that must not change, and open ones. */
async function seedUploads(t: FuzzTarget, seed: number): Promise<{ pool: Pool; completed: Completed[] }> {
  const r = new Rng(seed)
  const pool: Pool = { base: t.base, port: t.port, uploads: [], kept: [] }
  const completed: Completed[] = []
  const path = (l: string | undefined) => new URL(l ?? '', `http://127.0.0.1:${t.port}`).pathname
  const draft = r.bytes(10_000)
  const d = await plain(t.port, 'POST', t.base, { 'upload-draft-interop-version': '9', 'upload-complete': '?1' }, draft)
  completed.push({ path: path(d.location), sha: sha(draft) })
  const T = { 'tus-resumable': '1.0.0', 'content-type': 'application/offset+octet-stream' }
  const tusBytes = r.bytes(5)
  const tc = await plain(t.port, 'POST', t.base, { ...T, 'upload-length': '5' }, tusBytes)
  completed.push({ path: path(tc.location), sha: sha(tusBytes) })
  const a = await plain(
    t.port,
    'POST',
    t.base,
    { ...T, 'upload-length': '3', 'upload-concat': 'partial' },
    Buffer.from('abc'),
  )
  const b = await plain(
    t.port,
    'POST',
    t.base,
    { ...T, 'upload-length': '2', 'upload-concat': 'partial' },
    Buffer.from('de'),
  )
  const f = await plain(t.port, 'POST', t.base, {
    'tus-resumable': '1.0.0',
    'upload-concat': `final;${path(a.location)} ${path(b.location)}`,
  })
  completed.push({ path: path(f.location), sha: sha(Buffer.from('abcde')) })
  const open = await plain(
    t.port,
    'POST',
    t.base,
    { 'upload-draft-interop-version': '6', 'upload-complete': '?0' },
    Buffer.from('xyz'),
  )
  const tusOpen = await plain(t.port, 'POST', t.base, { 'tus-resumable': '1.0.0', 'upload-length': '100' })
  const tusDefer = await plain(t.port, 'POST', t.base, { 'tus-resumable': '1.0.0', 'upload-defer-length': '1' })
  pool.kept.push(...completed.map((c) => c.path))
  for (const c of completed) pool.uploads.push({ path: c.path, offset: c.path === completed[0]?.path ? 10_000 : 5 })
  pool.uploads.push({ path: path(a.location), offset: 3 }, { path: path(open.location), offset: 3 })
  pool.uploads.push({ path: path(tusOpen.location), offset: 0 }, { path: path(tusDefer.location), offset: 0 })
  return { pool, completed }
}
