/**
 * Crash safety of `rufh serve` on the disk store: the server is killed with SIGKILL in the middle of uploads (mid
 * stream, right after the PATCH head, during a pause, inside a creation body), restarted on the same folder, and the
 * upload must resume: the offset never exceeds what the client sent, never goes down, equals the data file's size,
 * the stored prefix is the file's prefix, and the finished file is byte-exact.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { appendHeaders, header, send } from './kit/index.js'
import { type ServeProcess, serveChildren, spawnServe } from './kit/serve.js'

/** Each test's limit: a server that never exits or answers fails the test instead of hanging the run. */
const LIMIT_MS = 30_000
const KiB = 1024
const MiB = 1024 * KiB
const SIZE = 4 * MiB

type Serve = ServeProcess
const serve = spawnServe

const dirs: string[] = []
after(async () => {
  for (const c of serveChildren) c.kill('SIGKILL')
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

function kill9(s: Serve): Promise<void> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve()
    s.child.once('exit', () => resolve())
    s.child.kill('SIGKILL')
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * How a request is cut: after `at` body bytes, the server gets `pause` ms to store them; with `burst`, that many more
 * bytes are written in one go and the server is killed in the same tick, while they are still on their way.
 */
interface Cut {
  at: number
  pause: number
  burst?: number
}

/**
 * Streams `body` in 64 KiB pieces (a few ms apart) on `req`; once `cut.at` bytes were handed to the socket, waits
 * `cut.pause` ms and kills the server. Resolves with the number of bytes handed to the socket (an upper bound on what
 * the server can have received).
 */
function streamUntilKilled(
  req: ReturnType<typeof request>,
  body: Buffer,
  cut: Cut,
  server: Serve,
  /** With a pause: resolves once the server stored `n` bytes of this request (so the kill cannot come too early). */
  stored?: (n: number) => Promise<void>,
): Promise<number> {
  return new Promise((resolve) => {
    let sent = 0
    req.on('error', () => {})
    req.on('response', (res) => res.resume())
    const pump = (): void => {
      if (sent >= cut.at) {
        if (cut.burst) {
          req.write(body.subarray(sent, sent + cut.burst))
          sent += cut.burst
        }
        const ready = cut.pause > 0 && stored ? stored(sent).then(() => sleep(cut.pause)) : sleep(cut.pause)
        void ready.then(() => kill9(server)).then(() => resolve(sent))
        return
      }
      const piece = body.subarray(sent, Math.min(sent + 64 * KiB, cut.at))
      sent += piece.length
      req.write(piece, () => setTimeout(pump, 2))
    }
    req.flushHeaders()
    setTimeout(pump, 20)
  })
}

const idOf = (url: string) => new URL(url).pathname.split('/').pop() ?? ''

/** Polls the store's data file until it holds `n` bytes (the server stored what it was sent). */
async function sizeReaches(dir: string, id: () => string | undefined, n: number): Promise<void> {
  for (;;) {
    const name = id()
    const size = name
      ? await stat(join(dir, name)).then(
          (st) => st.size,
          () => -1,
        )
      : -1
    if (size >= n) return
    await sleep(5)
  }
}

function relocate(location: string, base: string): string {
  return new URL(new URL(location).pathname, base).href
}

interface State {
  offset: number
  complete: string | undefined
  length: string | undefined
}

async function head(url: string, v: number): Promise<State> {
  const r = await send(url, { method: 'HEAD', headers: { 'upload-draft-interop-version': String(v) } })
  assert.ok(r.status === 200 || r.status === 204, `HEAD answered ${r.status}`)
  return {
    offset: Number(header(r, 'upload-offset')),
    complete: header(r, 'upload-complete'),
    length: header(r, 'upload-length'),
  }
}

/** After a restart: the offset is within what was sent, equals the data file's size, and the prefix is right. */
async function checkAfterCrash(dir: string, url: string, v: number, file: Buffer, before: number, sent: number) {
  const id = new URL(url).pathname.split('/').pop() ?? ''
  const s = await head(url, v)
  assert.ok(s.offset >= before, `offset went down: ${s.offset} < ${before}`)
  assert.ok(s.offset <= before + sent, `offset ${s.offset} exceeds the ${before + sent} bytes the client sent`)
  assert.equal(s.offset, (await stat(join(dir, id))).size, 'offset = data file size')
  assert.equal(s.complete, '?0')
  assert.ok((await readFile(join(dir, id))).equals(file.subarray(0, s.offset)), 'stored prefix = file prefix')
  return s
}

async function finish(dir: string, url: string, v: number, file: Buffer, offset: number): Promise<void> {
  const r = await send(url, { method: 'PATCH', headers: appendHeaders(v, offset, true), body: file.subarray(offset) })
  assert.ok(r.status >= 200 && r.status < 300, `final PATCH answered ${r.status}: ${r.body}`)
  assert.equal(header(r, 'upload-complete'), '?1')
  assert.equal(header(r, 'upload-offset'), String(file.length))
  const id = new URL(url).pathname.split('/').pop() ?? ''
  assert.ok((await readFile(join(dir, id))).equals(file), 'finished file is byte-exact')
  assert.equal((await head(url, v)).complete, '?1')
}

async function freshDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rufh-crash-'))
  dirs.push(d)
  return d
}

for (const v of [6, 9]) {
  describe(`kill -9 during uploads, interop ${v}`, () => {
    test('three crashes in successive PATCHes (mid-stream, after the head, in a pause), then completion', {
      timeout: LIMIT_MS,
    }, async () => {
      const dir = await freshDir()
      const file = randomBytes(SIZE)
      let srv = await serve(dir)
      const created = await send(srv.url, {
        method: 'POST',
        headers: { 'upload-draft-interop-version': String(v), 'upload-complete': '?0' },
      })
      assert.equal(created.status, 201)
      const location = header(created, 'location') ?? ''
      let offset = 0
      const cuts: Cut[] = [
        { at: MiB + 5 * KiB, pause: 0, burst: 768 * KiB },
        { at: 0, pause: 100 },
        { at: 2 * MiB, pause: 300 },
      ]
      for (const cut of cuts) {
        const url = relocate(location, srv.url)
        const body = file.subarray(offset)
        const req = request(url, {
          method: 'PATCH',
          agent: false,
          headers: { ...appendHeaders(v, offset, true), 'content-length': body.length },
        })
        const id = idOf(location)
        const sent = await streamUntilKilled(req, body, cut, srv, (n) => sizeReaches(dir, () => id, offset + n))
        srv = await serve(dir)
        const s = await checkAfterCrash(dir, relocate(location, srv.url), v, file, offset, sent)
        // With a pause before the kill, every byte sent had reached the disk (the page cache outlives the process).
        if (cut.pause >= 100) assert.equal(s.offset, offset + sent, 'all bytes received before the kill are kept')
        offset = s.offset
      }
      assert.ok(offset > 0 && offset < SIZE)
      await finish(dir, relocate(location, srv.url), v, file, offset)
      await kill9(srv)
    })

    test('crash inside a creation body: the 104 Location survives the restart and the upload resumes', {
      timeout: LIMIT_MS,
    }, async () => {
      const dir = await freshDir()
      const file = randomBytes(2 * MiB)
      const srv = await serve(dir)
      let location: string | undefined
      const req = request(srv.url, {
        method: 'POST',
        agent: false,
        headers: { 'upload-draft-interop-version': String(v), 'upload-complete': '?1', 'content-length': file.length },
      })
      req.on('information', (i) => {
        location ??= i.headers['location'] as string | undefined
      })
      const sent = await streamUntilKilled(req, file, { at: MiB, pause: 300 }, srv, (n) =>
        sizeReaches(dir, () => (location ? idOf(location) : undefined), n),
      )
      assert.ok(location, 'the announcing 104 arrived before the crash')
      const again = await serve(dir)
      const url = relocate(location, again.url)
      const s = await checkAfterCrash(dir, url, v, file, 0, sent)
      assert.equal(s.offset, sent)
      // The complete creation declared its length (Content-Length with ?1): it is remembered across the crash.
      assert.equal(s.length, String(file.length))
      await finish(dir, url, v, file, s.offset)
      await kill9(again)
    })
  })
}

/**
 * The window between storing an upload's last byte and recording its completion, reproduced on disk (the state a
 * kill -9 there leaves: every byte in the data file, `complete: false` in the info file), then a restart.
 */
describe('kill -9 after the last byte, before completion is recorded', () => {
  async function stored(dir: string, location: string, bytes: Buffer): Promise<void> {
    const id = new URL(location).pathname.split('/').pop() ?? ''
    await writeFile(join(dir, id), bytes)
    assert.equal(JSON.parse(await readFile(join(dir, `${id}.json`), 'utf8')).complete, false)
  }

  test('tus: the upload is complete when next read (HEAD or GET), not stuck at 409', {
    timeout: LIMIT_MS,
  }, async () => {
    const dir = await freshDir()
    const file = randomBytes(64 * KiB)
    let srv = await serve(dir)
    const T = { 'tus-resumable': '1.0.0' }
    const locations: string[] = []
    for (let i = 0; i < 2; i++) {
      const c = await send(srv.url, { method: 'POST', headers: { ...T, 'upload-length': String(file.length) } })
      assert.equal(c.status, 201)
      locations.push(header(c, 'location') ?? '')
    }
    await kill9(srv)
    for (const l of locations) await stored(dir, l, file)
    srv = await serve(dir)
    const [first = '', second = ''] = locations.map((l) => relocate(l, srv.url))
    // Read by a HEAD first (a tus client resuming), then downloaded.
    const h = await send(first, { method: 'HEAD', headers: T })
    assert.equal(header(h, 'upload-offset'), String(file.length))
    for (const url of [first, second]) {
      // The second is downloaded at once: the GET itself completes it.
      const got = await send(url)
      assert.equal(got.status, 200, got.body)
      assert.equal(header(got, 'content-length'), String(file.length))
      const info = JSON.parse(await readFile(join(dir, `${idOf(url)}.json`), 'utf8')) as { complete: boolean }
      assert.equal(info.complete, true, 'completion is recorded')
    }
    await kill9(srv)
  })

  for (const v of [6, 9]) {
    test(`interop ${v}: HEAD says incomplete at the full offset, and an empty completing append finishes it`, {
      timeout: LIMIT_MS,
    }, async () => {
      const dir = await freshDir()
      const file = randomBytes(64 * KiB)
      let srv = await serve(dir)
      const c = await send(srv.url, {
        method: 'POST',
        headers: {
          'upload-draft-interop-version': String(v),
          'upload-complete': '?0',
          'upload-length': String(file.length),
        },
      })
      assert.equal(c.status, 201)
      const location = header(c, 'location') ?? ''
      await kill9(srv)
      await stored(dir, location, file)
      srv = await serve(dir)
      const url = relocate(location, srv.url)
      const s = await head(url, v)
      assert.equal(s.offset, file.length)
      assert.equal(s.complete, '?0')
      await finish(dir, url, v, file, s.offset)
      await kill9(srv)
    })
  }
})
