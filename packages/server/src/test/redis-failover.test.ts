/**
 * A node killed with kill -9 while it holds an upload's Redis lock (a PATCH trickling into it) blocks that upload on
 * the other nodes only until the lock's lifetime runs out (`--redis-lock-ttl`, 4 s by default; lockers/redis-locker.ts),
 * which is well under the server's 10 s lock wait: a HEAD on another node is served (never 423) within that bound,
 * and the upload completes there with the bytes the dead node had stored. Two real `rufh serve` processes, one
 * shared folder, one real redis-server.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it, type TestContext } from 'node:test'
import { DEFAULT_LOCK_TTL_MS } from '../lockers/redis-locker.js'
import { send } from './kit/index.js'
import { type RedisProcess, startRedis } from './kit/redis.js'
import { serveChildren, spawnServe } from './kit/serve.js'

let redis: RedisProcess
const dirs: string[] = []

before(async () => {
  redis = await startRedis()
})
after(async () => {
  for (const child of serveChildren) child.kill('SIGKILL')
  await redis.stop()
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

const TUS = { 'tus-resumable': '1.0.0' }
const TOTAL = 1024 * 1024
const data = Buffer.from(Array.from({ length: TOTAL }, (_, i) => (i * 31 + 7) & 255))
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

/** Kills node A mid-PATCH; returns how long after the kill a HEAD on node B was answered, and with what. */
async function killHolderThenHead(t: TestContext, ttl: string[]) {
  const dir = await mkdtemp(join(tmpdir(), 'rufh-failover-'))
  dirs.push(dir)
  const flags = ['--redis', redis.url, ...ttl]
  const [a, b] = await Promise.all([spawnServe(dir, flags), spawnServe(dir, flags)])
  const created = await send(a.url, { method: 'POST', headers: { ...TUS, 'upload-length': TOTAL } })
  assert.equal(created.status, 201)
  const path = new URL(String(created.headers.location), a.url).pathname
  // A PATCH trickling into A: the first 256 KiB now, the rest never (A dies holding the upload's lock).
  const sent = 256 * 1024
  const req = request(new URL(path, a.url), {
    method: 'PATCH',
    agent: false,
    headers: { ...TUS, 'upload-offset': 0, 'content-type': 'application/offset+octet-stream', 'content-length': TOTAL },
  })
  req.on('error', () => {})
  req.write(data.subarray(0, sent))
  await new Promise((r) => setTimeout(r, 500)) // let A store what arrived
  a.child.kill('SIGKILL')
  await a.exited
  const killedAt = Date.now()
  const head = await send(new URL(path, b.url).href, { method: 'HEAD', headers: TUS })
  const waited = Date.now() - killedAt
  t.diagnostic(
    `HEAD on node B answered ${head.status} ${waited} ms after kill -9 of node A (${ttl.join(' ') || 'default'})`,
  )
  const offset = Number(head.headers['upload-offset'])
  // The upload completes on B from the offset B reports: A's stored bytes and B's make the exact file.
  const rest = await send(new URL(path, b.url).href, {
    method: 'PATCH',
    headers: { ...TUS, 'upload-offset': offset, 'content-type': 'application/offset+octet-stream' },
    body: data.subarray(offset),
  })
  const got = await new Promise<Buffer>((resolve, reject) => {
    request(new URL(path, b.url), { headers: TUS }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve(Buffer.concat(parts)))
    })
      .on('error', reject)
      .end()
  })
  b.child.kill('SIGTERM')
  await b.exited
  return { status: head.status, waited, offset, sent, rest: rest.status, got }
}

describe('kill -9 of the node holding an upload (two rufh serve, one folder, redis-server)', {
  timeout: 60_000,
}, () => {
  it(`the default lock lifetime (${DEFAULT_LOCK_TTL_MS} ms) bounds the wait on another node; no 423`, async (t) => {
    const r = await killHolderThenHead(t, [])
    assert.equal(r.status, 200, 'served, not 423')
    assert.ok(r.waited <= DEFAULT_LOCK_TTL_MS + 1500, `waited ${r.waited} ms`)
    assert.ok(r.offset > 0 && r.offset <= r.sent, `offset ${r.offset} of ${r.sent} sent`)
    assert.equal(r.rest, 204)
    assert.equal(sha(r.got), sha(data))
  })

  it('--redis-lock-ttl 1s makes the bound 1 s', async (t) => {
    const r = await killHolderThenHead(t, ['--redis-lock-ttl', '1s'])
    assert.equal(r.status, 200)
    assert.ok(r.waited <= 1000 + 1500, `waited ${r.waited} ms`)
    assert.equal(r.rest, 204)
    assert.equal(sha(r.got), sha(data))
  })
})
