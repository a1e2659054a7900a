/**
 * The disk store's write queue (stores/file-writer.ts) on a real file: chunks pushed while a write is in flight are
 * written in order at the right positions, `settled` waits for all of them, a chunk is freed only after it was
 * written and only when asked, a failing write or progress callback fails the writer instead of throwing from an fs
 * callback, and nothing is written after a failure.
 */
import assert from 'node:assert/strict'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { FileWriter } from '../stores/file-writer.js'

const dir = await mkdtemp(join(tmpdir(), 'rufh-file-writer-'))
after(() => rm(dir, { recursive: true, force: true }))
let files = 0
const bytes = (s: string) => new Uint8Array(Buffer.from(s))

describe('FileWriter', () => {
  it('writes chunks pushed during a write in order, at their positions, and reports each batch', async () => {
    const path = join(dir, String(++files))
    const fd = openSync(path, 'w+')
    const reported: number[] = []
    const w = new FileWriter(3, (pos) => reported.push(pos))
    w.push(bytes('ab'))
    assert.equal(w.queued, 2, 'queued until the file is open')
    w.open(fd)
    assert.equal(w.queued, 0, 'handed to a write at once')
    w.push(bytes('cd'))
    w.push(bytes('ef'))
    assert.equal(w.queued, 4, 'queued behind the write in flight')
    await w.settled()
    closeSync(fd)
    assert.equal(w.failure, undefined)
    assert.equal(w.pos, 9)
    assert.deepEqual(reported, [5, 9], 'one report per batch')
    assert.equal(readFileSync(path).subarray(3).toString(), 'abcdef')
  })

  it('frees each chunk once written when told to, and leaves it otherwise', async () => {
    for (const release of [true, false]) {
      const path = join(dir, String(++files))
      const fd = openSync(path, 'w+')
      const chunk = new Uint8Array(new ArrayBuffer(1024)).fill(0x78) // a buffer of its own, as release.ts frees
      assert.equal(chunk.byteLength, 1024)
      let lengthWhenReported = -1
      const w = new FileWriter(
        0,
        () => {
          lengthWhenReported = chunk.byteLength
        },
        release,
      )
      w.open(fd)
      w.push(chunk)
      assert.equal(chunk.byteLength, 1024, 'not freed before its write completed')
      await w.settled()
      closeSync(fd)
      assert.equal(lengthWhenReported, release ? 0 : 1024)
      assert.equal(readFileSync(path).toString(), 'x'.repeat(1024))
    }
  })

  it('fails on a write error, writes nothing after it, and settles', async () => {
    const path = join(dir, String(++files))
    closeSync(openSync(path, 'w'))
    const fd = openSync(path, 'r') // read-only: writes to it fail with EBADF
    const w = new FileWriter(0)
    w.open(fd)
    w.push(bytes('a'))
    w.push(bytes('b'))
    await w.settled()
    assert.equal((w.failure as NodeJS.ErrnoException).code, 'EBADF')
    assert.equal(w.pos, 0)
    w.push(bytes('c'))
    await w.settled()
    closeSync(fd)
    assert.equal(w.pos, 0)
  })

  it('fails, not throws from the fs callback, when the progress callback throws', async () => {
    const path = join(dir, String(++files))
    const fd = openSync(path, 'w+')
    const w = new FileWriter(0, () => {
      throw new Error('listener failed')
    })
    w.open(fd)
    w.push(bytes('a'))
    w.push(bytes('b'))
    await w.settled()
    closeSync(fd)
    assert.equal((w.failure as Error).message, 'listener failed')
    assert.equal(readFileSync(path).toString(), 'a', 'the queued chunk is not written after the failure')
  })

  it('settles at once with nothing queued, and while the file is not open', async () => {
    const w = new FileWriter(0)
    await w.settled()
    w.push(bytes('a'))
    await w.settled()
    assert.equal(w.queued, 1)
    w.fail(new Error('no file'))
    await w.settled()
    assert.equal((w.failure as Error).message, 'no file')
  })
})
