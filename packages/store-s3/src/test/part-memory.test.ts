/** The store's part memory (part-buffer.ts): bounded, reused while parts are in use, let go when none is. */
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { PartBuffer, PartMemory, readPart } from '../part-buffer.js'

test('PartMemory hands out at most its bytes, reuses buffers given back, and lets them go when idle', () => {
  const m = new PartMemory(3 * 1024)
  const a = m.take(1024)
  const b = m.take(1024)
  const c = m.take(1024)
  assert.ok(a && b && c)
  assert.equal(m.take(1024), undefined, 'a fourth part does not fit')
  m.give(a)
  assert.equal(m.kept, 1024)
  assert.equal(m.take(1024), a, 'the buffer given back is reused')
  assert.equal(m.take(2048), undefined)
  m.give(a)
  m.give(b)
  assert.equal(m.inUse, 1024)
  assert.ok(m.take(2048), 'buffers of another size make room')
  m.give(c)
  assert.equal(m.kept > 0, true)
})

test('PartMemory keeps nothing once no part is in use', () => {
  const m = new PartMemory(2 * 1024)
  const a = m.take(1024) as Buffer
  const b = m.take(1024) as Buffer
  m.give(a)
  m.give(b)
  assert.equal(m.inUse, 0)
  assert.equal(m.kept, 0)
})

test('PartBuffer holds parts in memory while it has room, then in files; every file goes on discard', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rufh-part-memory-'))
  try {
    const m = new PartMemory(2 * 100)
    const buf = new PartBuffer(100, dir, m)
    const data = Buffer.from(Array.from({ length: 450 }, (_, i) => i & 255))
    for (let i = 0; i < data.byteLength; i += 70) await buf.push(data.subarray(i, i + 70))
    const parts = [buf.takePart(), buf.takePart(), buf.takePart(), buf.takePart()]
    assert.equal(buf.takePart(), undefined)
    assert.deepEqual(
      parts.map((p) => (p?.bytes ? 'memory' : 'file')),
      ['memory', 'memory', 'file', 'file'],
    )
    assert.equal((await readdir(dir)).length, 3, 'two full parts and the one being filled are files')
    const got = await Promise.all(parts.map((p) => readPart(p as NonNullable<typeof p>)))
    assert.ok(Buffer.concat(got).equals(data.subarray(0, 400)))
    for (const p of parts) if (p) await buf.release(p)
    await buf.discard()
    assert.deepEqual(await readdir(dir), [])
    assert.equal(m.inUse, 0)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
