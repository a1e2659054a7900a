/**
 * What two `rufh gateway` processes on one store and one Redis must do as one (run on a shared folder by
 * processes.test.ts, on a shared S3 bucket by s3.test.ts): an upload created through one and cut is resumed and
 * completed through the other, and the backend sees one request; a final response lost on one is recovered from
 * the other.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { type Backend, send, sha256, until } from './kit.js'

const v9 = { 'upload-draft-interop-version': '9' }
const partial = { 'content-type': 'application/partial-upload' }

/** The same URL on another node's origin. */
export const on = (url: string, origin: string) => url.replace(/^https?:\/\/[^/]+/, origin)

interface Seen {
  sha256: string
  size: number
  method: string
  path: string
  headers: Record<string, string>
}

/** Returns the upload's ID. */
export async function resumeAcross(a: string, b: string, backend: Backend): Promise<string> {
  const data = randomBytes(800_000)
  const before = backend.received.length
  // Created through `a` with a first part (stored before the 201), then an append on `a` cut mid-body.
  const created = await send(`${a}/photos/across?album=1`, {
    method: 'POST',
    headers: { ...v9, 'upload-complete': '?0', 'content-length': 200_000, 'content-type': 'image/jpeg', 'x-app': 'a' },
    body: data.subarray(0, 200_000),
  })
  assert.equal(created.status, 201, created.body)
  const location = String(created.headers['location'])
  const cut = await send(location, {
    method: 'PATCH',
    headers: { ...v9, ...partial, 'upload-offset': 200_000, 'upload-complete': '?1' },
    body: data.subarray(200_000),
    cutAfter: 200_000,
  })
  assert.equal(cut.status, 0, 'cut before the answer')
  // `b` reports what `a` stored: at least the first part, at most what was sent.
  const url = on(location, b)
  const head = await send(url, { method: 'HEAD', headers: v9 })
  assert.equal(head.status, 204, head.body)
  const offset = Number(head.headers['upload-offset'])
  assert.ok(offset >= 200_000 && offset <= 400_000, `offset ${offset}`)
  assert.equal(backend.received.length, before, 'nothing forwarded before completion')
  const done = await send(url, {
    method: 'PATCH',
    headers: { ...v9, ...partial, 'upload-offset': offset, 'upload-complete': '?1' },
    body: data.subarray(offset),
  })
  assert.equal(done.status, 201, done.body)
  const seen = JSON.parse(done.body) as Seen
  assert.equal(seen.sha256, sha256(data))
  const id = new URL(url).pathname.split('/').pop() as string
  const got = backend.received.slice(before)
  assert.equal(got.length, 1, 'exactly one backend request')
  const r = got[0]!
  assert.ok(r.complete)
  assert.equal(r.size, data.length)
  assert.equal(r.sha256, sha256(data))
  assert.equal(r.method, 'POST')
  assert.equal(r.path, '/photos/across?album=1')
  assert.equal(r.headers['content-length'], String(data.length))
  assert.equal(r.headers['content-type'], 'image/jpeg')
  assert.equal(r.headers['x-app'], 'a')
  assert.equal(r.headers['idempotency-key'], `"${id}"`)
  return id
}

/** Returns the upload's ID. */
export async function lostAnswerAcross(a: string, b: string, backend: Backend): Promise<string> {
  const data = randomBytes(200_000)
  const created = await send(`${a}/photos/lost`, { method: 'POST', headers: { ...v9, 'upload-complete': '?0' } })
  assert.equal(created.status, 201, created.body)
  const url = String(created.headers['location'])
  const id = new URL(url).pathname.split('/').pop() as string
  const before = backend.received.length
  backend.delayMs = 1_500
  try {
    // The whole completing append is sent; once the forward has reached the backend (which answers 1.5 s later),
    // the client's connection drops: the final response is lost.
    const lost = request(url, {
      method: 'PATCH',
      agent: false,
      headers: { ...v9, ...partial, 'upload-offset': 0, 'upload-complete': '?1', 'content-length': data.length },
    })
    let answered = false
    lost.on('response', () => (answered = true))
    lost.on('error', () => {})
    lost.end(data)
    await backend.arrived(before + 1)
    lost.destroy()
    assert.equal(answered, false, 'the final response was lost')
    await until(() => backend.received[before]?.complete === true, 10_000, 'the forward to complete')
    // The other process: a repeated completing append (0 bytes at the final offset) gets the kept answer.
    const again = await send(on(url, b), {
      method: 'PATCH',
      headers: { ...v9, ...partial, 'upload-offset': data.length, 'upload-complete': '?1', 'content-length': 0 },
    })
    assert.equal(again.status, 201, again.body)
    assert.equal((JSON.parse(again.body) as Seen).sha256, sha256(data))
    assert.equal(again.headers['x-backend'], 'plain')
    // And a GET of the upload is the kept answer too (how a client of a version without that repeat recovers it).
    const get = await send(on(url, b), { method: 'GET' })
    assert.equal(get.status, 201)
    assert.equal(get.body, again.body)
  } finally {
    backend.delayMs = 0
  }
  const got = backend.received.slice(before)
  assert.equal(got.length, 1, 'delivered once')
  assert.equal(got[0]?.sha256, sha256(data))
  assert.equal(got[0]?.headers['idempotency-key'], `"${id}"`)
  return id
}
