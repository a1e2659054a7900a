/**
 * Hooks that decide, over a real HTTP hook endpoint and as functions: pre-finish refuses completion (the upload stays
 * incomplete) or supplies the completing response; pre-terminate refuses a DELETE; pre-create sets the id and
 * metadata; a hook endpoint that is down fails closed; post-receive is throttled and arrives before post-finish.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { createServer, request, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import type { ListenOptions } from '../adapters/listen.js'
import { newUploadId } from '../ids.js'
import { type HttpHooksOptions, httpHooks } from '../observe/http-hooks.js'
import { DIALECTS, draft, tus } from './kit/dialects.js'
import { header, type Result, startTestServer, type TestServer } from './kit/index.js'
import { serveChildren, spawnServe } from './kit/serve.js'

const servers: TestServer[] = []
const endpoints: Server[] = []
after(async () => {
  for (const child of serveChildren) child.kill('SIGKILL')
  await Promise.all(servers.map((s) => s.close()))
  for (const e of endpoints) e.close()
})

interface HookCall {
  type: string
  upload: { id: string; offset?: number; metadata?: Record<string, string> }
  request?: { method: string; url: string; headers: Record<string, string> }
}
type Answer = { status: number; json?: unknown; text?: string }

/** A hook endpoint answering each call with `answer(call)` (default 204), recording every call. */
async function endpoint(answer: (c: HookCall) => Answer = () => ({ status: 204 })) {
  const calls: HookCall[] = []
  const srv = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => {
      body += c.toString()
    })
    req.on('end', () => {
      const c = JSON.parse(body) as HookCall
      calls.push(c)
      const a = answer(c)
      if (a.json !== undefined)
        res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.json))
      else res.writeHead(a.status).end(a.text ?? '')
    })
  })
  endpoints.push(srv)
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  return { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}/hooks`, calls }
}

async function serve(options: ListenOptions): Promise<TestServer> {
  const s = await startTestServer(options)
  servers.push(s)
  return s
}

const ALL: HttpHooksOptions['events'] = [
  'pre-create',
  'pre-finish',
  'pre-terminate',
  'post-create',
  'post-receive',
  'post-finish',
  'post-terminate',
]
const location = (base: string, r: Result) => new URL(String(header(r, 'location')), base).href
const idOf = (url: string) => url.split('/').pop()!
const ok = (r: Result) => assert.ok(r.status >= 200 && r.status < 300, `${r.status} ${r.body}`)
const settle = () => new Promise((r) => setTimeout(r, 100))

async function eventually(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('hooks that decide', { timeout: 60_000 }, () => {
  for (const d of DIALECTS) {
    it(`${d.name}: a pre-finish veto holds (the hook's status and reason; the upload stays incomplete)`, async () => {
      const e = await endpoint((c) =>
        c.type === 'pre-finish' ? { status: 422, text: 'the scan found a virus' } : { status: 204 },
      )
      const s = await serve({ hooks: httpHooks(e.url, { events: ALL }) })
      const c = await d.create(s.url, 'abc', 6, false)
      ok(c)
      const url = location(s.url, c)
      const r = await d.append(url, 3, 'def', true)
      assert.equal(r.status, 422)
      assert.equal(JSON.parse(r.body).code, 'ERR_REFUSED')
      assert.match(JSON.parse(r.body).detail, /the scan found a virus/)
      const h = await d.retrieve(url)
      assert.equal(header(h, 'upload-offset'), '6', 'the bytes are kept')
      if (d.completeOf(h) !== undefined) assert.equal(d.completeOf(h), false)
      assert.equal((await d.download(url)).status, 409, 'an incomplete upload is not served')
      // Asking again is refused again: the veto holds.
      assert.equal((await d.append(url, 6, '', true)).status, 422)
      await settle()
      const types = e.calls.map((x) => x.type)
      assert.ok(!types.includes('post-finish'), types.join())
      const pre = e.calls.find((x) => x.type === 'pre-finish')!
      assert.equal(pre.upload.offset, 6)
      assert.equal(pre.request?.method, 'PATCH')
    })

    it(`${d.name}: a pre-finish response (status, fields, body) reaches the client`, async () => {
      const e = await endpoint((c) =>
        c.type === 'pre-finish'
          ? {
              status: 200,
              json: {
                response: {
                  status: 200,
                  headers: { 'x-document-id': `doc-${c.upload.id}`, 'content-type': 'application/json' },
                  body: JSON.stringify({ stored: c.upload.offset }),
                },
              },
            }
          : { status: 204 },
      )
      const s = await serve({ hooks: httpHooks(e.url, { events: ['pre-finish', 'post-finish'] }) })
      const c = await d.create(s.url, 'abc', 6, false)
      const url = location(s.url, c)
      const r = await d.append(url, 3, 'def', true)
      assert.equal(r.status, 200)
      assert.equal(header(r, 'x-document-id'), `doc-${idOf(url)}`)
      assert.equal(header(r, 'content-type'), 'application/json')
      assert.deepEqual(JSON.parse(r.body), { stored: 6 })
      assert.equal(header(r, 'upload-offset') ?? '6', '6', 'the protocol fields stay')
      if (d.name === 'tus') assert.equal(header(r, 'tus-resumable'), '1.0.0')
      // Completing in the creation request works the same.
      const one = await d.create(s.url, 'xyz', 3, true)
      assert.equal(one.status, 200, one.body)
      assert.match(String(header(one, 'location')), /\/files\//, 'Location stays')
      assert.deepEqual(JSON.parse(one.body), { stored: 3 })
      await eventually(() => e.calls.filter((x) => x.type === 'post-finish').length === 2)
    })
  }

  it('a supplied response may not override the protocol: the completion fails closed (500), the upload stays incomplete', async () => {
    const s = await serve({
      hooks: { preFinish: () => ({ response: { headers: { 'upload-offset': '0' } } }) },
    })
    const d = draft(8)
    const url = location(s.url, await d.create(s.url, 'ab', 2, false))
    const r = await d.append(url, 2, 'cd', true)
    assert.equal(r.status, 500)
    assert.equal(JSON.parse(r.body).code, 'ERR_HOOK_FAILED')
    assert.equal(header(await d.retrieve(url), 'upload-complete'), '?0')
  })

  it('as functions: pre-finish shapes or refuses, pre-terminate refuses, post-receive reports, each with the request', async () => {
    const progress: number[] = []
    const seen: string[] = []
    const s = await serve({
      hooks: {
        preFinish: (u, req) => {
          seen.push(`pre-finish ${req.method}`)
          return u.metadata.filename === 'keep'
            ? { reject: 'held for review', status: 451 }
            : { response: { status: 202, body: `thanks for ${u.offset} bytes` } }
        },
        preTerminate: (u) => (u.offset > 0 ? { reject: 'uploads with data are kept', status: 409 } : undefined),
        postReceive: ({ offset }) => void progress.push(offset),
        receiveIntervalMs: 0,
      },
    })
    const d = draft(8)
    const done = await d.create(s.url, 'hello', 5, true)
    assert.equal(done.status, 202)
    assert.equal(done.body, 'thanks for 5 bytes')
    const held = await d.create(s.url, 'hello', 5, true, { 'content-disposition': 'attachment; filename="keep"' })
    assert.equal(held.status, 451)
    assert.match(held.body, /held for review/)
    const url = location(s.url, await d.create(s.url, 'abc', 3, false))
    assert.equal((await d.cancel(url)).status, 409)
    const empty = location(s.url, await d.create(s.url, '', 0, false))
    assert.equal((await d.cancel(empty)).status, 204)
    assert.deepEqual(seen, ['pre-finish POST', 'pre-finish POST'])
    await eventually(() => progress.includes(3))
    assert.ok(progress.includes(5))
  })

  it('pre-terminate refuses a DELETE with its status and reason; nothing is removed', async () => {
    const e = await endpoint((c) =>
      c.type === 'pre-terminate' ? { status: 409, text: 'the upload is being processed' } : { status: 204 },
    )
    const s = await serve({ hooks: httpHooks(e.url, { events: ['pre-terminate', 'post-terminate'] }) })
    for (const d of DIALECTS) {
      const url = location(s.url, await d.create(s.url, 'abc', 6, false))
      const r = await d.cancel(url)
      assert.equal(r.status, 409)
      assert.match(r.body, /the upload is being processed/)
      assert.equal(header(await d.retrieve(url), 'upload-offset'), '3')
      assert.equal((await stat(join(s.dir, idOf(url)))).size, 3)
    }
    await settle()
    assert.ok(!e.calls.some((x) => x.type === 'post-terminate'))
  })

  it('pre-create sets the upload id and metadata (over HTTP and as a function)', async () => {
    const chosen = newUploadId()
    const e = await endpoint((c) =>
      c.type === 'pre-create'
        ? { status: 200, json: { id: chosen, metadata: { ...c.upload.metadata, owner: 'team-a' } } }
        : { status: 204 },
    )
    const s = await serve({ hooks: httpHooks(e.url) })
    const meta = `filename ${Buffer.from('a.txt').toString('base64')}`
    const c = await tus.create(s.url, 'abc', 3, false, { 'upload-metadata': meta })
    assert.equal(c.status, 201, c.body)
    assert.equal(idOf(location(s.url, c)), chosen)
    const h = await tus.retrieve(location(s.url, c))
    const pairs = String(header(h, 'upload-metadata')).split(',').sort()
    assert.deepEqual(pairs, [meta, `owner ${Buffer.from('team-a').toString('base64')}`].sort())
    assert.ok((await readdir(s.dir)).includes(chosen))
    await eventually(() => e.calls.some((x) => x.type === 'post-create'))
    assert.equal(e.calls.find((x) => x.type === 'post-create')?.upload.id, chosen)
    // The same id again: 409, and the first upload is left as it was.
    const again = await tus.create(s.url, 'xyz', 3, false, { 'upload-metadata': meta })
    assert.equal(again.status, 409, again.body)
    assert.equal(JSON.parse(again.body).code, 'ERR_UPLOAD_EXISTS')
    assert.equal(header(await tus.retrieve(location(s.url, c)), 'upload-offset'), '3')

    // A function; a draft creation; an id of the wrong form fails closed.
    const fn = await serve({
      hooks: { preCreate: (u) => (u.metadata.filename === 'bad' ? { id: '../../etc' } : { metadata: { tag: 'x' } }) },
    })
    const d = draft(6)
    const made = await d.create(fn.url, 'hi', 2, true, { 'content-disposition': 'attachment; filename="a.bin"' })
    assert.equal(made.status, 201, made.body)
    const got = await d.download(location(fn.url, made))
    assert.equal(got.body, 'hi')
    assert.equal(header(got, 'content-disposition'), 'attachment', 'the metadata was replaced (no filename)')
    const bad = await d.create(fn.url, 'hi', 2, true, { 'content-disposition': 'attachment; filename="bad"' })
    assert.equal(bad.status, 500)
    assert.equal((await readdir(fn.dir)).length, 2, 'only the first upload (data and info) exists')
  })

  it('a hook endpoint that is down fails pre-finish and pre-terminate closed', async () => {
    const s = await serve({
      hooks: httpHooks('http://127.0.0.1:1/hooks', { events: ['pre-finish', 'pre-terminate'], timeoutMs: 1000 }),
    })
    for (const d of DIALECTS) {
      const url = location(s.url, await d.create(s.url, 'abc', 6, false))
      const r = await d.append(url, 3, 'def', true)
      assert.equal(r.status, 500)
      assert.equal(JSON.parse(r.body).code, 'ERR_HOOK_FAILED')
      assert.equal(header(await d.retrieve(url), 'upload-offset'), '6')
      assert.equal((await d.download(url)).status, 409, 'not complete')
      assert.equal((await d.cancel(url)).status, 500)
      assert.equal((await stat(join(s.dir, idOf(url)))).size, 6, 'not removed')
    }
  })

  it('post-receive is throttled per upload and arrives before post-finish', async () => {
    const e = await endpoint()
    const s = await serve({
      hooks: httpHooks(e.url, { events: ['post-receive', 'post-finish'], receiveIntervalMs: 200 }),
    })
    let received = 0
    s.core.events.on('received', () => {
      received++
    })
    const url = location(s.url, await tus.create(s.url, '', 24, false))
    // 24 bytes in 12 chunks, one every 100 ms: the store reports each, the hook hears at most one per 200 ms.
    const r = await slowPatch(
      url,
      Array.from({ length: 12 }, (_, i) => String(i % 10).repeat(2)),
      100,
    )
    assert.equal(r.status, 204, r.body)
    await eventually(() => e.calls.some((x) => x.type === 'post-finish'))
    const progress = e.calls.filter((x) => x.type === 'post-receive').map((x) => x.upload.offset ?? -1)
    assert.ok(received >= 10, `the store reported ${received} times`)
    assert.ok(progress.length >= 3 && progress.length <= 8, `post-receive ${progress.length} times: ${progress}`)
    assert.ok(progress.length < received)
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i]! > progress[i - 1]!, String(progress))
    assert.equal(progress.at(-1), 24, 'the last one tells the final offset')
    const types = e.calls.map((x) => x.type)
    assert.ok(types.lastIndexOf('post-receive') < types.indexOf('post-finish'), types.join())
  })

  it('`rufh serve --hooks-url URL --hooks-events pre-terminate` refuses a DELETE through the endpoint', async () => {
    const e = await endpoint((c) =>
      c.type === 'pre-terminate' ? { status: 423, text: 'legal hold' } : { status: 204 },
    )
    const dir = await mkdtemp(join(tmpdir(), 'rufh-decide-'))
    try {
      const p = await spawnServe(dir, ['--hooks-url', e.url, '--hooks-events', 'pre-terminate'])
      const url = location(p.url, await tus.create(p.url, 'abc', 3, false))
      const r = await tus.cancel(url)
      assert.equal(r.status, 423)
      assert.match(r.body, /legal hold/)
      assert.equal(header(await tus.retrieve(url), 'upload-offset'), '3')
      p.child.kill('SIGTERM')
      assert.equal((await p.exited).code, 0)
      assert.deepEqual(
        e.calls.map((x) => x.type),
        ['pre-terminate'],
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

/** A tus PATCH at offset 0 whose chunks are written `gapMs` apart. */
function slowPatch(url: string, chunks: string[], gapMs: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const length = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0)
    const headers = {
      'tus-resumable': '1.0.0',
      'content-type': 'application/offset+octet-stream',
      'upload-offset': '0',
      'content-length': length,
    }
    const req = request(url, { method: 'PATCH', headers, agent: false }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => {
        body += c.toString()
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, interim: [] }))
    })
    req.on('error', reject)
    const write = async () => {
      for (const c of chunks) {
        req.write(c)
        await new Promise((r) => setTimeout(r, gapMs))
      }
      req.end()
    }
    write().catch(reject)
  })
}
