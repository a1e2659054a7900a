/** The disk store's file-descriptor helpers (stores/fd.ts) on a real file. */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { closeFd, openFd, writeAllAt } from '../stores/fd.js'

test('writeAllAt writes every buffer at its position, in order, many buffers at once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rufh-fd-'))
  try {
    const file = join(dir, 'f')
    const fd = await openFd(file, 'w+')
    // More buffers than one writev system call takes (IOV_MAX, 1,024 on Linux; libuv splits them), then a write
    // before them that must not move them.
    const buffers = Array.from({ length: 3000 }, (_, i) => Buffer.from(`${i},`))
    await writeAllAt(fd, buffers, 5)
    await writeAllAt(fd, [Buffer.from('01234')], 0)
    await closeFd(fd)
    assert.equal(await readFile(file, 'latin1'), `01234${buffers.map((b) => b.toString('latin1')).join('')}`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
