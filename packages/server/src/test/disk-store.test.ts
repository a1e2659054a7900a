import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { newUploadId } from '../ids.js'
import { DiskStore } from '../stores/disk-store.js'
import { storeContract } from '../stores/store-contract.js'

async function fixture(fsync: boolean) {
  const dir = await mkdtemp(join(tmpdir(), 'rufh-store-'))
  return { store: new DiskStore({ directory: dir, fsync }), cleanup: () => rm(dir, { recursive: true, force: true }) }
}

storeContract('DiskStore', () => fixture(false))
storeContract('DiskStore (fsync)', () => fixture(true))

test('DiskStore: another instance on the same folder sees the same uploads (restart)', async () => {
  const { store, cleanup } = await fixture(false)
  try {
    const u = await store.create({ id: newUploadId(), length: undefined, expiresAt: undefined, metadata: {} })
    await store.append(u.id, 0, [Buffer.from('persisted')][Symbol.iterator]() as unknown as AsyncIterable<Uint8Array>)
    const again = new DiskStore({ directory: store.directory })
    assert.equal((await again.get(u.id)).offset, 9)
    // Metadata is replaced atomically: no temporary file is left behind.
    assert.deepEqual((await readdir(store.directory)).sort(), [u.id, `${u.id}.json`].sort())
  } finally {
    await cleanup()
  }
})

test('DiskStore: a pulled body is read on while the batch queued at the high-water mark is written', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rufh-store-'))
  try {
    const store = new DiskStore({ directory: dir, highWaterMark: 4 })
    const u = await store.create({ id: newUploadId(), length: undefined, expiresAt: undefined, metadata: {} })
    let written = 0
    const writtenAtAsk: number[] = []
    async function* body() {
      for (const s of ['abc', 'defg', 'hij', 'klmn']) {
        writtenAtAsk.push(written)
        yield Buffer.from(s)
      }
    }
    const end = await store.append(u.id, 0, body(), { onProgress: (at) => (written = at) })
    assert.equal(end, 14)
    // 'abc' is being written when 'defg' fills the queue to the mark; the loop waits for that write alone, so 'hij'
    // is asked for while 'defg' is written (3 bytes on disk), not after (7).
    assert.deepEqual(writtenAtAsk, [0, 0, 3, 3])
    assert.equal((await store.get(u.id)).offset, 14)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('DiskStore: memory stays bounded while streaming 256 MiB into one upload', async () => {
  const { store, cleanup } = await fixture(false)
  try {
    const u = await store.create({ id: newUploadId(), length: undefined, expiresAt: undefined, metadata: {} })
    const block = Buffer.alloc(64 * 1024, 1)
    const total = 256 * 1024 * 1024
    let peak = 0
    async function* body() {
      for (let sent = 0; sent < total; sent += block.length) {
        if (sent % (8 * 1024 * 1024) === 0) peak = Math.max(peak, process.memoryUsage().rss)
        // A fresh buffer each time, as a socket would deliver: retained chunks would show up in RSS.
        yield Buffer.from(block)
      }
    }
    const before = process.memoryUsage().rss
    assert.equal(await store.append(u.id, 0, body()), total)
    assert.ok(peak - before < 64 * 1024 * 1024, `RSS grew by ${((peak - before) / 2 ** 20).toFixed(1)} MiB`)
  } finally {
    await cleanup()
  }
})
