import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import type { Hooks } from '../observe/hooks.js'
import { httpHooks } from '../observe/http-hooks.js'
import { send, startTestServer, type TestServer } from './kit/index.js'
import { serveChildren, spawnServe } from './kit/serve.js'

const TUS = { 'tus-resumable': '1.0.0' }
const b64 = (s: string) => Buffer.from(s).toString('base64')
const servers: TestServer[] = []
const receivers: Server[] = []
after(async () => {
  for (const child of serveChildren) child.kill('SIGKILL')
  await Promise.all(servers.map((s) => s.close()))
  for (const r of receivers) r.close()
})

async function serve(hooks: Hooks): Promise<TestServer> {
  const s = await startTestServer({ hooks })
  servers.push(s)
  return s
}

/** Waits until `cond` holds (post-* hooks run after the response). */
async function eventually(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** An HTTP hook endpoint that records events and refuses pre-create for uploads named `*.exe`. */
async function receiver(): Promise<{ url: string; events: { type: string; upload: Record<string, unknown> }[] }> {
  const events: { type: string; upload: Record<string, unknown> }[] = []
  const srv = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => {
      body += c.toString()
    })
    req.on('end', () => {
      const e = JSON.parse(body) as { type: string; upload: { metadata?: Record<string, string> } }
      events.push(e as { type: string; upload: Record<string, unknown> })
      if (e.type === 'pre-create' && e.upload.metadata?.filename?.endsWith('.exe')) {
        res.writeHead(400).end('executables are not accepted')
      } else res.writeHead(204).end()
    })
  })
  receivers.push(srv)
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  return { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}/hook`, events }
}

describe('hooks', { timeout: 30_000 }, () => {
  it('call the functions at creation, completion and deletion; pre-create can refuse an upload with 403', async () => {
    const seen: string[] = []
    const s = await serve({
      preCreate: (u) => (u.metadata.filename === 'secret.txt' ? { reject: 'no secrets here' } : undefined),
      postCreate: (u) => void seen.push(`created ${u.id} ${u.length}`),
      postFinish: (u) => void seen.push(`finished ${u.id} ${u.offset}`),
      postTerminate: (id) => void seen.push(`terminated ${id}`),
    })
    const refused = await send(s.url, {
      method: 'POST',
      headers: { ...TUS, 'upload-length': 3, 'upload-metadata': `filename ${b64('secret.txt')}` },
    })
    assert.equal(refused.status, 403)
    assert.match(refused.body, /no secrets here/)
    assert.deepEqual(await readdir(s.dir), [], 'nothing was created')
    // A draft upload in one request, then a tus upload that is deleted.
    const ietf = await send(s.url, {
      method: 'POST',
      headers: { 'upload-draft-interop-version': 6, 'upload-complete': '?1' },
      body: 'hello',
    })
    assert.equal(ietf.status, 201)
    const id1 = String(ietf.headers.location).split('/').pop()
    const c = await send(s.url, { method: 'POST', headers: { ...TUS, 'upload-length': 9 } })
    const loc = new URL(String(c.headers.location), s.url).href
    assert.equal((await send(loc, { method: 'DELETE', headers: TUS })).status, 204)
    const id2 = loc.split('/').pop()
    await eventually(() => seen.length === 4)
    assert.deepEqual(
      seen.sort(),
      [`created ${id1} 5`, `created ${id2} 9`, `finished ${id1} 5`, `terminated ${id2}`].sort(),
    )
  })

  it('an HTTP endpoint receives every event as JSON and refuses with a non-2xx answer', async () => {
    const r = await receiver()
    const s = await serve(httpHooks(r.url))
    const refused = await send(s.url, {
      method: 'POST',
      headers: { ...TUS, 'upload-length': 3, 'upload-metadata': `filename ${b64('setup.exe')}` },
    })
    // The endpoint's own status is relayed (issue 16: "any other status refuses with that status").
    assert.equal(refused.status, 400)
    assert.match(refused.body, /executables are not accepted/)
    const ok = await send(s.url, {
      method: 'POST',
      headers: {
        ...TUS,
        'upload-length': 2,
        'upload-metadata': `filename ${b64('a.txt')}`,
        'content-type': 'application/offset+octet-stream',
      },
      body: 'hi',
    })
    assert.equal(ok.status, 201)
    await eventually(() => r.events.some((e) => e.type === 'post-finish'))
    assert.deepEqual(
      r.events.map((e) => e.type),
      ['pre-create', 'pre-create', 'post-create', 'post-finish'],
    )
    const finished = r.events[3]?.upload ?? {}
    assert.equal(finished.offset, 2)
    assert.deepEqual(finished.metadata, { filename: 'a.txt' })
  })

  it('an unreachable pre-create endpoint fails the creation (no hook, no upload)', async () => {
    const s = await serve(httpHooks('http://127.0.0.1:1/hook', { timeoutMs: 1000 }))
    const r = await send(s.url, { method: 'POST', headers: { ...TUS, 'upload-length': 1 } })
    assert.equal(r.status, 500)
    assert.deepEqual(await readdir(s.dir), [])
  })

  it('`rufh serve --hooks-url URL` posts the events there', async () => {
    const r = await receiver()
    const dir = await mkdtemp(join(tmpdir(), 'rufh-hooks-'))
    try {
      const p = await spawnServe(dir, ['--hooks-url', r.url])
      const refused = await send(p.url, {
        method: 'POST',
        headers: { ...TUS, 'upload-length': 3, 'upload-metadata': `filename ${b64('x.exe')}` },
      })
      assert.equal(refused.status, 400)
      p.child.kill('SIGTERM')
      assert.equal((await p.exited).code, 0)
      assert.deepEqual(
        r.events.map((e) => e.type),
        ['pre-create'],
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
