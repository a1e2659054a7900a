/**
 * Spool mode survives kill -9 at any moment: while receiving (the client resumes from the offset the restarted
 * gateway reports) and while forwarding (the restarted gateway delivers what was complete but not delivered). Either
 * way the backend ends with exactly one complete request for the upload, carrying the upload's Idempotency-Key
 * (delivery is at least once: a forward cut by the kill shows up as an aborted request before it).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type ChildGateway, spawnGateway } from './child.js'
import { type Backend, send, sha256, startBackend, until } from './kit.js'

const MiB = 1024 * 1024
let backend: Backend
let dir: string
const children: ChildGateway[] = []
before(async () => {
  backend = await startBackend()
  dir = await mkdtemp(join(tmpdir(), 'rufh-gw-crash-'))
})
after(async () => {
  for (const c of children) await c.kill9()
  await backend.close()
  await rm(dir, { recursive: true, force: true })
})

async function gateway(sub: string): Promise<ChildGateway> {
  const c = await spawnGateway(['--backend', backend.url, '--dir', join(dir, sub)])
  children.push(c)
  return c
}

const v9 = { 'upload-draft-interop-version': '9' }

test('kill -9 while receiving: restart, resume, one complete backend request', { timeout: 60_000 }, async () => {
  const data = randomBytes(8 * MiB)
  let gw = await gateway('receiving')
  // A creation that carries everything, sent in pieces; the gateway dies in the middle of it.
  const location = await new Promise<string>((resolve, reject) => {
    const req = request(`${gw.url}/albums/1/photos`, {
      method: 'POST',
      agent: false,
      headers: { ...v9, 'upload-complete': '?1', 'content-length': data.length, 'content-type': 'image/jpeg' },
    })
    req.on('error', () => {})
    req.on('information', (i) => {
      if (i.statusCode === 104) resolve(String(i.headers['location']))
    })
    req.write(data.subarray(0, 3 * MiB))
    setTimeout(() => reject(new Error('no 104')), 10_000)
  })
  // (Not by offset retrieval: a HEAD stops the transfer in progress, as the protocol lets it.)
  const file = join(dir, 'receiving', 'uploads', location.slice(location.lastIndexOf('/') + 1))
  await until(async () => (await stat(file)).size >= 1 * MiB, 10_000, 'bytes on disk')
  await gw.kill9()
  assert.equal(backend.received.length, 0, 'nothing reaches the backend before completion')
  gw = await gateway('receiving')
  const url = location.replace(/^http:\/\/[^/]+/, gw.url)
  const head = await send(url, { method: 'HEAD', headers: v9 })
  assert.equal(head.status, 204)
  const offset = Number(head.headers['upload-offset'])
  assert.ok(offset > 0 && offset <= 3 * MiB, `offset ${offset}`)
  const done = await send(url, {
    method: 'PATCH',
    headers: { ...v9, 'upload-offset': offset, 'upload-complete': '?1', 'content-type': 'application/partial-upload' },
    body: data.subarray(offset),
  })
  assert.equal(done.status, 201, done.body)
  const answer = JSON.parse(done.body) as { sha256: string; path: string; headers: Record<string, string> }
  assert.equal(answer.sha256, sha256(data))
  assert.equal(answer.path, '/albums/1/photos')
  assert.equal(answer.headers['content-type'], 'image/jpeg')
  const id = url.slice(url.lastIndexOf('/') + 1)
  assert.deepEqual(
    backend.complete().map((r) => r.headers['idempotency-key']),
    [`"${id}"`],
  )
  assert.equal(backend.received.length, 1)
})

test('kill -9 while forwarding: the restarted gateway delivers; a lost final response is recovered', {
  timeout: 60_000,
}, async () => {
  const n = backend.received.length
  const data = randomBytes(24 * MiB)
  // The backend reads slowly (and more than the sockets' buffers hold), so that the kill lands in the middle of the forward.
  backend.onChunk = () => new Promise((r) => setTimeout(r, 5))
  let gw = await gateway('forwarding')
  const create = await send(`${gw.url}/inbox`, {
    method: 'POST',
    headers: { ...v9, 'upload-complete': '?0', 'content-length': 0 },
  })
  assert.equal(create.status, 201)
  const location = String(create.headers['location'])
  const completing = send(location, {
    method: 'PATCH',
    headers: { ...v9, 'upload-offset': 0, 'upload-complete': '?1', 'content-type': 'application/partial-upload' },
    body: data,
  }).catch(() => undefined)
  await until(() => (backend.received[n]?.size ?? 0) > 256 * 1024, 20_000, 'the forward to start')
  await gw.kill9()
  await completing
  await until(() => backend.received[n]?.complete === false && backend.received.length === n + 1, 5_000, 'abort')
  backend.onChunk = undefined
  gw = await gateway('forwarding')
  const url = location.replace(/^http:\/\/[^/]+/, gw.url)
  await until(() => backend.complete().length === 2, 20_000, 'redelivery at start')
  const id = url.slice(url.lastIndexOf('/') + 1)
  const delivered = backend.received.slice(n)
  assert.deepEqual(
    delivered.map((r) => [r.complete, r.headers['idempotency-key']]),
    [
      [false, `"${id}"`],
      [true, `"${id}"`],
    ],
  )
  assert.equal(delivered[1]?.sha256, sha256(data))
  // The client lost the final response. draft-12: a repeated completing append gets the backend's answer again...
  const again = await send(url, {
    method: 'PATCH',
    headers: {
      ...v9,
      'upload-offset': data.length,
      'upload-complete': '?1',
      'content-length': 0,
      'content-type': 'application/partial-upload',
    },
  })
  assert.equal(again.status, 201, again.body)
  assert.equal((JSON.parse(again.body) as { sha256: string }).sha256, sha256(data))
  assert.equal(again.headers['upload-complete'], '?1')
  // ...and so does a GET of the upload, whatever the client's version; the backend is not called again.
  const got = await send(url, { headers: { 'upload-draft-interop-version': '6' } })
  assert.equal(got.status, 201)
  assert.equal((JSON.parse(got.body) as { sha256: string }).sha256, sha256(data))
  assert.equal(backend.received.length, n + 2)
})
