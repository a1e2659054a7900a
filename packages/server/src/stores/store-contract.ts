/**
 * The contract every Store must pass. Run it from a store's own test file:
 * `storeContract('DiskStore', async () => ({ store, cleanup }))`. Optional capabilities are tested when present.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { OffsetMismatchError, UploadNotFoundError } from '@rufh/protocol'
import { newUploadId } from '../ids.js'
import { isListable, isReadable, type Store } from './store.js'

export interface StoreFixture {
  store: Store
  cleanup(): Promise<void>
}

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield Buffer.from(p)
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<string> {
  const out: Buffer[] = []
  for await (const c of it) out.push(Buffer.from(c))
  return Buffer.concat(out).toString()
}

export function storeContract(name: string, make: () => Promise<StoreFixture>): void {
  const withStore = (fn: (s: Store) => Promise<void>) => async () => {
    const f = await make()
    try {
      await fn(f.store)
    } finally {
      await f.cleanup()
    }
  }
  const fresh = (s: Store, length?: number) =>
    s.create({ id: newUploadId(), length, expiresAt: undefined, metadata: { filename: 'a.txt' } })

  describe(`Store contract: ${name}`, () => {
    test(
      'create, then get: offset 0, not complete, length and metadata kept',
      withStore(async (s) => {
        const u = await fresh(s, 42)
        const g = await s.get(u.id)
        assert.equal(g.offset, 0)
        assert.equal(g.complete, false)
        assert.equal(g.length, 42)
        assert.deepEqual(g.metadata, { filename: 'a.txt' })
        assert.equal(g.invalid, undefined)
      }),
    )
    test(
      'the owner (authorization) is kept, through updates too',
      withStore(async (s) => {
        const u = await s.create({ id: newUploadId(), length: 3, expiresAt: undefined, metadata: {}, owner: 'alice' })
        assert.equal((await s.get(u.id)).owner, 'alice')
        await s.update(u.id, { length: 3 })
        assert.equal((await s.get(u.id)).owner, 'alice')
        assert.equal((await fresh(s)).owner, undefined)
      }),
    )
    test(
      'append streams at the offset and returns the new offset',
      withStore(async (s) => {
        const u = await fresh(s)
        assert.equal(await s.append(u.id, 0, chunks('hello', ' ')), 6)
        const seen: number[] = []
        assert.equal(await s.append(u.id, 6, chunks('wor', 'ld'), { onProgress: (o) => seen.push(o) }), 11)
        assert.equal((await s.get(u.id)).offset, 11)
        assert.equal(seen.at(-1), 11)
        if (isReadable(s)) {
          assert.equal(await collect(s.read(u.id)), 'hello world')
          assert.equal(await collect(s.read(u.id, 6, 9)), 'wor')
        }
      }),
    )
    test(
      'append at a wrong offset throws OffsetMismatchError and stores nothing',
      withStore(async (s) => {
        const u = await fresh(s)
        await s.append(u.id, 0, chunks('abc'))
        await assert.rejects(s.append(u.id, 2, chunks('x')), OffsetMismatchError)
        await assert.rejects(s.append(u.id, 4, chunks('x')), OffsetMismatchError)
        assert.equal((await s.get(u.id)).offset, 3)
      }),
    )
    test(
      'a stream that stops early keeps everything it yielded',
      withStore(async (s) => {
        const u = await fresh(s)
        async function* partial() {
          yield Buffer.from('part')
          yield Buffer.from('ial')
        }
        assert.equal(await s.append(u.id, 0, partial()), 7)
        assert.equal((await s.get(u.id)).offset, 7)
      }),
    )
    test(
      'a stream that fails keeps the bytes written before the failure and rethrows',
      withStore(async (s) => {
        const u = await fresh(s)
        async function* failing() {
          yield Buffer.from('kept')
          throw new Error('boom')
        }
        await assert.rejects(s.append(u.id, 0, failing()), /boom/)
        assert.equal((await s.get(u.id)).offset, 4)
      }),
    )
    test(
      'update persists length, completion and invalidation',
      withStore(async (s) => {
        const u = await fresh(s)
        await s.append(u.id, 0, chunks('1234'))
        const a = await s.update(u.id, { length: 4 })
        assert.equal(a.length, 4)
        const b = await s.update(u.id, { complete: true })
        assert.equal(b.complete, true)
        assert.equal(b.offset, 4)
        const c = await s.update(u.id, { invalid: 'test' })
        assert.equal((await s.get(c.id)).invalid, 'test')
      }),
    )
    test(
      'completesAtLength is kept (so an upload left at its length by a crash can be completed when read)',
      withStore(async (s) => {
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
      }),
    )
    test(
      'remove makes the upload unknown',
      withStore(async (s) => {
        const u = await fresh(s)
        await s.remove(u.id)
        await assert.rejects(s.get(u.id), UploadNotFoundError)
      }),
    )
    test(
      'unknown and malformed IDs are not found',
      withStore(async (s) => {
        for (const id of [newUploadId(), '../../etc/passwd', '', 'a'.repeat(24).replace('a', '/')])
          await assert.rejects(s.get(id), UploadNotFoundError, id)
      }),
    )
    test(
      'list, when offered, enumerates the uploads',
      withStore(async (s) => {
        const a = await fresh(s)
        const b = await fresh(s)
        if (!isListable(s)) return
        const ids: string[] = []
        for await (const u of s.list()) ids.push(u.id)
        assert.deepEqual(ids.sort(), [a.id, b.id].sort())
      }),
    )
  })
}
