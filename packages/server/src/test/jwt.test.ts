/**
 * Built-in bearer tokens (HS256 JWT, jose): 401 for missing, malformed, forged or expired tokens, 403 for another
 * principal's upload, expiry mid-upload refused at the next request, and completion re-checked when a token expires
 * while the body is still arriving. In process and as `rufh serve --jwt-secret-file`.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { SignJWT } from 'jose'
import { jwtAuthorizer } from '../auth/jwt.js'
import { draft, tus } from './kit/dialects.js'
import { header, type Result, startTestServer, type TestServer } from './kit/index.js'
import { serveChildren, spawnServe } from './kit/serve.js'

const SECRET = randomBytes(32).toString('base64url')
const servers: TestServer[] = []
after(async () => {
  for (const child of serveChildren) child.kill('SIGKILL')
  await Promise.all(servers.map((s) => s.close()))
})

async function serve(): Promise<TestServer> {
  const s = await startTestServer({ authorize: jwtAuthorizer({ secret: SECRET }) })
  servers.push(s)
  return s
}

/** A token for `sub` that expires `inSec` seconds from now (JWT times are whole seconds). */
async function token(sub: string | undefined, inSec = 600, secret = SECRET): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt()
  if (sub !== undefined) jwt.setSubject(sub)
  if (inSec !== Number.POSITIVE_INFINITY) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + inSec)
  return jwt.sign(new TextEncoder().encode(secret))
}
const bearer = (t: string) => ({ authorization: `Bearer ${t}` })
const idOf = (url: string) => url.split('/').pop()!
const location = (base: string, r: Result) => new URL(String(header(r, 'location')), base).href

function unauthorized(r: Result, why: RegExp): void {
  assert.equal(r.status, 401, r.body)
  assert.match(String(header(r, 'www-authenticate')), /^Bearer/)
  if (r.body) assert.match(JSON.parse(r.body).detail, why)
}

/** Waits until a token made with `exp = floor(t0) + n` has expired (jose: expired once `exp <= now`). */
async function untilExpired(exp: number): Promise<void> {
  while (Math.floor(Date.now() / 1000) < exp) await new Promise((r) => setTimeout(r, 50))
}

describe('JWT bearer tokens', { timeout: 60_000 }, () => {
  it('missing, malformed, forged, exp-less and expired tokens get 401 with a Bearer challenge; nothing is stored', async () => {
    const s = await serve()
    const d = draft(8)
    unauthorized(await d.create(s.url, 'abc', 3, true), /bearer token is required/)
    assert.equal(header(await d.create(s.url, 'abc', 3, true), 'www-authenticate'), 'Bearer')
    unauthorized(await d.create(s.url, 'abc', 3, true, { authorization: 'Bearer not.a.jwt' }), /not valid/)
    unauthorized(await d.create(s.url, 'abc', 3, true, { authorization: 'Basic YTpi' }), /required/)
    const forged = await token('alice', 600, randomBytes(32).toString('hex'))
    unauthorized(await d.create(s.url, 'abc', 3, true, bearer(forged)), /not valid/)
    const noExp = await token('alice', Number.POSITIVE_INFINITY)
    unauthorized(await d.create(s.url, 'abc', 3, true, bearer(noExp)), /not valid/)
    const noSub = await token(undefined)
    unauthorized(await d.create(s.url, 'abc', 3, true, bearer(noSub)), /not valid/)
    const expired = await token('alice', -5)
    const r = await d.create(s.url, 'abc', 3, true, bearer(expired))
    unauthorized(r, /expired/)
    assert.match(String(header(r, 'www-authenticate')), /error="invalid_token"/)
    assert.deepEqual(await readdir(s.dir), [])
  })

  it('a valid token of another principal gets 403 on the upload; its owner goes on', async () => {
    const s = await serve()
    const [alice, bob] = [await token('alice'), await token('bob')]
    const c = await tus.create(s.url, 'abc', 6, false, bearer(alice))
    assert.equal(c.status, 201, c.body)
    const url = location(s.url, c)
    assert.equal((await tus.append(url, 3, 'def', false, bearer(bob))).status, 403)
    assert.equal((await tus.retrieve(url, bearer(bob))).status, 403)
    assert.equal((await stat(join(s.dir, idOf(url)))).size, 3)
    assert.equal((await tus.append(url, 3, 'def', false, bearer(alice))).status, 204)
    assert.equal((await tus.download(url, bearer(bob))).status, 403)
    assert.equal((await tus.download(url, bearer(alice))).body, 'abcdef')
  })

  it('a token that expires mid-upload is refused at the next request; a fresh one of the same principal goes on', async () => {
    const s = await serve()
    const d = draft(6)
    const exp = Math.floor(Date.now() / 1000) + 2
    const short = await token('alice', exp - Math.floor(Date.now() / 1000))
    const c = await d.create(s.url, 'abc', 9, false, bearer(short))
    assert.equal(c.status, 201, c.body)
    const url = location(s.url, c)
    await untilExpired(exp)
    unauthorized(await d.append(url, 3, 'def', false, bearer(short)), /expired/)
    assert.equal((await stat(join(s.dir, idOf(url)))).size, 3, 'the refused append stored nothing')
    const fresh = await token('alice')
    assert.equal((await d.append(url, 3, 'defghi', true, bearer(fresh))).status, 201)
  })

  it('completion asks again: a token that expired while the body arrived leaves the upload incomplete', async () => {
    const s = await serve()
    const d = draft(8)
    const fresh = await token('alice')
    const c = await d.create(s.url, 'ab', 8, false, bearer(fresh))
    const url = location(s.url, c)
    const exp = Math.floor(Date.now() / 1000) + 2
    const short = await token('alice', exp - Math.floor(Date.now() / 1000))
    // The completing append is authorized when it starts; its last byte arrives after the token expired.
    const r = await slowAppend(url, ['cd', 'ef', 'gh'], exp, {
      'upload-draft-interop-version': '8',
      'upload-offset': '2',
      'upload-complete': '?1',
      'content-type': 'application/partial-upload',
      ...bearer(short),
    })
    unauthorized(r, /expired/)
    const h = await d.retrieve(url, bearer(fresh))
    assert.equal(header(h, 'upload-offset'), '8', 'the bytes are stored')
    assert.equal(header(h, 'upload-complete'), '?0', 'but the upload is not complete')
    const done = await d.append(url, 8, '', true, bearer(fresh))
    assert.ok(done.status >= 200 && done.status < 300, `${done.status} ${done.body}`)
    assert.equal((await d.download(url, bearer(fresh))).body, 'abcdefgh')
  })

  it('`rufh serve --jwt-secret-file FILE` checks tokens; a short secret is a usage error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rufh-jwt-'))
    try {
      const file = join(dir, 'secret')
      await writeFile(file, `${SECRET}\n`)
      const p = await spawnServe(join(dir, 'up'), ['--jwt-secret-file', file])
      const d = tus
      unauthorized(await d.create(p.url, 'abc', 3, false), /required/)
      const c = await d.create(p.url, 'abc', 3, false, bearer(await token('alice')))
      assert.equal(c.status, 201, c.body)
      const url = location(p.url, c)
      assert.equal((await d.retrieve(url, bearer(await token('bob')))).status, 403)
      assert.equal(header(await d.retrieve(url, bearer(await token('alice'))), 'upload-offset'), '3')
      p.child.kill('SIGTERM')
      assert.equal((await p.exited).code, 0)
      await writeFile(file, 'short\n')
      await assert.rejects(spawnServe(join(dir, 'up'), ['--jwt-secret-file', file]), /exited \(2\).*at least 32 bytes/s)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

/** A PATCH whose chunks are written one by one, the last after `exp` (epoch seconds) has passed. */
function slowAppend(url: string, chunks: string[], exp: number, headers: Record<string, string>): Promise<Result> {
  return new Promise((resolve, reject) => {
    const length = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0)
    const req = request(
      url,
      { method: 'PATCH', headers: { ...headers, 'content-length': length }, agent: false },
      (res) => {
        let body = ''
        res.on('data', (c: Buffer) => {
          body += c.toString()
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, interim: [] }))
      },
    )
    req.on('error', reject)
    const write = async () => {
      for (const [i, c] of chunks.entries()) {
        if (i === chunks.length - 1) await untilExpired(exp)
        else await new Promise((r) => setTimeout(r, 100))
        req.write(c)
      }
      req.end()
    }
    write().catch(reject)
  })
}
