/**
 * Graceful shutdown of `rufh serve`: SIGTERM while an upload body is in flight ends the process with code 0 within a
 * few seconds, the bytes received before the signal are kept (the next process on the same folder reports them) and
 * the upload resumes byte-exact. Idle connections (HTTP/1.1 keep-alive, an h2c session) do not hold the exit up.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { Agent, type IncomingMessage, request } from 'node:http'
import { connect } from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { appendHeaders, header, send } from './kit/index.js'
import { type ServeProcess, serveChildren, spawnServe } from './kit/serve.js'

/** Each test's limit: a server that never exits or answers fails the test instead of hanging the run. */
const LIMIT_MS = 30_000
const KiB = 1024
const MiB = 1024 * KiB
/** "Within a few seconds": well below the CLI's 5 s grace for busy connections. */
const EXIT_WITHIN_MS = 3_000

type Serve = ServeProcess
const serve = spawnServe

const dirs: string[] = []
after(async () => {
  for (const c of serveChildren) c.kill('SIGKILL')
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

/** SIGTERM; resolves with the exit code and how long the exit took. A process still there after 10 s is killed. */
async function term(s: Serve): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now()
  s.child.kill('SIGTERM')
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 10_000)
  const e = await s.exited
  clearTimeout(timer)
  return { code: e.code, ms: e.at - t0 }
}

async function freshDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rufh-shutdown-'))
  dirs.push(d)
  return d
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const relocate = (location: string, base: string) => new URL(new URL(location).pathname, base).href
const idOf = (url: string) => new URL(url).pathname.split('/').pop() ?? ''

interface InFlight {
  /** Bytes handed to the socket so far. */
  sent: () => number
  /** Stops writing (the request stays open). */
  stop: () => void
  /** The final response, or undefined if the connection failed first. */
  response: Promise<{ status: number; headers: IncomingMessage['headers'] } | undefined>
  /** The upload URL from the announcing 104 (creations). */
  location: () => string | undefined
  /** Resolves once every piece written so far was handed to the socket. */
  flushed: () => Promise<void>
}

/** Streams `body` (declared in full by Content-Length) in 32 KiB pieces every 5 ms until stopped. */
function streaming(url: string, method: string, headers: Record<string, string | number>, body: Buffer): InFlight {
  let sent = 0
  let stopped = false
  const req = request(url, { method, agent: false, headers: { ...headers, 'content-length': body.length } })
  const response = new Promise<{ status: number; headers: IncomingMessage['headers'] } | undefined>((resolve) => {
    req.on('response', (res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0, headers: res.headers })
    })
    req.on('error', () => resolve(undefined))
  })
  let location: string | undefined
  req.on('information', (i) => {
    location ??= i.headers['location'] as string | undefined
  })
  let writing: Promise<void> = Promise.resolve()
  const pump = (): void => {
    if (stopped || sent >= body.length || req.destroyed) return
    const piece = body.subarray(sent, sent + 32 * KiB)
    sent += piece.length
    writing = new Promise((r) =>
      req.write(piece, () => {
        r()
        setTimeout(pump, 5)
      }),
    )
  }
  req.flushHeaders()
  pump()
  return { sent: () => sent, stop: () => (stopped = true), response, location: () => location, flushed: () => writing }
}

/** Waits until the upload's data file holds `n` bytes: the server stored what was sent (the event, not a sleep). */
async function storedInFile(dir: string, url: string, n: number): Promise<void> {
  const file = join(dir, idOf(url))
  for (;;) {
    const size = await stat(file).then(
      (st) => st.size,
      () => -1,
    )
    if (size === n) return
    assert.ok(size <= n, `stored ${size} > ${n} bytes sent`)
    await sleep(5)
  }
}

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(5)
}

async function headOffset(url: string, v: number): Promise<number> {
  const r = await send(url, { method: 'HEAD', headers: { 'upload-draft-interop-version': String(v) } })
  assert.ok(r.status === 200 || r.status === 204, `HEAD answered ${r.status}`)
  return Number(header(r, 'upload-offset'))
}

async function resumeAndCheck(dir: string, url: string, v: number, file: Buffer, offset: number): Promise<void> {
  const r = await send(url, { method: 'PATCH', headers: appendHeaders(v, offset, true), body: file.subarray(offset) })
  assert.ok(r.status >= 200 && r.status < 300, `resuming PATCH answered ${r.status}: ${r.body}`)
  assert.equal(header(r, 'upload-complete'), '?1')
  assert.ok((await readFile(join(dir, idOf(url)))).equals(file), 'byte-exact after the restart')
}

async function createEmpty(base: string, v: number): Promise<string> {
  const r = await send(base, {
    method: 'POST',
    headers: { 'upload-draft-interop-version': String(v), 'upload-complete': '?0' },
  })
  assert.equal(r.status, 201)
  return header(r, 'location') ?? ''
}

test('SIGTERM during a paused append: exit 0, the client is answered 503, every received byte is kept', {
  timeout: LIMIT_MS,
}, async () => {
  const v = 9
  const dir = await freshDir()
  const file = randomBytes(3 * MiB)
  const srv = await serve(dir)
  const location = await createEmpty(srv.url, v)
  const flight = streaming(location, 'PATCH', appendHeaders(v, 0, true), file)
  await waitFor(() => flight.sent() >= MiB)
  flight.stop()
  await flight.flushed()
  const sent = flight.sent()
  await storedInFile(dir, location, sent)
  const exit = await term(srv)
  assert.equal(exit.code, 0)
  assert.ok(exit.ms < EXIT_WITHIN_MS, `exit took ${exit.ms} ms`)
  // The running transfer is stopped, persists what it got, and is answered (handler.close()).
  const res = await flight.response
  assert.equal(res?.status, 503)
  assert.equal(res?.headers['upload-offset'], String(sent))
  assert.equal(res?.headers['upload-complete'], '?0')

  const again = await serve(dir)
  const url = relocate(location, again.url)
  assert.equal(await headOffset(url, v), sent, 'HEAD after the restart reports the bytes received before SIGTERM')
  await resumeAndCheck(dir, url, v, file, sent)
  assert.equal((await term(again)).code, 0)
})

test('SIGTERM while the client keeps streaming: exit 0 within seconds, the kept prefix resumes byte-exact', {
  timeout: LIMIT_MS,
}, async () => {
  const v = 6
  const dir = await freshDir()
  const file = randomBytes(4 * MiB)
  const srv = await serve(dir)
  const location = await createEmpty(srv.url, v)
  const flight = streaming(location, 'PATCH', appendHeaders(v, 0, true), file)
  await waitFor(() => flight.sent() >= MiB)
  const exit = await term(srv)
  const sent = flight.sent()
  flight.stop()
  assert.equal(exit.code, 0)
  assert.ok(exit.ms < EXIT_WITHIN_MS, `exit took ${exit.ms} ms`)
  assert.ok(sent < file.length, 'the body was still in flight at the signal')

  const again = await serve(dir)
  const url = relocate(location, again.url)
  const kept = await headOffset(url, v)
  assert.ok(kept >= MiB / 2 && kept <= sent, `kept ${kept} of ${sent} sent`)
  assert.ok((await readFile(join(dir, idOf(url)))).equals(file.subarray(0, kept)))
  await resumeAndCheck(dir, url, v, file, kept)
  assert.equal((await term(again)).code, 0)
})

test('SIGTERM during a creation body: 503 carries Location, the upload resumes after the restart', {
  timeout: LIMIT_MS,
}, async () => {
  const v = 9
  const dir = await freshDir()
  const file = randomBytes(2 * MiB)
  const srv = await serve(dir)
  const flight = streaming(srv.url, 'POST', { 'upload-draft-interop-version': v, 'upload-complete': '?1' }, file)
  await waitFor(() => flight.sent() >= 512 * KiB)
  flight.stop()
  await flight.flushed()
  const sent = flight.sent()
  const announced = flight.location()
  assert.ok(announced, 'the announcing 104 arrived')
  await storedInFile(dir, announced, sent)
  const exit = await term(srv)
  assert.equal(exit.code, 0)
  assert.ok(exit.ms < EXIT_WITHIN_MS, `exit took ${exit.ms} ms`)
  const res = await flight.response
  assert.equal(res?.status, 503)
  const location = res?.headers['location']
  assert.ok(location, 'the failed creation names the upload')

  const again = await serve(dir)
  const url = relocate(location, again.url)
  assert.equal(await headOffset(url, v), sent)
  await resumeAndCheck(dir, url, v, file, sent)
  assert.equal((await term(again)).code, 0)
})

/** listen.ts close(): "Idle keep-alive connections and HTTP/2 sessions end now" — not after the 5 s grace. */
const IDLE_EXIT_MS = 2_000

test('an idle HTTP/1.1 keep-alive connection does not delay the exit', { timeout: LIMIT_MS }, async () => {
  const srv = await serve(await freshDir())
  const agent = new Agent({ keepAlive: true })
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(srv.url, { method: 'OPTIONS', agent }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
  assert.equal(status, 204)
  await sleep(50)
  const exit = await term(srv)
  agent.destroy()
  assert.equal(exit.code, 0)
  assert.ok(exit.ms < IDLE_EXIT_MS, `exit took ${exit.ms} ms with an idle keep-alive connection open`)
})

test('an idle h2c session does not delay the exit', { timeout: LIMIT_MS }, async () => {
  const srv = await serve(await freshDir())
  const session = connect(new URL(srv.url).origin)
  session.on('error', () => {})
  const status = await new Promise<number>((resolve, reject) => {
    const s = session.request({ ':method': 'OPTIONS', ':path': '/files/' })
    s.on('response', (h) => resolve(Number(h[':status'])))
    s.on('error', reject)
    s.resume()
    s.end()
  })
  assert.equal(status, 204)
  const exit = await term(srv)
  session.destroy()
  assert.equal(exit.code, 0)
  assert.ok(exit.ms < IDLE_EXIT_MS, `exit took ${exit.ms} ms with an idle h2c session open`)
})
