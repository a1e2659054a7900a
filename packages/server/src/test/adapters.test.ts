/**
 * Library use of the adapters: `createFetchHandler` driven with WHATWG `Request`s (no interim responses at all, so
 * the creation response is the only place the upload URL appears), `createNodeHandler` mounted in a user's own
 * `http.createServer` (104s included), CORS, and building `Location` behind a trusted proxy.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { createFetchHandler, type FetchHandler } from '../adapters/fetch.js'
import { createNodeHandler } from '../adapters/node.js'
import type { InterimSink } from '../types.js'
import { appendHeaders, header, send, startTestServer, type TestServer } from './kit/index.js'

const BASE = 'http://uploads.example/files/'
const V9 = { 'upload-draft-interop-version': '9' }
const bytes = (n: number, seed = 7) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 251))
const idOf = (location: string) => new URL(location).pathname.split('/').pop() ?? ''

const dirs: string[] = []
async function freshDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rufh-adapters-'))
  dirs.push(d)
  return d
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

/** A streaming request body: `data` in 16 KiB pieces with a pause between them; optionally failing after `failAt`. */
function stream(data: Buffer, failAt?: number): ReadableStream<Uint8Array> {
  let pos = 0
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((r) => setTimeout(r, 1))
      if (failAt !== undefined && pos >= failAt) return controller.error(new Error('connection lost'))
      if (pos >= data.length) return controller.close()
      const end = Math.min(pos + 16 * 1024, failAt ?? data.length, data.length)
      controller.enqueue(new Uint8Array(data.subarray(pos, end)))
      pos = end
    },
  })
}

/** Careful creation (interop 9, `Upload-Complete: ?0`, no content), with extra fields. */
const careful = (extra: Record<string, string> = {}) =>
  new Request(BASE, { method: 'POST', headers: { ...V9, 'upload-complete': '?0', ...extra } })

/** A CORS preflight for `method` from `origin`, optionally naming the request fields. */
const preflight = (origin: string, method: string, fields?: string) =>
  new Request(BASE, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': method,
      ...(fields ? { 'access-control-request-headers': fields } : {}),
    },
  })

function patch(url: string, offset: number, complete: boolean, body: Buffer, failAt?: number): Request {
  return new Request(url, {
    method: 'PATCH',
    headers: { ...appendHeaders(9, offset, complete), 'content-length': String(body.length) },
    body: stream(body, failAt),
    duplex: 'half',
  })
}

describe('createFetchHandler with WHATWG Requests', () => {
  let dir: string
  let handle: FetchHandler
  const interimSinks: (InterimSink | undefined)[] = []
  before(async () => {
    dir = await freshDir()
    handle = createFetchHandler({ directory: dir, progressIntervalMs: 0 })
    // Every request reaches the core without an interim sink: the fetch API cannot send a 104.
    const core = handle.core
    const original = core.handle.bind(core)
    core.handle = (req, interim) => {
      interimSinks.push(interim)
      return original(req, interim)
    }
  })
  after(() => handle.core.close())

  test('careful creation, HEAD, streamed appends, completion; Location only in the final response', async () => {
    const file = bytes(200 * 1024)
    const created = await handle(careful())
    assert.equal(created.status, 201)
    const location = created.headers.get('location') ?? ''
    assert.match(location, /^http:\/\/uploads\.example\/files\/[A-Za-z0-9_-]{24}$/)
    assert.equal(created.headers.get('upload-offset'), '0')
    assert.equal(created.headers.get('upload-complete'), '?0')
    assert.equal(created.headers.get('upload-limit'), 'min-size=0')

    const head = await handle(new Request(location, { method: 'HEAD', headers: V9 }))
    assert.ok(head.status === 200 || head.status === 204)
    assert.equal(head.headers.get('upload-offset'), '0')
    assert.equal(head.headers.get('upload-complete'), '?0')
    assert.match(head.headers.get('cache-control') ?? '', /no-store/)
    assert.equal(await head.text(), '')

    const part = await handle(patch(location, 0, false, file.subarray(0, 120 * 1024)))
    assert.ok(part.status >= 200 && part.status < 300, `append answered ${part.status}`)
    assert.equal(part.headers.get('upload-complete'), '?0')
    assert.equal(part.headers.get('upload-offset'), String(120 * 1024))

    const last = await handle(patch(location, 120 * 1024, true, file.subarray(120 * 1024)))
    assert.ok(last.status >= 200 && last.status < 300, `completion answered ${last.status}`)
    assert.equal(last.headers.get('upload-complete'), '?1')
    assert.equal(last.headers.get('upload-offset'), String(file.length))
    assert.ok((await readFile(join(dir, idOf(location)))).equals(file))
    const done = await handle(new Request(location, { method: 'GET', headers: V9 }))
    assert.equal(done.headers.get('upload-complete'), '?1')
  })

  test('"no 104": a creation with content is answered once, and that final response carries Location', async () => {
    const before = interimSinks.length
    const body = bytes(64 * 1024, 3)
    const created = await handle(
      new Request(BASE, {
        method: 'POST',
        headers: { ...V9, 'upload-complete': '?0', 'content-length': String(body.length) },
        body: stream(body),
        duplex: 'half',
      }),
    )
    assert.equal(created.status, 201)
    const location = created.headers.get('location') ?? ''
    assert.ok(location.startsWith(BASE))
    assert.equal(created.headers.get('upload-offset'), String(body.length))
    assert.ok((await readFile(join(dir, idOf(location)))).equals(body))
    assert.ok(interimSinks.length > before)
    assert.ok(
      interimSinks.every((s) => s === undefined),
      'the core never got a way to send a 1xx',
    )
  })

  test('409 on a wrong offset, as problem+json with both offsets', async () => {
    const created = await handle(careful())
    const location = created.headers.get('location') ?? ''
    const r = await handle(patch(location, 5, false, bytes(10)))
    assert.equal(r.status, 409)
    assert.equal(r.headers.get('content-type'), 'application/problem+json')
    assert.equal(r.headers.get('upload-offset'), '0')
    assert.equal(r.headers.get('upload-complete'), '?0')
    const problem = (await r.json()) as Record<string, unknown>
    assert.equal(problem['type'], 'https://iana.org/assignments/http-problem-types#mismatching-upload-offset')
    assert.equal(problem['status'], 409)
    assert.equal(problem['expected-offset'], 0)
    assert.equal(problem['provided-offset'], 5)
  })

  test('a request body that fails midway keeps its prefix; the upload resumes from it', async () => {
    const file = bytes(100 * 1024, 11)
    const created = await handle(careful())
    const location = created.headers.get('location') ?? ''
    const cut = await handle(patch(location, 0, true, file, 48 * 1024))
    assert.ok(cut.status >= 400, `a broken body is not acknowledged (got ${cut.status})`)
    const head = await handle(new Request(location, { method: 'HEAD', headers: V9 }))
    assert.equal(head.headers.get('upload-offset'), String(48 * 1024))
    assert.equal(head.headers.get('upload-complete'), '?0')
    const rest = await handle(patch(location, 48 * 1024, true, file.subarray(48 * 1024)))
    assert.equal(rest.headers.get('upload-complete'), '?1')
    assert.ok((await readFile(join(dir, idOf(location)))).equals(file))
  })
})

test('createNodeHandler inside a user-owned http.createServer sends the 104 and leaves other routes alone', async () => {
  const dir = await freshDir()
  const uploads = createNodeHandler({ directory: dir, progressIntervalMs: 0 })
  const app = createServer((req, res) => {
    if (req.url?.startsWith('/files/')) return uploads(req, res)
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('the app\n')
  })
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r))
  const origin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
  try {
    const own = await send(`${origin}/health`)
    assert.equal(own.body, 'the app\n')
    const file = bytes(150 * 1024, 5)
    const created = await send(`${origin}/files/`, {
      method: 'POST',
      headers: { ...V9, 'upload-complete': '?0' },
      body: file.subarray(0, 50 * 1024),
    })
    assert.equal(created.status, 201)
    const location = header(created, 'location') ?? ''
    assert.ok(location.startsWith(`${origin}/files/`))
    assert.equal(created.interim[0]?.status, 104)
    assert.equal(created.interim[0]?.headers['location'], location)
    assert.equal(created.interim[0]?.headers['upload-draft-interop-version'], '9')
    const done = await send(location, {
      method: 'PATCH',
      headers: appendHeaders(9, 50 * 1024, true),
      body: file.subarray(50 * 1024),
    })
    assert.equal(header(done, 'upload-complete'), '?1')
    assert.ok((await readFile(join(dir, idOf(location)))).equals(file))
  } finally {
    await uploads.core.close()
    app.closeAllConnections()
    await new Promise((r) => app.close(r))
  }
})

describe('CORS', () => {
  const allowed = 'https://app.example'
  let handle: FetchHandler
  before(async () => {
    handle = createFetchHandler({ directory: await freshDir(), cors: { origins: [allowed] } })
  })
  after(() => handle.core.close())
  const list = (v: string | null) => (v ?? '').split(',').map((s) => s.trim().toLowerCase())

  test('preflight from an allowed origin lists the methods and request fields; another origin gets 403', async () => {
    const requested = 'content-type, upload-offset, upload-complete, upload-length, upload-draft-interop-version'
    const pre = await handle(preflight(allowed, 'PATCH', requested))
    assert.ok(pre.status === 200 || pre.status === 204, `preflight answered ${pre.status}`)
    assert.equal(pre.headers.get('access-control-allow-origin'), allowed)
    assert.ok(list(pre.headers.get('vary')).includes('origin'))
    const methods = list(pre.headers.get('access-control-allow-methods'))
    for (const m of ['post', 'patch', 'head', 'delete']) assert.ok(methods.includes(m), `${m} allowed`)
    const fields = list(pre.headers.get('access-control-allow-headers'))
    for (const f of requested.split(', ')) assert.ok(fields.includes(f), `${f} allowed`)

    const evil = await handle(preflight('https://evil.example', 'PATCH'))
    assert.equal(evil.status, 403)
    assert.equal(evil.headers.get('access-control-allow-origin'), null)
  })

  test('responses expose Location, Upload-Offset and the other fields to the allowed origin only', async () => {
    const r = await handle(careful({ origin: allowed }))
    assert.equal(r.status, 201)
    assert.equal(r.headers.get('access-control-allow-origin'), allowed)
    const exposed = list(r.headers.get('access-control-expose-headers'))
    for (const f of ['location', 'upload-offset', 'upload-complete', 'upload-limit', 'upload-length'])
      assert.ok(exposed.includes(f), `${f} exposed`)
    const location = r.headers.get('location') ?? ''
    // Errors too: a script must be able to read the 409's offset and problem details.
    const conflict = await handle(
      new Request(location, { method: 'PATCH', headers: { ...appendHeaders(9, 9, false), origin: allowed } }),
    )
    assert.equal(conflict.status, 409)
    assert.equal(conflict.headers.get('access-control-allow-origin'), allowed)
    assert.ok(list(conflict.headers.get('access-control-expose-headers')).includes('upload-offset'))
    const other = await handle(
      new Request(location, { method: 'HEAD', headers: { ...V9, origin: 'https://evil.example' } }),
    )
    assert.equal(other.headers.get('access-control-allow-origin'), null)
    assert.equal(other.headers.get('access-control-expose-headers'), null)
  })

  test('tus 1.0 (served on the same endpoint): the fields a browser client sends are allowed, Tus-* exposed', async () => {
    // What tus-js-client (default protocol) and the tus extensions rufh serves send from a browser.
    const requested =
      'tus-resumable, upload-length, upload-metadata, upload-defer-length, upload-concat, upload-checksum'
    const pre = await handle(preflight(allowed, 'POST', requested))
    const fields = list(pre.headers.get('access-control-allow-headers'))
    for (const f of requested.split(', ')) assert.ok(fields.includes(f), `${f} allowed in the preflight`)
    const tus = { 'tus-resumable': '1.0.0', 'upload-length': '3', origin: allowed }
    const r = await handle(new Request(BASE, { method: 'POST', headers: tus }))
    assert.equal(r.status, 201)
    const exposed = list(r.headers.get('access-control-expose-headers'))
    for (const f of ['location', 'upload-offset', 'tus-resumable', 'tus-version', 'tus-extension', 'upload-expires'])
      assert.ok(exposed.includes(f), `${f} exposed`)
  })
})

describe('Location behind a proxy', () => {
  let trusting: TestServer
  let plain: TestServer
  before(async () => {
    trusting = await startTestServer({ trustProxy: true })
    plain = await startTestServer()
  })
  after(async () => {
    await trusting.close()
    await plain.close()
  })
  const create = (url: string, headers: Record<string, string>) =>
    send(url, { method: 'POST', headers: { ...V9, 'upload-complete': '?0', ...headers }, body: 'abc' })

  const cases: [string, Record<string, string>, string][] = [
    ['Forwarded', { forwarded: 'proto=https;host=example.org' }, 'https://example.org/files/'],
    [
      'X-Forwarded-*',
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'example.org' },
      'https://example.org/files/',
    ],
    [
      'Forwarded, quoted host with port, two hops',
      { forwarded: 'for=192.0.2.1;proto=https;host="example.org:8443", for=10.0.0.1;proto=http;host=internal' },
      'https://example.org:8443/files/',
    ],
  ]
  for (const [name, headers, prefix] of cases) {
    test(`trustProxy: ${name} sets the origin of Location (104 and 201 alike)`, async () => {
      const r = await create(trusting.url, headers)
      assert.equal(r.status, 201)
      const location = header(r, 'location') ?? ''
      assert.ok(location.startsWith(prefix), location)
      assert.equal(r.interim[0]?.headers['location'], location)
    })

    test(`default: ${name} is ignored`, async () => {
      const r = await create(plain.url, headers)
      assert.equal(r.status, 201)
      assert.ok((header(r, 'location') ?? '').startsWith(plain.url), header(r, 'location'))
      assert.equal(r.interim[0]?.headers['location'], header(r, 'location'))
    })
  }

  test('trustProxy: a malformed forwarded host is refused, never reflected', async () => {
    const r = await create(trusting.url, { 'x-forwarded-host': 'evil.example/phish?' })
    assert.equal(r.status, 400)
    assert.equal(header(r, 'location'), undefined)
  })
})
