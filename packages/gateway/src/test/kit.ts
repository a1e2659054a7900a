/**
 * Test helpers: a plain backend that records what it receives, a gateway on a temporary folder, raw requests, and a
 * python3-tuspy upload.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type GatewayListenOptions, type RunningGateway, startGateway } from '../listen.js'

export interface Received {
  method: string
  path: string
  headers: IncomingHttpHeaders
  size: number
  sha256: string
  /** The body arrived to its end (not an aborted request). */
  complete: boolean
  /** Bytes that had arrived when the body was first seen (stream mode: before the upload completed). */
  firstChunkAt: number
}

export interface Backend {
  url: string
  port: number
  received: Received[]
  /** Completed requests only. */
  complete(): Received[]
  /** The next answers' status (default 201). */
  status: number
  /** Delay before answering, ms. */
  delayMs: number
  /** When set, OPTIONS is answered with this status and `Allow` (a plain app without OPTIONS: 404, 405, 501). */
  optionsStatus?: number
  /** Called with each chunk (e.g. to slow reading). */
  onChunk?: (chunk: Buffer, r: Received) => Promise<void> | void
  /** Resolves when a request has arrived (its head). */
  arrived(n: number): Promise<void>
  close(): Promise<void>
}

/** A plain node:http backend: stores nothing but the digest, answers with its sha256 and the headers it saw. */
export async function startBackend(port = 0): Promise<Backend> {
  const received: Received[] = []
  const waiters: { n: number; resolve: () => void }[] = []
  const backend: Backend = {
    url: '',
    port: 0,
    received,
    complete: () => received.filter((r) => r.complete),
    status: 201,
    delayMs: 0,
    arrived: (n) =>
      new Promise<void>((resolve) => {
        if (received.length >= n) resolve()
        else waiters.push({ n, resolve })
      }),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
  const server: Server = createServer(async (req, res) => {
    const hash = createHash('sha256')
    const r: Received = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      size: 0,
      sha256: '',
      complete: false,
      firstChunkAt: -1,
    }
    if (req.method === 'OPTIONS' && backend.optionsStatus !== undefined) {
      res.writeHead(backend.optionsStatus, { allow: 'GET, POST, PUT', 'content-type': 'text/plain' })
      res.end('no OPTIONS here')
      return
    }
    received.push(r)
    for (const w of waiters.filter((w) => received.length >= w.n)) w.resolve()
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        if (r.firstChunkAt < 0) r.firstChunkAt = Date.now()
        hash.update(chunk)
        r.size += chunk.length
        await backend.onChunk?.(chunk, r)
      }
    } catch {
      return
    }
    if (!req.complete) return
    r.complete = true
    r.sha256 = hash.digest('hex')
    if (backend.delayMs) await new Promise((res) => setTimeout(res, backend.delayMs))
    const body = JSON.stringify({
      sha256: r.sha256,
      size: r.size,
      method: r.method,
      path: r.path,
      headers: req.headers,
    })
    res.writeHead(backend.status, { 'content-type': 'application/json', 'x-backend': 'plain' })
    res.end(body)
  })
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r))
  backend.port = (server.address() as AddressInfo).port
  backend.url = `http://127.0.0.1:${backend.port}`
  return backend
}

/** A port nothing listens on (for a backend that is down). */
export async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

export interface TestGateway extends RunningGateway {
  dir: string
}

export async function startTestGateway(o: GatewayListenOptions & { dir?: string }): Promise<TestGateway> {
  const dir = o.dir ?? (await mkdtemp(join(tmpdir(), 'rufh-gw-')))
  const g = await startGateway({ port: 0, directory: dir, progressIntervalMs: 0, retryDelayMs: 50, ...o })
  return {
    ...g,
    dir,
    close: async () => {
      await g.close(500)
      if (!o.dir) await rm(dir, { recursive: true, force: true })
    },
  }
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex')
}

export interface Result {
  status: number
  headers: IncomingHttpHeaders
  body: string
  interim: { status: number; headers: Record<string, unknown> }[]
}

/** One request on a fresh connection; `cutAfter`: send that many body bytes, then destroy it (status 0). */
export function send(
  url: string,
  o: { method?: string; headers?: Record<string, string | number>; body?: Buffer | string; cutAfter?: number } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const interim: Result['interim'] = []
    const req = httpRequest(url, { method: o.method ?? 'GET', headers: o.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), interim }),
      )
      res.on('error', reject)
    })
    req.on('information', (i) => interim.push({ status: i.statusCode, headers: i.headers }))
    if (o.cutAfter !== undefined) {
      req.on('error', () => resolve({ status: 0, headers: {}, body: '', interim }))
      req.flushHeaders()
      req.write(Buffer.from(o.body ?? '').subarray(0, o.cutAfter), () => {
        setTimeout(() => {
          req.destroy()
          resolve({ status: 0, headers: {}, body: '', interim })
        }, 100)
      })
      return
    }
    req.on('error', reject)
    req.end(o.body)
  })
}

export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** The server package's apt fixture (compiled), shared rather than copied. */
const apt = (await import(new URL('../../../server/dist/test/kit/apt.js', import.meta.url).href)) as {
  ensureDebianPackage(pkg: string, probe: () => boolean): void
  pythonHasModule(mod: string): boolean
}

/** Uploads `file` with python3-tuspy 1.0.0 (Debian, installed by the fixture) in chunks; resolves with the upload URL. */
export async function tuspyUpload(file: string, endpoint: string, chunkSize: number): Promise<string> {
  apt.ensureDebianPackage('python3-tuspy', () => apt.pythonHasModule('tusclient'))
  const script = [
    'import sys',
    'from tusclient import client',
    `u = client.TusClient(sys.argv[2]).uploader(sys.argv[1], chunk_size=${chunkSize}, metadata={'filename': 'py.bin'})`,
    'u.upload()',
    'print(u.url)',
  ].join('\n')
  const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script, file, endpoint], { timeout: 60_000 })
  return stdout.trim()
}
