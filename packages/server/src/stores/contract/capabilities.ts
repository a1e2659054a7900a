/** The contract's tests of the optional capabilities, each run only when the store offers it (type guards). */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { newUploadId } from '../../ids.js'
import { isConcatenating, isListable, isReadable, isTruncatable } from '../store.js'
import { chunks, collect, fresh, type MakeStore, partial, pattern, withStore } from './kit.js'

export function capabilityTests(make: MakeStore, sizes: readonly number[]): void {
  test(
    'list, when offered, enumerates the uploads, and no longer the removed ones',
    withStore(make, async (s) => {
      const a = await fresh(s)
      const b = await fresh(s)
      const c = await fresh(s)
      if (!isListable(s)) return
      await s.remove(c.id)
      const ids: string[] = []
      for await (const u of s.list()) ids.push(u.id)
      assert.deepEqual(ids.sort(), [a.id, b.id].sort())
    }),
  )
  test(
    'read, when offered, serves a complete upload whole and by ranges',
    withStore(make, async (s) => {
      if (!isReadable(s)) return
      const total = sizes.reduce((n, x) => n + x, 0)
      const data = pattern(total, 7)
      const u = await fresh(s)
      let at = 0
      for (const n of sizes) {
        // Each append in two chunks that do not line up with anything.
        const cut = at + Math.floor(n / 3)
        assert.equal(await s.append(u.id, at, chunks(data.subarray(at, cut), data.subarray(cut, at + n))), at + n)
        at += n
      }
      await s.update(u.id, { complete: true, length: total })
      assert.ok((await collect(s.read(u.id))).equals(data))
      for (const [a, b] of [
        [0, 1],
        [1, total - 1],
        [Math.floor(total / 2), total],
        [total - 1, total],
        [5, 5],
      ] as const)
        assert.ok((await collect(s.read(u.id, a, b))).equals(data.subarray(a, b)), `range ${a}-${b}`)
    }),
  )
  test(
    'truncate, when offered, undoes the latest append (tus checksum mismatch), also across parts',
    withStore(make, async (s) => {
      if (!isTruncatable(s)) return
      const big = Math.max(...sizes)
      const first = pattern(10, 1)
      const u = await fresh(s)
      await s.append(u.id, 0, chunks(first))
      assert.equal(await s.append(u.id, 10, chunks(pattern(big, 2))), 10 + big)
      await s.truncate(u.id, 10)
      assert.equal((await s.get(u.id)).offset, 10)
      const second = pattern(big + 3, 3)
      assert.equal(await s.append(u.id, 10, chunks(second)), 13 + big)
      await s.append(u.id, 13 + big, chunks('xyz'))
      await s.truncate(u.id, 13 + big)
      await s.update(u.id, { complete: true })
      const info = await s.get(u.id)
      assert.equal(info.offset, 13 + big)
      if (isReadable(s)) assert.ok((await collect(s.read(u.id))).equals(Buffer.concat([first, second])))
    }),
  )
  test(
    'truncate, when offered: a checkpoint (tus checksummed append) is kept through appends and updates until cleared',
    withStore(make, async (s) => {
      if (!isTruncatable(s)) return
      const big = Math.max(...sizes)
      const u = await fresh(s)
      await s.append(u.id, 0, chunks('abc'))
      // The server records where a checksummed append starts before its first byte, and cuts back to it after a crash.
      assert.equal((await s.update(u.id, { checkpoint: 3 })).checkpoint, 3)
      assert.equal(await s.append(u.id, 3, chunks(pattern(big, 5), 'z')), 4 + big)
      assert.equal((await s.get(u.id)).checkpoint, 3, 'kept through an append')
      await s.update(u.id, { length: 10 })
      assert.equal((await s.get(u.id)).checkpoint, 3, 'kept through another update')
      await s.truncate(u.id, 3)
      assert.equal((await s.update(u.id, { checkpoint: undefined })).checkpoint, undefined)
      const after = await s.get(u.id)
      assert.equal(after.checkpoint, undefined, 'cleared for good')
      assert.equal(after.offset, 3)
      assert.equal(after.length, 10)
      if (isReadable(s)) {
        await s.append(u.id, 3, chunks('defghij'))
        await s.update(u.id, { complete: true })
        assert.equal((await collect(s.read(u.id))).toString(), 'abcdefghij')
      }
    }),
  )
  test(
    'concatenate, when offered, makes one complete upload of complete ones, in order (empty ones too)',
    withStore(make, async (s) => {
      if (!isConcatenating(s)) return
      const bodies = [pattern(sizes[0] ?? 1, 11), Buffer.alloc(0), pattern(Math.max(...sizes), 12), pattern(3, 13)]
      const ids: string[] = []
      for (const body of bodies) {
        const p = await partial(s)
        if (body.byteLength) await s.append(p.id, 0, chunks(body))
        await s.update(p.id, { complete: true, length: body.byteLength })
        ids.push(p.id)
      }
      for (const set of [ids, [ids[2] as string], [ids[1] as string], [ids[3] as string, ids[0] as string]]) {
        const expected = Buffer.concat(set.map((id) => bodies[ids.indexOf(id)] as Buffer))
        const init = { id: newUploadId(), length: expected.byteLength, expiresAt: undefined, metadata: {} }
        const info = await s.concatenate({ ...init, concat: { kind: 'final', parts: set } }, set)
        assert.equal(info.complete, true)
        assert.equal(info.offset, expected.byteLength)
        assert.equal((await s.get(info.id)).offset, expected.byteLength)
        if (isReadable(s)) assert.ok((await collect(s.read(info.id))).equals(expected))
      }
    }),
  )
}
