/**
 * Crash tests on radosgw: a fault before each S3 call of an append and of a completion in turn (every later call
 * failing too, as after a crash), then a new store instance (a restart) on the same bucket. The offset it reports is
 * never lower than the last one acknowledged (returned or passed to onProgress), the upload can be finished from
 * there, and its bytes are exact: so no offset ever counted bytes that were not stored. Then removal leaves nothing.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { newUploadId } from '@rufh/server'
import type { S3Store } from '../s3-store.js'
import { failFromCall, InjectedFault, onUploadPart, type PartRequest } from './faults.js'
import { MIN_PART_SIZE, readUpload, rgwForFile, testStore } from './rgw.js'

const clients: S3Client[] = []

const fixture = rgwForFile(clients)

/**
 * 1 KiB parts, tails above 256 bytes as objects: appends cross parts, and both kinds of tail occur; the record
 * rewritten after every 2 acknowledged parts, so that appends also write records between parts.
 */
function store(
  prefix: string,
  fault?: number,
  partMemory?: number,
): { s: S3Store; calls: string[]; parts: PartRequest[] } {
  const client = fixture.rgw.client()
  clients.push(client)
  const calls = fault !== undefined ? failFromCall(client, fault).calls : []
  const parts = onUploadPart(client)
  const s = testStore(fixture, client, prefix, {
    inlineTail: 256,
    recordEvery: 2 * MIN_PART_SIZE,
    ...(partMemory !== undefined ? { partMemory } : {}),
  })
  return { s, calls, parts }
}

function bytes(n: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 255))
}

async function* chunked(b: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < b.byteLength; i += size) yield b.subarray(i, i + size)
}

/** After remove(), no object and no multipart upload of the upload is left, whatever a crash left behind. */
async function assertRemoved(s: S3Store, prefix: string): Promise<void> {
  await s.remove((await s.list()[Symbol.asyncIterator]().next()).value?.id ?? '')
  const client = fixture.rgw.client()
  clients.push(client)
  const objects = await client.send(new ListObjectsV2Command({ Bucket: fixture.bucket, Prefix: prefix }))
  assert.deepEqual(objects.Contents?.map((o) => o.Key) ?? [], [])
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: fixture.bucket, Prefix: prefix }))
  assert.deepEqual(uploads.Uploads ?? [], [])
}

// What is stored before the append under test: a part and a tail object, after three appends whose tails were all
// objects (so that the append under test also deletes the tail the previous append kept for undo).
const PREP = [bytes(700, 1), bytes(700, 2), bytes(300, 3)]
const BODY = bytes(2600, 4)
const DATA = Buffer.concat([...PREP, BODY])

describe('S3Store crash safety on radosgw', { timeout: 300_000 }, () => {
  // Without the body's length every part is held first; with it, the 3 parts are streamed as they fill (part-stream.ts),
  // with a copy in part memory or, with none (part memory 0), with no copy at all: a failed part then fails the append.
  for (const [bodyLength, partMemory] of [
    [undefined, undefined],
    [BODY.byteLength, undefined],
    [BODY.byteLength, 0],
  ])
    test(`append${bodyLength === undefined ? '' : partMemory === 0 ? ' (parts streamed, no copy)' : ' (parts streamed)'}: a crash before any of its S3 calls never lowers the acknowledged offset nor counts unstored bytes`, async () => {
      let made: string[] = []
      for (let n = 1; ; n++) {
        const prefix = `append-${bodyLength ?? 'held'}-${partMemory ?? 'mem'}-${n}/`
        const id = newUploadId()
        const prep = store(prefix).s
        await prep.create({ id, length: undefined, expiresAt: undefined, metadata: {} })
        let acked = 0
        for (const p of PREP) acked = await prep.append(id, acked, chunked(p, 128))
        const { s, calls, parts } = store(prefix, n, partMemory)
        const progress: number[] = []
        let crashed = false
        try {
          acked = await s.append(id, acked, chunked(BODY, 300), { onProgress: (o) => progress.push(o), bodyLength })
        } catch (e) {
          assert.ok(e instanceof InjectedFault, String(e))
          crashed = true
        }
        acked = Math.max(acked, ...progress)
        const after = store(prefix).s
        const offset = (await after.get(id)).offset
        assert.ok(offset >= acked, `fault at call ${n} (${calls.at(-1)}): offset ${offset} < acknowledged ${acked}`)
        assert.ok(offset <= DATA.byteLength)
        if (offset < DATA.byteLength) await after.append(id, offset, chunked(DATA.subarray(offset), 700))
        await after.update(id, { complete: true })
        assert.ok((await readUpload(after, id)).equals(DATA), `fault at call ${n} (${calls.at(-1)}): bytes differ`)
        await assertRemoved(after, prefix)
        if (!crashed) {
          made = calls
          // The run without a fault: each part went the way this case means (streamed or held first).
          const way = bodyLength !== undefined ? 'stream' : 'buffer'
          assert.deepEqual(
            parts.map((p) => p.body),
            [way, way, way],
          )
          break
        }
      }
      // The append reads the record and the tail, uploads 3 parts, writes the record after them and after the new
      // (inline) tail, and deletes the previous append's undo tail; parts acknowledged together may share a record PUT,
      // so the number of PUTs varies with timing.
      const count = (name: string) => made.filter((c) => c === name).length
      assert.ok(count('GetObjectCommand') >= 2, made.join(' '))
      assert.equal(count('UploadPartCommand'), 3, made.join(' '))
      assert.ok(count('PutObjectCommand') >= 2, made.join(' '))
      assert.equal(count('DeleteObjectCommand'), 1, made.join(' '))
    })

  const cases: [string, Buffer[]][] = [
    ['parts and a tail object', [bytes(2500, 5)]],
    ['parts and an inline tail', [bytes(2100, 6)]],
    ['parts and no tail', [bytes(2048, 7)]],
    ['a tail object only', [bytes(900, 8)]],
    ['an inline tail only', [bytes(5, 9)]],
    ['no bytes at all', []],
  ]
  for (const [what, parts] of cases)
    test(`completion of an upload with ${what}: a crash before any of its S3 calls never loses it`, async () => {
      const data = Buffer.concat(parts)
      for (let n = 1; ; n++) {
        const prefix = `finish-${what.replaceAll(' ', '-')}-${n}/`
        const id = newUploadId()
        const prep = store(prefix).s
        await prep.create({ id, length: data.byteLength, expiresAt: undefined, metadata: { filetype: 'text/plain' } })
        let at = 0
        for (const p of parts) at = await prep.append(id, at, chunked(p, 512))
        const { s, calls } = store(prefix, n)
        let crashed = false
        try {
          await s.update(id, { complete: true })
        } catch (e) {
          assert.ok(e instanceof InjectedFault, String(e))
          crashed = true
        }
        const after = store(prefix).s
        const info = await after.get(id)
        assert.equal(info.offset, data.byteLength, `fault at call ${n} (${calls.at(-1)})`)
        if (!crashed) assert.equal(info.complete, true)
        if (!info.complete) assert.equal((await after.update(id, { complete: true })).complete, true)
        assert.ok((await readUpload(after, id)).equals(data), `fault at call ${n} (${calls.at(-1)}): bytes differ`)
        await assertRemoved(after, prefix)
        if (!crashed) break
      }
    })
})
