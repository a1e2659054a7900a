/**
 * The contract every Store must pass, published as `@rufh/server/store-contract` so that third-party stores can run
 * it from their own tests (node:test):
 *
 *     import { storeContract } from '@rufh/server/store-contract'
 *     storeContract('MyStore', async () => ({ store: new MyStore(...), cleanup: async () => {} }))
 *
 * `make` must give each test a store with no uploads in it. Optional capabilities (listing, reading, truncation,
 * concatenation) are tested when the store offers them. `sizes` are the append sizes used for multi-append tests:
 * pass some larger than the store's internal unit (an S3 store's part size) to cross its boundaries.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { OffsetMismatchError, UploadNotFoundError } from '@rufh/protocol'
import { newUploadId } from '../ids.js'
import { capabilityTests } from './contract/capabilities.js'
import { chunks, collect, fresh, type MakeStore, pattern, withStore } from './contract/kit.js'
import { isReadable } from './store.js'

export type { MakeStore, StoreFixture } from './contract/kit.js'

export interface ContractOptions {
  /** Append sizes for the multi-append tests. Default: odd sizes from 1 byte to 300 KiB. */
  sizes?: readonly number[]
}

const SIZES = [1, 7, 1000, 65_537, 4096, 300 * 1024 + 3, 2, 12_345]

export function storeContract(name: string, make: MakeStore, options: ContractOptions = {}): void {
  const sizes = options.sizes ?? SIZES
  const each = (title: string, fn: Parameters<typeof withStore>[1]) => test(title, withStore(make, fn))

  describe(`Store contract: ${name}`, () => {
    each('create, then get: offset 0, not complete, length and metadata kept', async (s) => {
      const u = await fresh(s, 42)
      const g = await s.get(u.id)
      assert.equal(g.offset, 0)
      assert.equal(g.complete, false)
      assert.equal(g.length, 42)
      assert.deepEqual(g.metadata, { filename: 'a.txt' })
      assert.equal(g.invalid, undefined)
    })
    each('the owner (authorization) is kept, through updates too', async (s) => {
      const u = await s.create({ id: newUploadId(), length: 3, expiresAt: undefined, metadata: {}, owner: 'alice' })
      assert.equal((await s.get(u.id)).owner, 'alice')
      await s.update(u.id, { length: 3 })
      assert.equal((await s.get(u.id)).owner, 'alice')
      assert.equal((await fresh(s)).owner, undefined)
    })
    each(
      'completesAtLength is kept (so an upload left at its length by a crash can be completed when read)',
      async (s) => {
        const tus = await s.create({
          id: newUploadId(),
          length: 4,
          expiresAt: undefined,
          metadata: {},
          completesAtLength: true,
        })
        await s.append(tus.id, 0, chunks('1234'))
        const got = await s.get(tus.id)
        assert.equal(got.completesAtLength, true)
        assert.equal(got.offset, 4)
        assert.equal(got.complete, false, 'completion is recorded by the server, not guessed by the store')
        const draft = await fresh(s, 4)
        assert.equal((await s.get(draft.id)).completesAtLength, undefined)
      },
    )
    each('append streams at the offset and returns the new offset', async (s) => {
      const u = await fresh(s)
      assert.equal(await s.append(u.id, 0, chunks('hello', ' ')), 6)
      const seen: number[] = []
      assert.equal(await s.append(u.id, 6, chunks('wor', 'ld'), { onProgress: (o) => seen.push(o) }), 11)
      assert.equal((await s.get(u.id)).offset, 11)
      assert.equal(seen.at(-1), 11)
      await s.update(u.id, { complete: true })
      if (isReadable(s)) {
        assert.equal((await collect(s.read(u.id))).toString(), 'hello world')
        assert.equal((await collect(s.read(u.id, 6, 9))).toString(), 'wor')
      }
    })
    each('many appends of odd sizes keep every byte in order', async (s) => {
      const total = sizes.reduce((n, x) => n + x, 0)
      const data = pattern(total, 5)
      const u = await fresh(s)
      let at = 0
      const seen: number[] = []
      for (const n of sizes) {
        at = await s.append(u.id, at, chunks(data.subarray(at, at + n)), { onProgress: (o) => seen.push(o) })
        assert.equal((await s.get(u.id)).offset, at)
      }
      assert.equal(at, total)
      assert.deepEqual(
        seen,
        [...seen].sort((a, b) => a - b),
        'progress never goes down',
      )
      const done = await s.update(u.id, { complete: true, length: total })
      assert.equal(done.offset, total)
      if (isReadable(s)) assert.ok((await collect(s.read(u.id))).equals(data))
    })
    each('a 0-byte upload completes, with or without a declared length', async (s) => {
      for (const length of [0, undefined]) {
        const u = await fresh(s, length)
        assert.equal(await s.append(u.id, 0, chunks()), 0)
        const done = await s.update(u.id, { complete: true, length: 0 })
        assert.deepEqual([done.complete, done.offset, done.length], [true, 0, 0])
        const again = await s.get(u.id)
        assert.deepEqual([again.complete, again.offset], [true, 0])
        if (isReadable(s)) assert.equal((await collect(s.read(u.id))).byteLength, 0)
      }
    })
    each('a length declared late (after every byte) completes exactly', async (s) => {
      const u = await fresh(s)
      const data = pattern(sizes[3] ?? 100, 9)
      await s.append(u.id, 0, chunks(data))
      await s.update(u.id, { length: data.byteLength })
      const done = await s.update(u.id, { complete: true })
      assert.deepEqual([done.complete, done.offset, done.length], [true, data.byteLength, data.byteLength])
      if (isReadable(s)) assert.ok((await collect(s.read(u.id))).equals(data))
    })
    each('append at a wrong offset throws OffsetMismatchError and stores nothing', async (s) => {
      const u = await fresh(s)
      await s.append(u.id, 0, chunks('abc'))
      await assert.rejects(s.append(u.id, 2, chunks('x')), OffsetMismatchError)
      await assert.rejects(s.append(u.id, 4, chunks('x')), OffsetMismatchError)
      await assert.rejects(s.append(u.id, 2, chunks()), OffsetMismatchError, 'also without bytes')
      assert.equal((await s.get(u.id)).offset, 3)
    })
    each('an update given the upload as last answered (a lease holder’s `known`) keeps the rest', async (s) => {
      const u = await s.create({
        id: newUploadId(),
        length: 4,
        expiresAt: undefined,
        metadata: { filename: 'k.txt' },
        owner: 'bob',
        completesAtLength: true,
      })
      const offset = await s.append(u.id, 0, chunks('1234'))
      const done = await s.update(u.id, { complete: true }, { ...(await s.get(u.id)), offset })
      const again = await s.get(u.id)
      for (const got of [done, again]) {
        assert.deepEqual([got.complete, got.offset, got.length, got.owner], [true, 4, 4, 'bob'])
        assert.deepEqual(got.metadata, { filename: 'k.txt' })
        assert.equal(got.completesAtLength, true)
      }
      if (isReadable(s)) assert.equal((await collect(s.read(u.id))).toString(), '1234')
    })
    each('a stream that stops early keeps everything it yielded', async (s) => {
      const u = await fresh(s)
      async function* partial() {
        yield Buffer.from('part')
        yield Buffer.from('ial')
      }
      assert.equal(await s.append(u.id, 0, partial()), 7)
      assert.equal((await s.get(u.id)).offset, 7)
    })
    each('a stream that fails keeps the bytes written before the failure and rethrows', async (s) => {
      const u = await fresh(s)
      const big = pattern(Math.max(...sizes), 4)
      async function* failing() {
        yield Buffer.from('kept')
        yield big
        throw new Error('boom')
      }
      await assert.rejects(s.append(u.id, 0, failing()), /boom/)
      assert.equal((await s.get(u.id)).offset, 4 + big.byteLength)
    })
    each('update persists length, completion and invalidation', async (s) => {
      const u = await fresh(s)
      await s.append(u.id, 0, chunks('1234'))
      const a = await s.update(u.id, { length: 4 })
      assert.equal(a.length, 4)
      const b = await s.update(u.id, { complete: true })
      assert.equal(b.complete, true)
      assert.equal(b.offset, 4)
      const c = await s.update(u.id, { invalid: 'test' })
      assert.equal((await s.get(c.id)).invalid, 'test')
      assert.equal((await s.get(c.id)).complete, true)
    })
    each('remove makes the upload unknown, complete or not', async (s) => {
      const u = await fresh(s)
      await s.remove(u.id)
      await assert.rejects(s.get(u.id), UploadNotFoundError)
      const v = await fresh(s)
      await s.append(v.id, 0, chunks(pattern(Math.max(...sizes), 6)))
      await s.remove(v.id)
      await assert.rejects(s.get(v.id), UploadNotFoundError)
      const w = await fresh(s)
      await s.append(w.id, 0, chunks('done'))
      await s.update(w.id, { complete: true })
      await s.remove(w.id)
      await assert.rejects(s.get(w.id), UploadNotFoundError)
    })
    each('unknown and malformed IDs are not found', async (s) => {
      for (const id of [newUploadId(), '../../etc/passwd', '', 'a'.repeat(24).replace('a', '/')])
        await assert.rejects(s.get(id), UploadNotFoundError, id)
    })
    capabilityTests(make, sizes)
  })
}
