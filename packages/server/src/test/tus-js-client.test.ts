/**
 * Interop with tus-js-client 4.3.1 (the reference JS client of the draft's editors) in its two IETF modes:
 * `ietf-draft-03` speaks interop 5, `ietf-draft-05` interop 6. Complete uploads and uploads interrupted by
 * `abort()` and resumed from the server's offset by a second `Upload` must land byte-exact in the server's folder.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import type { ClientRequest } from 'node:http'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import { DefaultHttpStack, type HttpRequest, type HttpStack, Upload, type UploadOptions } from 'tus-js-client'
import { header, send, startTestServer, type TestServer } from './kit/index.js'

let server: TestServer
before(async () => {
  server = await startTestServer()
})
after(() => server.close())

const KiB = 1024
const MiB = 1024 * KiB

interface Sent {
  method: string
  offset: number | undefined
  complete: string | undefined
  bytes: number
  /** Status codes of the 1xx responses that arrived before the final one. */
  interim: number[]
  status?: number
}

/**
 * tus-js-client's Node HTTP stack, recording every request (method, Upload-Offset, body size, status). With `slow`,
 * request bodies are streamed in 64 KiB pieces every 10 ms, so that an `abort()` lands in the middle of a PATCH.
 */
class RecordingStack implements HttpStack {
  readonly sent: Sent[] = []
  private readonly inner = new DefaultHttpStack({ agent: false })
  constructor(private readonly slow = false) {}

  getName(): string {
    return 'recording'
  }

  createRequest(method: string, url: string): HttpRequest {
    const req = this.inner.createRequest(method, url)
    const { sent, slow } = this
    return {
      getMethod: () => req.getMethod(),
      getURL: () => req.getURL(),
      setHeader: (h, v) => req.setHeader(h, v),
      getHeader: (h) => req.getHeader(h),
      setProgressHandler: (h) => req.setProgressHandler(h),
      abort: () => req.abort(),
      getUnderlyingObject: () => req.getUnderlyingObject(),
      async send(body: unknown) {
        const offset = req.getHeader('Upload-Offset')
        const complete = req.getHeader('Upload-Complete')
        const bytes = Buffer.isBuffer(body) ? body.length : 0
        const entry: Sent = {
          method,
          offset: offset === undefined ? undefined : Number(offset),
          complete,
          bytes,
          interim: [],
        }
        sent.push(entry)
        const pending = req.send(slow && Buffer.isBuffer(body) ? trickle(body) : body)
        const raw = req.getUnderlyingObject() as ClientRequest
        raw.on('information', (i) => entry.interim.push(i.statusCode))
        const res = await pending
        entry.status = res.getStatus()
        return res
      },
    }
  }
}

/** A Readable over `buf` that yields 64 KiB every 10 ms; `size` is what tus-js-client uses for Content-Length. */
function trickle(buf: Buffer): Readable {
  const r = Readable.from(
    (async function* () {
      for (let i = 0; i < buf.length; i += 64 * KiB) {
        await new Promise((res) => setTimeout(res, 10))
        yield buf.subarray(i, i + 64 * KiB)
      }
    })(),
  )
  return Object.assign(r, { size: buf.length })
}

type Mode = 'ietf-draft-03' | 'ietf-draft-05'
const interopOf = (mode: Mode) => (mode === 'ietf-draft-03' ? 5 : 6)

/** tus-js-client 4.3.1's typings lack the `protocol` option its code reads. */
type Options = UploadOptions & { protocol: Mode }

/** tus-js-client takes a Buffer or a Node Readable in Node; its typings name only the browser's types. */
function begin(file: Buffer | Readable, options: Options): Upload {
  const u = new Upload(file as Buffer, { retryDelays: null, ...options })
  u.start()
  return u
}

/** Runs one Upload to success; rejects with tus-js-client's error. */
function upload(file: Buffer | Readable, options: Options): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const u: Upload = begin(file, { ...options, onSuccess: () => resolve(u), onError: reject })
  })
}

const idOf = (url: string | null) => new URL(url ?? 'http://x/').pathname.split('/').pop() ?? ''

const stored = (url: string | null) => readFile(join(server.dir, idOf(url)))

async function serverOffset(url: string, mode: Mode): Promise<number> {
  const r = await send(url, { method: 'HEAD', headers: { 'upload-draft-interop-version': String(interopOf(mode)) } })
  assert.ok(r.status === 204 || r.status === 200, `HEAD answered ${r.status}`)
  return Number(header(r, 'upload-offset'))
}

for (const mode of ['ietf-draft-03', 'ietf-draft-05'] as const) {
  describe(`tus-js-client ${mode} (interop ${interopOf(mode)})`, () => {
    test('complete upload in one PATCH (no chunkSize): byte-exact in the folder', async () => {
      const file = randomBytes(3 * MiB + 17)
      const stack = new RecordingStack()
      const u = await upload(file, { endpoint: server.url, protocol: mode, httpStack: stack })
      assert.match(u.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/files\/[A-Za-z0-9_-]+$/)
      assert.deepEqual(
        stack.sent.map((s) => [s.method, s.offset, s.complete, s.status]),
        [
          ['POST', undefined, '?0', 201],
          ['PATCH', 0, '?1', 201],
        ],
      )
      assert.ok((await stored(u.url)).equals(file), 'stored bytes equal the file')
      const meta = JSON.parse(await readFile(join(server.dir, `${idOf(u.url)}.json`), 'utf8')) as { complete: boolean }
      assert.equal(meta.complete, true)
    })

    test('complete upload with chunkSize: one PATCH per chunk, offsets follow, byte-exact', async () => {
      const file = randomBytes(2 * MiB + 1000)
      const chunk = 512 * KiB
      const stack = new RecordingStack()
      const accepted: number[] = []
      const u = await upload(file, {
        endpoint: server.url,
        protocol: mode,
        chunkSize: chunk,
        httpStack: stack,
        onChunkComplete: (_size, acc) => accepted.push(acc),
      })
      const patches = stack.sent.filter((s) => s.method === 'PATCH')
      assert.equal(patches.length, Math.ceil(file.length / chunk))
      assert.deepEqual(
        patches.map((p) => p.offset),
        patches.map((_, i) => i * chunk),
      )
      assert.deepEqual(
        patches.map((p) => p.complete),
        patches.map((_, i) => (i === patches.length - 1 ? '?1' : '?0')),
      )
      assert.deepEqual(accepted, [...patches.map((_, i) => Math.min((i + 1) * chunk, file.length))])
      assert.ok((await stored(u.url)).equals(file))
    })

    test('data during creation (a 104 arrives before the 201): the client copes, byte-exact', async () => {
      const file = randomBytes(MiB + 5)
      const stack = new RecordingStack()
      const u = await upload(file, {
        endpoint: server.url,
        protocol: mode,
        chunkSize: 256 * KiB,
        uploadDataDuringCreation: true,
        httpStack: stack,
      })
      assert.equal(stack.sent[0]?.method, 'POST')
      assert.equal(stack.sent[0]?.bytes, 256 * KiB)
      assert.equal(stack.sent[0]?.status, 201)
      // The announcing 104, maybe followed by progress 104s: Node's client skips them all, tus-js-client sees the 201.
      const interim = stack.sent[0]?.interim ?? []
      assert.ok(interim.length >= 1 && interim.every((s) => s === 104), `interim: ${interim.join(',')}`)
      assert.equal(stack.sent.filter((s) => s.method === 'PATCH').length, 4)
      assert.ok((await stored(u.url)).equals(file))
    })

    test('deferred length from a stream: the last PATCH declares it, byte-exact', async () => {
      const file = randomBytes(700 * KiB)
      const stack = new RecordingStack()
      const source = Readable.from([file.subarray(0, 300_000), file.subarray(300_000)], { objectMode: false })
      const u = await upload(source, {
        endpoint: server.url,
        protocol: mode,
        chunkSize: 256 * KiB,
        uploadLengthDeferred: true,
        httpStack: stack,
      })
      assert.deepEqual(
        stack.sent.filter((s) => s.method === 'PATCH').map((p) => [p.bytes, p.complete]),
        [
          [256 * KiB, '?0'],
          [256 * KiB, '?0'],
          [188 * KiB, '?1'],
        ],
      )
      assert.ok((await stored(u.url)).equals(file))
    })

    test('abort(true) terminates: DELETE succeeds, the files are gone, HEAD is 404', async () => {
      const file = randomBytes(MiB)
      let u: Upload | undefined
      await new Promise<void>((resolve, reject) => {
        u = begin(file, {
          endpoint: server.url,
          protocol: mode,
          chunkSize: 256 * KiB,
          onChunkComplete: () => void u?.abort(true).then(resolve, reject),
          onError: reject,
        })
      })
      const url = u?.url ?? ''
      await assert.rejects(stat(join(server.dir, idOf(url))), { code: 'ENOENT' })
      await assert.rejects(stat(join(server.dir, `${idOf(url)}.json`)), { code: 'ENOENT' })
      const r = await send(url, {
        method: 'HEAD',
        headers: { 'upload-draft-interop-version': String(interopOf(mode)) },
      })
      assert.equal(r.status, 404)
    })

    test('aborted between chunks, resumed by a new Upload from the server offset', async () => {
      const file = randomBytes(2 * MiB + 333)
      const chunk = 256 * KiB
      let first: Upload | undefined
      const aborted = new Promise<void>((resolve, reject) => {
        let chunks = 0
        first = begin(file, {
          endpoint: server.url,
          protocol: mode,
          chunkSize: chunk,
          httpStack: new RecordingStack(),
          onChunkComplete: () => {
            if (++chunks === 3) first?.abort().then(resolve, reject)
          },
          onSuccess: () => reject(new Error('the first upload should not finish')),
          onError: reject,
        })
      })
      await aborted
      const url = first?.url
      assert.ok(url)
      assert.equal(await serverOffset(url, mode), 3 * chunk)
      assert.equal((await stat(join(server.dir, idOf(url)))).size, 3 * chunk)

      const stack = new RecordingStack()
      const progress: number[] = []
      const second = await upload(file, {
        uploadUrl: url,
        protocol: mode,
        chunkSize: chunk,
        httpStack: stack,
        onProgress: (sent) => progress.push(sent),
      })
      assert.equal(second.url, url)
      assert.equal(stack.sent[0]?.method, 'HEAD')
      assert.equal(stack.sent.filter((s) => s.method === 'POST').length, 0, 'no new upload was created')
      const patches = stack.sent.filter((s) => s.method === 'PATCH')
      assert.equal(patches[0]?.offset, 3 * chunk, 'the second run starts at the server offset')
      assert.ok(Math.min(...progress) >= 3 * chunk, 'progress never went back to 0')
      assert.equal(
        patches.reduce((n, p) => n + p.bytes, 0),
        file.length - 3 * chunk,
      )
      assert.ok((await stored(url)).equals(file))
    })

    test('metadata: the Upload-Metadata it sends on draft creations is stored and read back', async () => {
      const file = randomBytes(64 * KiB)
      const metadata = { filename: 'report ü.pdf', filetype: 'application/pdf', note: 'from tus-js-client' }
      const u = await upload(file, { endpoint: server.url, protocol: mode, httpStack: new RecordingStack(), metadata })
      const info = JSON.parse(await readFile(join(server.dir, `${idOf(u.url)}.json`), 'utf8')) as {
        metadata: Record<string, string>
      }
      assert.deepEqual(info.metadata, metadata)
      // Read back by the other protocol (tus HEAD) and by a download.
      const tus = await send(u.url!, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } })
      const pairs = (header(tus, 'upload-metadata') ?? '').split(',').map((p) => p.split(' '))
      const back = Object.fromEntries(pairs.map(([k, v]) => [k, Buffer.from(v ?? '', 'base64').toString()]))
      assert.deepEqual(back, metadata)
      const get = await send(u.url!, { method: 'GET' })
      assert.equal(header(get, 'content-type'), 'application/pdf')
      assert.match(header(get, 'content-disposition') ?? '', /filename\*=UTF-8''report%20%C3%BC\.pdf/)
    })

    test('aborted in the middle of a PATCH body, resumed from the bytes the server kept', async () => {
      const file = randomBytes(3 * MiB)
      let first: Upload | undefined
      const aborted = new Promise<void>((resolve, reject) => {
        let done = false
        first = begin(file, {
          endpoint: server.url,
          protocol: mode,
          httpStack: new RecordingStack(true),
          onProgress: (sent) => {
            if (!done && sent >= MiB) {
              done = true
              first?.abort().then(resolve, reject)
            }
          },
          onSuccess: () => reject(new Error('the first upload should not finish')),
          onError: reject,
        })
      })
      await aborted
      const url = first?.url
      assert.ok(url)
      const kept = await serverOffset(url, mode)
      assert.ok(kept > 0 && kept < file.length, `server kept ${kept} bytes`)
      assert.equal((await stat(join(server.dir, idOf(url)))).size, kept)
      assert.ok((await stored(url)).equals(file.subarray(0, kept)), 'the kept prefix is the file prefix')

      const stack = new RecordingStack()
      await upload(file, { uploadUrl: url, protocol: mode, httpStack: stack })
      const patches = stack.sent.filter((s) => s.method === 'PATCH')
      assert.equal(patches.length, 1)
      assert.equal(patches[0]?.offset, kept, 'resumed at the kept offset, not 0')
      assert.equal(patches[0]?.bytes, file.length - kept)
      assert.equal(patches[0]?.complete, '?1')
      assert.ok((await stored(url)).equals(file))
    })
  })
}
