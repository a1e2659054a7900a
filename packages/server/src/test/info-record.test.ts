/**
 * The disk store's info record (stores/info-record.ts) and its in-place replace (issue 17): a reader racing the
 * write sees some new bytes and some old ones, and every such mixture must be refused, never read as an info.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { newUploadId } from '../ids.js'
import { DiskStore } from '../stores/disk-store.js'
import { decodeInfo, encodeInfo, TornInfoError } from '../stores/info-record.js'

const before = { id: 'u1', length: 5, complete: false, createdAt: 1, metadata: { name: 'a.txt' } }
const after = { ...before, length: 50, complete: true, invalid: 'cut' }

test('info record: decodes what it encodes, padded with spaces or not; plain JSON (older servers) reads as it is', () => {
  const { sum, ...rest } = decodeInfo(encodeInfo(after)) as { sum: string }
  assert.match(sum, /^[0-9a-f]{8}$/)
  assert.deepEqual(rest, after)
  assert.deepEqual(decodeInfo(`${encodeInfo(before)}      `), decodeInfo(encodeInfo(before)))
  assert.deepEqual(decodeInfo(JSON.stringify(before)), before)
})

test('info record: every mixture of an old record and the new one written over it is refused', () => {
  const pairs: [string, string][] = [
    [encodeInfo(before), encodeInfo(after)],
    [encodeInfo(after), encodeInfo(before)],
  ]
  let refused = 0
  for (const [old, next] of pairs) {
    // What a reader sees when the write over the old record (padded to its length) has reached byte k.
    const padded = next.padEnd(old.length, ' ')
    for (let k = 0; k <= padded.length; k++) {
      const seen = padded.slice(0, k) + old.slice(k)
      let value: unknown
      try {
        value = decodeInfo(seen)
      } catch (e) {
        assert.ok(e instanceof TornInfoError || e instanceof SyntaxError, String(e))
        refused++
        continue
      }
      assert.ok(
        JSON.stringify(value) === JSON.stringify(decodeInfo(old)) ||
          JSON.stringify(value) === JSON.stringify(decodeInfo(next)),
        `split at ${k} read as neither record: ${seen}`,
      )
    }
  }
  assert.ok(refused > 0)
})

async function fixture() {
  const dir = await mkdtemp(join(tmpdir(), 'rufh-info-'))
  return { dir, store: new DiskStore({ directory: dir }), cleanup: () => rm(dir, { recursive: true, force: true }) }
}

test('DiskStore: an update replaces the info in place (same inode, no temporary file); a legacy info by rename', async () => {
  const { dir, store, cleanup } = await fixture()
  try {
    const u = await store.create({ id: newUploadId(), length: 3, expiresAt: undefined, metadata: { k: 'v' } })
    const info = join(dir, `${u.id}.json`)
    const ino = (await stat(info)).ino
    await store.update(u.id, { invalid: 'a long reason that makes the record longer' }, u)
    await store.update(u.id, { invalid: undefined, complete: true }, u)
    assert.equal((await stat(info)).ino, ino, 'the same file was written over')
    assert.deepEqual((await readdir(dir)).sort(), [u.id, `${u.id}.json`].sort())
    const got = await store.get(u.id)
    assert.equal(got.complete, true)
    assert.equal(got.invalid, undefined)
    assert.deepEqual(got.metadata, { k: 'v' })
    assert.match(await readFile(info, 'utf8'), / +$/, 'the shorter record is padded over the longer one')

    // An info written by a server before records had a checksum: replaced through a temporary file and a rename.
    const legacy = { ...JSON.parse((await readFile(info, 'utf8')).trim()), complete: false }
    delete legacy.sum
    await writeFile(info, JSON.stringify(legacy))
    const legacyIno = (await stat(info)).ino
    assert.equal((await store.get(u.id)).complete, false)
    await store.update(u.id, { complete: true }, { ...u, complete: false })
    assert.notEqual((await stat(info)).ino, legacyIno)
    assert.equal((await store.get(u.id)).complete, true)
    assert.deepEqual((await readdir(dir)).sort(), [u.id, `${u.id}.json`].sort())
  } finally {
    await cleanup()
  }
})

test('DiskStore: an info that stays torn (not a race) is reported, not read', async () => {
  const { dir, store, cleanup } = await fixture()
  try {
    const u = await store.create({ id: newUploadId(), length: 3, expiresAt: undefined, metadata: {} })
    const info = join(dir, `${u.id}.json`)
    const text = await readFile(info, 'utf8')
    await writeFile(info, text.replace('"length":3', '"length":4'))
    await assert.rejects(store.get(u.id), (e: Error) => e instanceof TornInfoError)
  } finally {
    await cleanup()
  }
})

test('DiskStore: reads racing in-place replaces see one of the infos written, never a mixture', async () => {
  const { store, cleanup } = await fixture()
  try {
    const u = await store.create({ id: newUploadId(), length: 3, expiresAt: undefined, metadata: {} })
    const reasons = [undefined, 'x', 'a much longer reason, so that the records differ in length and bytes'.repeat(3)]
    let stop = false
    const writer = (async () => {
      for (let i = 0; i < 400; i++) await store.update(u.id, { invalid: reasons[i % reasons.length] }, u)
      stop = true
    })()
    const readers = Array.from({ length: 3 }, async () => {
      let reads = 0
      while (!stop) {
        const got = await store.get(u.id)
        assert.ok(reasons.includes(got.invalid), `read an info no one wrote: ${got.invalid}`)
        assert.equal(got.length, 3)
        reads++
      }
      return reads
    })
    await writer
    const reads = await Promise.all(readers)
    assert.ok(reads.every((n) => n > 0))
  } finally {
    await cleanup()
  }
})
