/**
 * Parts streamed to S3 while they fill (part-stream.ts), on radosgw: which parts are streamed, a body cut or failing
 * inside a streamed part (its bytes kept as the tail, as when parts are held), a streamed part resent from its copy,
 * a streamed part with no copy (part memory full, no spooling) cut or failed (the committed offset, resumed exactly),
 * and back-pressure from a stalled S3 onto the body.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { describe, test } from 'node:test'
import { ListMultipartUploadsCommand, ListPartsCommand, type S3Client } from '@aws-sdk/client-s3'
import { newUploadId } from '@rufh/server'
import { STREAM_AHEAD } from '../part-stream.js'
import { onUploadPart, type PartRequest } from './faults.js'
import { readUpload, rgwForFile, testStore } from './rgw.js'

const clients: S3Client[] = []
const dirs: string[] = []

const fixture = rgwForFile(clients, [
  async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  },
])

/** Parts well above `STREAM_AHEAD`, so that how far the body was read tells streamed parts from held ones. */
const P = 1024 * 1024
const CHUNK = 16 * 1024

let n = 0
async function store(
  o: { partMemory?: number; spool?: boolean; hook?: (r: PartRequest) => Promise<void> | void } = {},
) {
  const client = fixture.rgw.client()
  clients.push(client)
  const seen = onUploadPart(client, o.hook)
  const tempDir = await mkdtemp(join(tmpdir(), 'rufh-part-stream-'))
  dirs.push(tempDir)
  const prefix = `stream-${++n}/`
  const s = testStore(fixture, client, prefix, {
    partSize: P,
    tempDir,
    ...(o.partMemory !== undefined ? { partMemory: o.partMemory } : {}),
    ...(o.spool ? { spoolStreamedParts: true } : {}),
  })
  const id = newUploadId()
  await s.create({ id, length: undefined, expiresAt: undefined, metadata: {} })
  return { s, id, seen, client, prefix, tempDir }
}

function bytes(length: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed * 7 + (i >> 10)) & 255))
}

/** A body yielding `data` in chunks, up to `end` bytes, then ending or (`fail`) failing; `pulled` counts bytes read. */
function source(data: Buffer, o: { end?: number; fail?: boolean } = {}) {
  const state = { pulled: 0 }
  const end = o.end ?? data.byteLength
  async function* body(): AsyncIterable<Uint8Array> {
    for (let i = 0; i < end; i += CHUNK) {
      const c = data.subarray(i, Math.min(i + CHUNK, end))
      state.pulled += c.byteLength
      yield c
    }
    if (o.fail) throw new Error('the client went away')
  }
  return { body: body(), state }
}

/** The part numbers S3 holds for the upload's multipart upload (what was really stored, not what the record says). */
async function storedParts(client: S3Client, prefix: string): Promise<number[]> {
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: fixture.bucket, Prefix: prefix }))
  const u = uploads.Uploads?.[0]
  if (!u) return []
  const parts = await client.send(new ListPartsCommand({ Bucket: fixture.bucket, Key: u.Key, UploadId: u.UploadId }))
  return parts.Parts?.map((p) => p.PartNumber ?? 0) ?? []
}

describe('S3Store streamed parts on radosgw', { timeout: 300_000 }, () => {
  test('a body of 2.5 parts with its length: the 2 full parts are streamed as they arrive, bytes exact', async () => {
    const pulledAt: number[] = []
    let state = { pulled: 0 }
    const { s, id, seen, tempDir } = await store({ partMemory: 0, hook: () => void pulledAt.push(state.pulled) })
    // A tail first (inline): the first streamed part starts with it.
    const data = bytes(300 + 2.5 * P, 1)
    assert.equal(await s.append(id, 0, source(data.subarray(0, 300)).body), 300)
    const src = source(data.subarray(300))
    state = src.state
    assert.equal(await s.append(id, 300, src.body, { bodyLength: 2.5 * P }), data.byteLength)
    assert.deepEqual(
      seen.map((r) => [r.part, r.body]),
      [
        [1, 'stream'],
        [2, 'stream'],
      ],
    )
    // Each part's request began before the body had given that part's bytes: streamed, not held first.
    assert.ok((pulledAt[0] as number) < P - 300, `part 1 sent after ${pulledAt[0]} bytes`)
    assert.ok((pulledAt[1] as number) < 2 * P - 300, `part 2 sent after ${pulledAt[1]} bytes`)
    await s.update(id, { complete: true })
    assert.ok((await readUpload(s, id)).equals(data))
    assert.deepEqual(await readdir(tempDir), [], 'every copy (a file: no part memory) removed')
  })

  for (const fail of [false, true])
    test(`a body that ${fail ? 'fails' : 'ends early'} inside a streamed part keeps what arrived as its tail, as held parts do`, async () => {
      const data = bytes(3 * P, fail ? 2 : 3)
      const cut = 1.5 * P + 1000
      const offsets: number[] = []
      for (const bodyLength of [3 * P, undefined]) {
        const { s, id, seen, client, prefix } = await store()
        const src = source(data, { end: cut, fail })
        const appended = s.append(id, 0, src.body, bodyLength !== undefined ? { bodyLength } : {})
        if (fail) await assert.rejects(appended, /the client went away/)
        else await appended
        const offset = (await s.get(id)).offset
        offsets.push(offset)
        if (bodyLength !== undefined) {
          assert.deepEqual(
            seen.map((r) => [r.part, r.body]),
            [
              [1, 'stream'],
              [2, 'stream'],
            ],
          )
          assert.deepEqual(await storedParts(client, prefix), [1], 'the cut part was aborted, not stored')
        }
        assert.equal(await s.append(id, offset, source(data.subarray(offset)).body), data.byteLength)
        await s.update(id, { complete: true })
        assert.ok((await readUpload(s, id)).equals(data), 'bytes exact after resuming')
      }
      assert.deepEqual(offsets, [cut, cut], 'streamed (first) and held (second) keep every byte received')
    })

  for (const partMemory of [undefined, 0])
    test(`a streamed part whose request fails midway is resent from its copy (${partMemory === 0 ? 'a file: spoolStreamedParts' : 'in memory'})`, async () => {
      let taken = 0
      const { s, id, seen, tempDir } = await store({
        ...(partMemory !== undefined ? { partMemory, spool: true } : {}),
        hook: async (r) => {
          if (r.part !== 1 || r.body !== 'stream') return
          // S3 takes some bytes, then the connection drops (no HTTP status: worth retrying).
          const body = r.raw as Readable
          await once(body, 'readable')
          taken = (body.read() as Buffer | null)?.byteLength ?? 0
          throw Object.assign(new Error('injected: connection reset'), { code: 'ECONNRESET' })
        },
      })
      const data = bytes(2 * P, 4)
      assert.equal(await s.append(id, 0, source(data).body, { bodyLength: 2 * P }), 2 * P)
      assert.ok(taken > 0, 'the failed request had taken bytes')
      assert.deepEqual(
        seen.filter((r) => r.part === 1).map((r) => r.body),
        ['stream', partMemory === 0 ? 'file' : 'buffer'],
      )
      await s.update(id, { complete: true })
      assert.ok((await readUpload(s, id)).equals(data))
      assert.deepEqual(await readdir(tempDir), [])
    })

  for (const tail of [0, 300])
    test(`part memory full, no spooling: a body cut inside a streamed part (no copy) keeps the parts before it${tail ? ' (the first starting with an old tail)' : ''}; resuming is exact`, async () => {
      const { s, id, seen, client, prefix, tempDir } = await store({ partMemory: 0 })
      const data = bytes(3 * P, 6 + tail)
      if (tail) assert.equal(await s.append(id, 0, source(data.subarray(0, tail)).body), tail)
      // Cut inside the second streamed part (the first holds the old tail, if any, and the body's first bytes).
      const cut = 1.5 * P
      const progress: number[] = []
      const offset = await s.append(id, tail, source(data.subarray(tail), { end: cut - tail }).body, {
        bodyLength: 3 * P - tail,
        onProgress: (o) => progress.push(o),
      })
      assert.equal(offset, P, 'the parts committed before the cut part: its bytes, none acknowledged, are lost')
      assert.equal((await s.get(id)).offset, P)
      assert.ok(Math.max(0, ...progress) <= P)
      assert.deepEqual(
        seen.map((r) => [r.part, r.body]),
        [
          [1, 'stream'],
          [2, 'stream'],
        ],
      )
      assert.deepEqual(await storedParts(client, prefix), [1], 'the cut part was aborted, not stored')
      assert.deepEqual(await readdir(tempDir), [], 'no copy written to disk')
      assert.equal(await s.append(id, P, source(data.subarray(P)).body, { bodyLength: 2 * P }), 3 * P)
      await s.update(id, { complete: true })
      assert.ok((await readUpload(s, id)).equals(data), 'bytes exact after resuming')
    })

  test('part memory full, no spooling: a cut inside the first streamed part leaves the old tail recorded', async () => {
    const { s, id } = await store({ partMemory: 0 })
    const data = bytes(2 * P, 9)
    assert.equal(await s.append(id, 0, source(data.subarray(0, 300)).body), 300)
    const offset = await s.append(id, 300, source(data.subarray(300), { end: P / 2 }).body, { bodyLength: 2 * P - 300 })
    assert.equal(offset, 300)
    assert.equal((await s.get(id)).offset, 300)
    assert.equal(await s.append(id, 300, source(data.subarray(300)).body), 2 * P)
    await s.update(id, { complete: true })
    assert.ok((await readUpload(s, id)).equals(data))
  })

  test('part memory full, no spooling: a streamed part S3 fails (worth retrying) fails the append at the committed offset', async () => {
    let failed = false
    const { s, id, seen, tempDir } = await store({
      partMemory: 0,
      hook: (r) => {
        if (r.part !== 2 || failed) return
        failed = true
        throw Object.assign(new Error('injected: connection reset'), { code: 'ECONNRESET' })
      },
    })
    const data = bytes(3 * P, 7)
    await assert.rejects(s.append(id, 0, source(data).body, { bodyLength: 3 * P }), /injected: connection reset/)
    assert.equal(seen.filter((r) => r.part === 2).length, 1, 'not resent: there is no copy to send')
    const offset = (await s.get(id)).offset
    assert.equal(offset, P, 'part 1, acknowledged before the failure, is recorded')
    assert.equal(await s.append(id, offset, source(data.subarray(offset)).body, { bodyLength: 3 * P - offset }), 3 * P)
    await s.update(id, { complete: true })
    assert.ok((await readUpload(s, id)).equals(data))
    assert.deepEqual(await readdir(tempDir), [])
  })

  test('a stalled S3 stops the body being read beyond STREAM_AHEAD and a chunk; it goes on once S3 does', async () => {
    let release = () => {}
    const stalled = new Promise<void>((r) => {
      release = r
    })
    const { s, id } = await store({ hook: (r) => (r.part === 1 ? stalled : undefined) })
    const data = bytes(3 * P, 5)
    const src = source(data)
    const appended = s.append(id, 0, src.body, { bodyLength: 3 * P })
    // Until the body has not been read further for half a second.
    for (let last = -1, since = Date.now(); Date.now() - since < 500; ) {
      if (src.state.pulled !== last) [last, since] = [src.state.pulled, Date.now()]
      await new Promise((r) => setTimeout(r, 20))
    }
    const pulled = src.state.pulled
    assert.ok(pulled > 0 && pulled <= STREAM_AHEAD + CHUNK, `${pulled} bytes read while S3 took none`)
    release()
    assert.equal(await appended, 3 * P)
    await s.update(id, { complete: true })
    assert.ok((await readUpload(s, id)).equals(data))
  })
})
