/**
 * Authorization on every request over a real HTTP authorization endpoint (httpAuthorizer): a denial is a 401/403
 * problem and stores nothing, for every procedure in interop 6, interop 8 and tus; an upload is its creator's alone;
 * an endpoint that is down fails closed.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { readdir, readFile, stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { createFetchHandler } from '../adapters/fetch.js'
import type { ListenOptions } from '../adapters/listen.js'
import { httpAuthorizer } from '../auth/http-authorizer.js'
import { DIALECTS, type Dialect } from './kit/dialects.js'
import { header, type Result, send, startTestServer, type TestServer } from './kit/index.js'

const servers: TestServer[] = []
const endpoints: Server[] = []
after(async () => {
  await Promise.all(servers.map((s) => s.close()))
  for (const e of endpoints) e.close()
})

interface Asked {
  procedure: string
  method: string
  url: string
  headers: Record<string, string>
  upload: { id: string; owner?: string } | null
}

/**
 * An authorization endpoint: `Bearer ok-NAME` is allowed as principal NAME, `Bearer no` is refused with 403 and a
 * reason, anything else is 401 with the endpoint's own challenge.
 */
async function endpoint(): Promise<{ url: string; asked: Asked[] }> {
  const asked: Asked[] = []
  const srv = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => {
      body += c.toString()
    })
    req.on('end', () => {
      const a = JSON.parse(body) as Asked
      asked.push(a)
      const token = /^Bearer (\S+)$/.exec(a.headers['authorization'] ?? '')?.[1]
      if (token?.startsWith('ok-')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ principal: token.slice(3) }))
      } else if (token === 'no') res.writeHead(403).end('this account is suspended')
      else res.writeHead(401, { 'www-authenticate': 'Bearer realm="uploads"' }).end('sign in first')
    })
  })
  endpoints.push(srv)
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  return { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}/auth`, asked }
}

async function serve(options: ListenOptions): Promise<TestServer> {
  const s = await startTestServer(options)
  servers.push(s)
  return s
}

const as = (name: string) => ({ authorization: `Bearer ok-${name}` })
const location = (s: TestServer, r: Result) => new URL(String(header(r, 'location')), s.url).href
const idOf = (url: string) => url.split('/').pop()!
const size = async (s: TestServer, url: string) => (await stat(join(s.dir, idOf(url)))).size

function problem(r: Result, status: number, code: string): Record<string, unknown> {
  assert.equal(r.status, status, r.body)
  assert.match(String(header(r, 'content-type')), /application\/problem\+json/)
  if (r.body === '') return {} // a HEAD: the fields only
  const p = JSON.parse(r.body) as Record<string, unknown>
  assert.equal(p.code, code)
  assert.equal(p.status, status)
  return p
}

/** An upload of `alice`'s, 3 of 10 bytes stored. */
async function aliceUpload(s: TestServer, d: Dialect): Promise<string> {
  const r = await d.create(s.url, 'abc', 10, false, as('alice'))
  assert.equal(r.status, 201, r.body)
  return location(s, r)
}

describe('authorization', { timeout: 60_000 }, () => {
  for (const d of DIALECTS) {
    it(`${d.name}: every procedure denied stores nothing, with a 401/403 problem`, async () => {
      const e = await endpoint()
      const s = await serve({ authorize: httpAuthorizer(e.url) })
      // Creation, without credentials and with refused ones: nothing on disk.
      const anon = await d.create(s.url, 'abc', 10, false)
      problem(anon, 401, 'ERR_UNAUTHORIZED')
      assert.equal(header(anon, 'www-authenticate'), 'Bearer realm="uploads"')
      assert.match(anon.body, /sign in first/)
      const refused = await d.create(s.url, 'abc', 10, false, { authorization: 'Bearer no' })
      assert.match(String(problem(refused, 403, 'ERR_FORBIDDEN').detail), /this account is suspended/)
      assert.deepEqual(await readdir(s.dir), [])
      // Discovery is asked too.
      problem(await d.discover(s.url), 401, 'ERR_UNAUTHORIZED')
      assert.equal((await d.discover(s.url, as('alice'))).status, 204)

      const url = await aliceUpload(s, d)
      const files = (await readdir(s.dir)).sort()
      for (const creds of [{}, { authorization: 'Bearer no' }] as Record<string, string>[]) {
        const status = 'authorization' in creds ? 403 : 401
        const code = status === 401 ? 'ERR_UNAUTHORIZED' : 'ERR_FORBIDDEN'
        problem(await d.append(url, 3, 'defg', false, creds), status, code)
        problem(await d.retrieve(url, creds), status, code)
        problem(await d.cancel(url, creds), status, code)
        problem(await d.download(url, creds), status, code)
        problem(await d.discover(url, creds), status, code)
      }
      assert.equal(await size(s, url), 3, 'no byte of a denied append was stored')
      assert.deepEqual((await readdir(s.dir)).sort(), files, 'a denied DELETE removed nothing')
      // The endpoint saw each procedure with the request and the upload it was about.
      const procedures = new Set(e.asked.map((a) => a.procedure))
      for (const p of ['creation', 'discovery', 'append', 'retrieval', 'cancellation', 'download'])
        assert.ok(procedures.has(p), `asked for ${p}`)
      const append = e.asked.find((a) => a.procedure === 'append')!
      assert.equal(append.method, 'PATCH')
      assert.equal(append.url, url)
      assert.equal(append.upload?.id, idOf(url))
      assert.equal(append.upload?.owner, 'alice')
      // The owner goes on and completes it.
      const done = await d.append(url, 3, 'defghij', true, as('alice'))
      assert.ok(done.status >= 200 && done.status < 300, done.body)
      assert.equal(e.asked.at(-1)?.procedure, 'completion', 'completion asked again')
      const got = await d.download(url, as('alice'))
      assert.equal(got.status, 200)
      assert.equal(got.body, 'abcdefghij')
    })

    it(`${d.name}: another principal can neither continue, read nor cancel the upload (403)`, async () => {
      const e = await endpoint()
      const s = await serve({ authorize: httpAuthorizer(e.url) })
      const url = await aliceUpload(s, d)
      problem(await d.append(url, 3, 'defg', false, as('bob')), 403, 'ERR_FORBIDDEN')
      problem(await d.retrieve(url, as('bob')), 403, 'ERR_FORBIDDEN')
      problem(await d.cancel(url, as('bob')), 403, 'ERR_FORBIDDEN')
      assert.equal(await size(s, url), 3)
      const mine = await d.retrieve(url, as('alice'))
      assert.equal(mine.status, d.name === 'tus' ? 200 : 204)
      assert.equal(header(mine, 'upload-offset'), '3')
      assert.equal((await d.append(url, 3, 'defghij', true, as('alice'))).status < 300, true)
      problem(await d.download(url, as('bob')), 403, 'ERR_FORBIDDEN')
      assert.equal((await d.download(url, as('alice'))).body, 'abcdefghij')
      problem(await d.cancel(url, as('bob')), 403, 'ERR_FORBIDDEN')
      assert.equal((await d.cancel(url, as('alice'))).status, 204)
      assert.deepEqual(await readdir(s.dir), [])
    })
  }

  it('the endpoint gets every request field (node:http and the fetch handler), not a fixed list', async () => {
    const e = await endpoint()
    const s = await serve({ authorize: httpAuthorizer(e.url) })
    const r = await send(s.url, {
      method: 'POST',
      headers: { ...as('alice'), 'x-tenant': 'acme', 'upload-draft-interop-version': 8, 'upload-complete': '?1' },
      body: 'hi',
    })
    assert.equal(r.status, 201, r.body)
    assert.equal(e.asked.at(-1)?.headers['x-tenant'], 'acme')
    assert.equal(e.asked.at(-1)?.headers['authorization'], 'Bearer ok-alice')
    const fetchHandler = createFetchHandler({ directory: s.dir, authorize: httpAuthorizer(e.url) })
    const f = await fetchHandler(
      new Request(`${s.url}`, { method: 'OPTIONS', headers: { ...as('bob'), 'x-tenant': 'globex' } }),
    )
    assert.equal(f.status, 204)
    assert.equal(e.asked.at(-1)?.headers['x-tenant'], 'globex')
  })

  it('the owner survives a restart (the disk store keeps it); with ownerOnly off, any allowed principal goes on', async () => {
    const e = await endpoint()
    const s = await serve({ authorize: httpAuthorizer(e.url) })
    const d = DIALECTS[0]!
    const url = await aliceUpload(s, d)
    const info = JSON.parse(await readFile(join(s.dir, `${idOf(url)}.json`), 'utf8')) as { owner?: string }
    assert.equal(info.owner, 'alice')
    const open = await serve({
      authorize: httpAuthorizer(e.url),
      authorization: { ownerOnly: false, discovery: false },
      directory: s.dir,
    })
    const moved = url.replace(s.url, open.url)
    assert.equal(header(await d.retrieve(moved, as('bob')), 'upload-offset'), '3')
    assert.equal((await d.discover(open.url)).status, 204, 'discovery without credentials')
  })

  it('tus concatenation reads only the principal’s own partial uploads', async () => {
    const e = await endpoint()
    const s = await serve({ authorize: httpAuthorizer(e.url) })
    const T = { 'tus-resumable': '1.0.0', 'content-type': 'application/offset+octet-stream' }
    const { url: part } = await fetchCreate(
      s,
      { ...T, 'upload-length': '2', 'upload-concat': 'partial', ...as('alice') },
      'hi',
    )
    const steal = await fetchCreate(s, { 'tus-resumable': '1.0.0', 'upload-concat': `final;${part}`, ...as('bob') })
    problem(steal.r, 403, 'ERR_FORBIDDEN')
    const own = await fetchCreate(s, { 'tus-resumable': '1.0.0', 'upload-concat': `final;${part}`, ...as('alice') })
    assert.equal(own.r.status, 201, own.r.body)
  })

  it('a denied creation is answered before its body is read, and the server closes the connection', async () => {
    const e = await endpoint()
    const s = await serve({ authorize: httpAuthorizer(e.url) })
    const { port } = new URL(s.url)
    // 64 MiB promised, 1 MiB sent: the answer comes anyway, and the server ends the connection.
    const socket = connect(Number(port), '127.0.0.1')
    await once(socket, 'connect')
    socket.write(
      `POST /files/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nTus-Resumable: 1.0.0\r\nUpload-Length: ${64 * 2 ** 20}\r\n` +
        `Content-Type: application/offset+octet-stream\r\nContent-Length: ${64 * 2 ** 20}\r\n\r\n`,
    )
    socket.write(Buffer.alloc(2 ** 20))
    let answer = ''
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1')
    })
    socket.on('error', () => {}) // a reset after the answer is fine
    await once(socket, 'close')
    assert.match(answer, /^HTTP\/1\.1 401 /)
    assert.match(answer, /\r\nconnection: close\r\n/i)
    assert.deepEqual(await readdir(s.dir), [])
  })

  it('an authorization endpoint that is down fails closed: nothing is created or appended', async () => {
    const e = await endpoint()
    const s = await serve({ authorize: httpAuthorizer(e.url) })
    const d = DIALECTS[2]!
    const url = await aliceUpload(s, d)
    const down = await serve({ authorize: httpAuthorizer('http://127.0.0.1:1/auth', { timeoutMs: 1000 }) })
    problem(await d.create(down.url, 'abc', 10, false, as('alice')), 500, 'ERR_HOOK_FAILED')
    assert.deepEqual(await readdir(down.dir), [])
    // The same store behind a server whose endpoint is down.
    const same = await serve({
      authorize: httpAuthorizer('http://127.0.0.1:1/auth', { timeoutMs: 1000 }),
      directory: s.dir,
    })
    problem(await d.append(url.replace(s.url, same.url), 3, 'defg', false, as('alice')), 500, 'ERR_HOOK_FAILED')
    assert.equal(await size(s, url), 3)
  })
})

async function fetchCreate(
  s: TestServer,
  headers: Record<string, string>,
  body?: string,
): Promise<{ r: Result; url: string }> {
  const r = await send(s.url, { method: 'POST', headers, ...(body !== undefined ? { body } : {}) })
  return { r, url: r.headers.location ? location(s, r) : '' }
}
