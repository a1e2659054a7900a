/**
 * S3 requests the store saves, on radosgw: a completion by a caller that held the lease since the store's last
 * answer (`update`'s `known`) takes the record this process last saw instead of checking it with a HeadObject; a
 * `known` that disagrees with that record, or no `known`, reads the record as before. The bytes and the completion
 * are checked either way. The same for an append (`AppendOptions.known`).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { S3Client } from '@aws-sdk/client-s3'
import { newUploadId } from '@rufh/server'
import type { S3Store } from '../s3-store.js'
import { failFromCall } from './faults.js'
import { readUpload, rgwForFile, testStore } from './rgw.js'

const clients: S3Client[] = []

const fixture = rgwForFile(clients)

/** A store whose S3 calls are listed by command name (the fault never comes). */
function store(prefix: string): { s: S3Store; calls: string[] } {
  const client = fixture.rgw.client()
  clients.push(client)
  const { calls } = failFromCall(client, Number.MAX_SAFE_INTEGER)
  return { s: testStore(fixture, client, prefix), calls }
}

async function* once(b: Buffer): AsyncIterable<Uint8Array> {
  yield b
}

const DATA = Buffer.from(Array.from({ length: 2500 }, (_, i) => (i * 13 + 5) & 255))

async function appended(s: S3Store): Promise<string> {
  const id = newUploadId()
  await s.create({ id, length: DATA.byteLength, expiresAt: undefined, metadata: {} })
  assert.equal(await s.append(id, 0, once(DATA), { bodyLength: DATA.byteLength }), DATA.byteLength)
  return id
}

test('a completion with a known upload that agrees sends no HeadObject or GetObject of the record', async () => {
  const { s, calls } = store('known-agrees/')
  const id = await appended(s)
  const known = await s.get(id)
  calls.length = 0
  const done = await s.update(id, { complete: true }, known)
  assert.deepEqual(
    calls.filter((c) => c === 'HeadObjectCommand' || c === 'GetObjectCommand'),
    [],
  )
  assert.ok(calls.includes('CompleteMultipartUploadCommand'), calls.join(', '))
  assert.equal(done.complete, true)
  assert.equal(done.offset, DATA.byteLength)
  assert.deepEqual(await readUpload(s, id), DATA)
  assert.equal((await store('known-agrees/').s.get(id)).complete, true)
})

test('without a known upload, or with one that disagrees, the record is read from S3 first', async () => {
  const { s, calls } = store('known-absent/')
  const plain = await appended(s)
  calls.length = 0
  assert.equal((await s.update(plain, { complete: true })).complete, true)
  assert.ok(calls.includes('HeadObjectCommand') || calls.includes('GetObjectCommand'), calls.join(', '))

  const stale = await appended(s)
  const known = { ...(await s.get(stale)), offset: 1 }
  calls.length = 0
  const done = await s.update(stale, { complete: true }, known)
  assert.ok(calls.includes('HeadObjectCommand') || calls.includes('GetObjectCommand'), calls.join(', '))
  assert.equal(done.complete, true)
  assert.deepEqual(await readUpload(s, stale), DATA)
})

test('an append with a known upload that agrees sends no HeadObject or GetObject of the record; one that disagrees does', async () => {
  const { s, calls } = store('known-append/')
  const id = newUploadId()
  await s.create({ id, length: 2 * DATA.byteLength, expiresAt: undefined, metadata: {} })
  const first = await s.get(id)
  calls.length = 0
  assert.equal(await s.append(id, 0, once(DATA), { known: first }), DATA.byteLength)
  assert.deepEqual(
    calls.filter((c) => c === 'HeadObjectCommand' || c === 'GetObjectCommand'),
    [],
  )
  const second = await s.get(id)
  calls.length = 0
  const end = await s.append(id, DATA.byteLength, once(DATA), { known: { ...second, offset: 0 } })
  assert.equal(end, 2 * DATA.byteLength)
  assert.ok(calls.includes('HeadObjectCommand') || calls.includes('GetObjectCommand'), calls.join(', '))
  await s.update(id, { complete: true })
  assert.deepEqual(await readUpload(s, id), Buffer.concat([DATA, DATA]))
})
