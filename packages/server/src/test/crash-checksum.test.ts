/**
 * kill -9 inside a tus checksummed append (issue 13): the bytes of a PATCH with `Upload-Checksum` reach the store
 * before their digest can be checked. `rufh serve` is killed while such bodies, with a wrong digest, are stored but not
 * yet verified: one mid-stream, one with every byte up to the upload's length stored (chunked, its last chunk never
 * sent). After a restart the offset is the one acknowledged before the bad PATCH, the data file holds exactly the
 * acknowledged bytes, the upload that had reached its length is not completed with unverified bytes, and both finish
 * byte-exact.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { header, send } from './kit/index.js'
import { type ServeProcess, serveChildren, spawnServe } from './kit/serve.js'

const LIMIT_MS = 60_000
const KiB = 1024
const ACKED = 64 * KiB
const REST = 1024 * KiB
const T = { 'tus-resumable': '1.0.0' }
const OCTETS = { 'content-type': 'application/offset+octet-stream' }

let dir = ''
after(async () => {
  for (const c of serveChildren) c.kill('SIGKILL')
  if (dir) await rm(dir, { recursive: true, force: true })
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const sha1 = (b: Buffer) => `sha1 ${createHash('sha1').update(b).digest('base64')}`
const idOf = (url: string) => new URL(url).pathname.split('/').pop() ?? ''
const relocate = (location: string, base: string) => new URL(new URL(location).pathname, base).href

function kill9(s: ServeProcess): Promise<void> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve()
    s.child.once('exit', () => resolve())
    s.child.kill('SIGKILL')
  })
}

/** Waits until the upload's data file holds at least `n` bytes (the server stored what it was sent). */
async function sizeReaches(id: string, n: number): Promise<void> {
  const deadline = Date.now() + 20_000
  while ((await stat(join(dir, id))).size < n) {
    if (Date.now() > deadline) throw new Error(`upload ${id} never reached ${n} bytes`)
    await sleep(5)
  }
}

/** A tus upload of `file.length` bytes whose first ACKED bytes are acknowledged by a verified PATCH. */
async function acknowledged(base: string, file: Buffer): Promise<string> {
  const c = await send(base, { method: 'POST', headers: { ...T, 'upload-length': String(file.length) } })
  assert.equal(c.status, 201)
  const url = header(c, 'location') ?? ''
  const first = file.subarray(0, ACKED)
  const p = await send(url, {
    method: 'PATCH',
    headers: { ...T, ...OCTETS, 'upload-offset': '0', 'upload-checksum': sha1(first) },
    body: first,
  })
  assert.equal(p.status, 204, p.body)
  assert.equal(header(p, 'upload-offset'), String(ACKED))
  return url
}

/** Starts a PATCH at ACKED whose digest is wrong and writes `bytes` of its body (chunked unless `length` is given). */
function badPatch(url: string, body: Buffer, length?: number): void {
  const req = request(url, {
    method: 'PATCH',
    agent: false,
    headers: {
      ...T,
      ...OCTETS,
      'upload-offset': String(ACKED),
      'upload-checksum': sha1(Buffer.from('not these bytes')),
      ...(length !== undefined ? { 'content-length': length } : {}),
    },
  })
  req.on('error', () => {})
  req.on('response', (res) => res.resume())
  req.write(body)
}

interface Info {
  checkpoint?: number
  complete: boolean
}
const infoOf = async (id: string) => JSON.parse(await readFile(join(dir, `${id}.json`), 'utf8')) as Info

async function finishWithRightBytes(url: string, file: Buffer): Promise<void> {
  const rest = file.subarray(ACKED)
  const p = await send(url, {
    method: 'PATCH',
    headers: { ...T, ...OCTETS, 'upload-offset': String(ACKED), 'upload-checksum': sha1(rest) },
    body: rest,
  })
  assert.equal(p.status, 204, p.body)
  assert.equal(header(p, 'upload-offset'), String(file.length))
  const got = await send(url)
  assert.equal(got.status, 200)
  assert.ok((await readFile(join(dir, idOf(url)))).equals(file), 'the finished upload is byte-exact')
}

test('kill -9 while a wrong-digest PATCH is stored but unverified: the offset is the acknowledged one', {
  timeout: LIMIT_MS,
}, async () => {
  dir = await mkdtemp(join(tmpdir(), 'rufh-crash-sum-'))
  const srv = await spawnServe(dir)
  const midFile = randomBytes(ACKED + REST)
  const fullFile = randomBytes(ACKED + REST)
  const mid = await acknowledged(srv.url, midFile)
  const full = await acknowledged(srv.url, fullFile)
  // Different bytes from the ones finally sent, so that any kept unverified byte shows up in the final comparison.
  badPatch(mid, randomBytes(256 * KiB), REST)
  badPatch(full, randomBytes(REST))
  await Promise.all([sizeReaches(idOf(mid), ACKED + 256 * KiB), sizeReaches(idOf(full), ACKED + REST)])
  await kill9(srv)

  // The window was hit: unverified bytes on disk past the checkpoint the server recorded first.
  for (const url of [mid, full]) {
    assert.equal((await infoOf(idOf(url))).checkpoint, ACKED, 'the checkpoint is recorded before the bytes')
    assert.ok((await stat(join(dir, idOf(url)))).size > ACKED)
  }
  assert.equal((await stat(join(dir, idOf(full)))).size, fullFile.length, 'every byte up to the length is stored')

  const again = await spawnServe(dir)
  const [midUrl, fullUrl] = [relocate(mid, again.url), relocate(full, again.url)]
  // At its length but unverified: a GET must not complete it (it would serve bytes whose digest never matched).
  const got = await send(fullUrl)
  assert.equal(got.status, 409, `GET answered ${got.status}`)
  assert.match(String(header(got, 'content-type')), /problem\+json/)
  assert.equal((await infoOf(idOf(fullUrl))).complete, false)
  // A tus client resuming asks first: the acknowledged offset.
  for (const url of [midUrl, fullUrl]) {
    const h = await send(url, { method: 'HEAD', headers: T })
    assert.equal(header(h, 'upload-offset'), String(ACKED))
    assert.ok((await readFile(join(dir, idOf(url)))).equals((url === midUrl ? midFile : fullFile).subarray(0, ACKED)))
    assert.equal((await infoOf(idOf(url))).checkpoint, undefined, 'the repair clears the checkpoint')
  }
  await finishWithRightBytes(midUrl, midFile)
  await finishWithRightBytes(fullUrl, fullFile)
  await kill9(again)
})

test('kill -9 inside a wrong-digest PATCH, then a PATCH at the acknowledged offset without a HEAD', {
  timeout: LIMIT_MS,
}, async () => {
  dir = await mkdtemp(join(tmpdir(), 'rufh-crash-sum-'))
  const srv = await spawnServe(dir)
  const file = randomBytes(ACKED + REST)
  const url = await acknowledged(srv.url, file)
  badPatch(url, randomBytes(300 * KiB), REST)
  await sizeReaches(idOf(url), ACKED + 300 * KiB)
  await kill9(srv)
  assert.equal((await infoOf(idOf(url))).checkpoint, ACKED)
  const again = await spawnServe(dir)
  // Without the repair this PATCH would meet the unverified bytes' offset (409) or append after them.
  await finishWithRightBytes(relocate(url, again.url), file)
  await kill9(again)
})
