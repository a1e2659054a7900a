/**
 * The store contract (every optional capability) on a real radosgw, with parts small enough to cross often; then
 * thousands of 1-byte appends within the part limit, and a few large appends.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3'
import { LimitError } from '@rufh/protocol'
import { newUploadId } from '@rufh/server'
import { storeContract } from '@rufh/server/store-contract'
import { S3Store } from '../s3-store.js'
import { MIN_PART_SIZE, PART_LIMIT, type Rgw, startRgw } from './rgw.js'

let rgw: Rgw
let bucket: string
let n = 0

before(
  async () => {
    rgw = await startRgw()
    bucket = await rgw.bucket()
  },
  { timeout: 900_000 },
)
after(() => rgw?.stop())

describe('S3Store on radosgw', { timeout: 300_000 }, () => {
  for (const partSize of [8 * 1024, MIN_PART_SIZE])
    storeContract(
      `S3Store (${partSize}-byte parts)`,
      async () => {
        const client = rgw.client()
        const store = new S3Store({
          client,
          bucket,
          prefix: `contract-${++n}/`,
          partSize,
          minPartSize: MIN_PART_SIZE,
          maxParts: PART_LIMIT,
        })
        return { store, cleanup: async () => client.destroy() }
      },
      // With 1 KiB parts, 100 parts hold 100 KiB: smaller odd sizes.
      partSize === MIN_PART_SIZE ? { sizes: [1, 7, 1000, 1023, 1025, 4096 + 3, 2, 12_345, 30_001] } : {},
    )
})

async function* slices(b: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < b.byteLength; i += size) yield b.subarray(i, i + size)
}

async function readAll(s: S3Store, id: string): Promise<Buffer> {
  const out: Uint8Array[] = []
  for await (const c of s.read(id)) out.push(c)
  return Buffer.concat(out)
}

describe('S3Store appends on radosgw', { timeout: 300_000 }, () => {
  test('2,000 appends of 1 byte use 1 part of radosgw’s 100, and complete exactly', async () => {
    const client = rgw.client()
    const s = new S3Store({ client, bucket, prefix: 'one-byte/', partSize: MIN_PART_SIZE, maxParts: PART_LIMIT })
    const id = newUploadId()
    await s.create({ id, length: undefined, expiresAt: undefined, metadata: {} })
    const data = Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 7) & 255))
    for (let i = 0; i < data.byteLength; i++)
      assert.equal(await s.append(id, i, slices(data.subarray(i, i + 1), 1)), i + 1)
    // What S3 holds, not what the store says: one 1 KiB part so far (the rest is the tail).
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'one-byte/' }))
    const upload = uploads.Uploads?.[0]
    const parts = await client.send(
      new ListPartsCommand({ Bucket: bucket, Key: upload?.Key, UploadId: upload?.UploadId }),
    )
    assert.deepEqual(
      parts.Parts?.map((p) => [p.PartNumber, p.Size]),
      [[1, MIN_PART_SIZE]],
    )
    await s.update(id, { complete: true })
    assert.ok((await readAll(s, id)).equals(data))
    client.destroy()
  })

  test('a few large appends of odd sizes (10 MiB in 1 MiB parts, 64 KiB chunks) keep every byte', async () => {
    const client = rgw.client()
    const s = new S3Store({ client, bucket, prefix: 'large/', partSize: 1024 * 1024, maxParts: PART_LIMIT })
    const sizes = [3 * 2 ** 20 + 1, 5 * 2 ** 20 - 7, 2 * 2 ** 20 + 13]
    const data = randomBytes(sizes.reduce((n, x) => n + x, 0))
    const id = newUploadId()
    await s.create({ id, length: data.byteLength, expiresAt: undefined, metadata: {} })
    let at = 0
    for (const n of sizes) at = await s.append(id, at, slices(data.subarray(at, at + n), 64 * 1024))
    await s.update(id, { complete: true })
    assert.ok((await readAll(s, id)).equals(data))
    client.destroy()
  })

  test('an upload of unknown length that would need more parts than allowed is refused (413) at the offset stored', async () => {
    const client = rgw.client()
    const s = new S3Store({ client, bucket, prefix: 'too-many/', partSize: MIN_PART_SIZE, maxParts: 3 })
    const id = newUploadId()
    await s.create({ id, length: undefined, expiresAt: undefined, metadata: {} })
    await assert.rejects(s.append(id, 0, slices(randomBytes(5000), 500)), LimitError)
    assert.equal((await s.get(id)).offset, 3 * MIN_PART_SIZE)
    client.destroy()
  })

  test('memory stays bounded while 128 MiB stream into one upload (2 MiB parts)', async (t) => {
    const client = rgw.client()
    const s = new S3Store({ client, bucket, prefix: 'memory/', partSize: 2 * 2 ** 20, maxParts: PART_LIMIT })
    const id = newUploadId()
    await s.create({ id, length: undefined, expiresAt: undefined, metadata: {} })
    const block = randomBytes(64 * 1024)
    const total = 128 * 2 ** 20
    let peak = 0
    async function* body() {
      for (let sent = 0; sent < total; sent += block.byteLength) {
        if (sent % (4 * 2 ** 20) === 0) peak = Math.max(peak, process.memoryUsage().rss)
        // A fresh buffer each time, as a socket would deliver: retained chunks would show up in RSS.
        yield Buffer.from(block)
      }
    }
    const before = process.memoryUsage().rss
    assert.equal(await s.append(id, 0, body()), total)
    t.diagnostic(`RSS grew by ${((peak - before) / 2 ** 20).toFixed(1)} MiB`)
    assert.ok(peak - before < 64 * 2 ** 20, `RSS grew by ${((peak - before) / 2 ** 20).toFixed(1)} MiB`)
    await s.remove(id)
    client.destroy()
  })
})

describe('S3Store companion objects on radosgw', { timeout: 120_000 }, () => {
  test('kept next to the upload, replaced whole, invisible to list, removed with the upload', async () => {
    const client = rgw.client()
    const s = new S3Store({ client, bucket, prefix: 'companions/' })
    const id = newUploadId()
    assert.equal(await s.getCompanion(id, 'head.json'), undefined, 'none yet')
    // Written before the upload exists (the gateway records the creation's head first).
    await s.putCompanion(id, 'head.json', Buffer.from('{"a":1}'))
    await s.create({ id, length: 3, expiresAt: undefined, metadata: {} })
    await s.putCompanion(id, 'head.json', Buffer.from('{"a":2}'))
    await s.putCompanion(id, 'response.json', Buffer.from('ok'))
    assert.equal(String(await s.getCompanion(id, 'head.json')), '{"a":2}')
    const listed = []
    for await (const u of s.list()) listed.push(u.id)
    assert.deepEqual(listed, [id])
    await assert.rejects(s.putCompanion(id, '../x', Buffer.from('')), RangeError)
    await s.removeCompanion(id, 'response.json')
    assert.equal(await s.getCompanion(id, 'response.json'), undefined)
    await s.remove(id)
    assert.equal(await s.getCompanion(id, 'head.json'), undefined, 'removed with the upload')
    client.destroy()
  })
})
