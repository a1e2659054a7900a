/**
 * Bodies whose store stalls (stores/pushed-append.ts, stores/file-writer.ts, procedures/body-reader.ts): the idle
 * stop still ends a client gone silent after the store kept the body waiting for longer than the idle timeout (a
 * slow open on a busy thread pool, a full write queue), pushed or pulled; and a write the file system refuses at
 * once fails the append instead of hanging it or escaping as an unhandled rejection.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { FileWriter } from '../stores/file-writer.js'
import type { ChunkSink } from '../stores/push-body.js'
import { appendPushed } from '../stores/pushed-append.js'
import { bytes, reader, withOpenFile } from './kit/body.js'

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p.then(() => 'settled' as const), sleep(ms).then(() => 'stuck' as const)])

describe('a body whose store stalls', () => {
  it('pushed: the idle stop ends a silent client after the store paused the body for longer than idleMs', async () => {
    const body = new PassThrough()
    const { r } = reader(body, { idleMs: 40 })
    let ended: { error: unknown } | undefined
    let accept = false
    const sink: ChunkSink = {
      take: () => accept,
      done: (error) => {
        ended = { error }
      },
    }
    r.pushTo(sink)
    body.write(bytes('a'))
    await sleep(120) // the store is busy past the idle timeout
    accept = true
    r.resume()
    await sleep(200) // and the client sends nothing more
    assert.deepEqual(ended, { error: undefined })
    assert.equal(r.stopped, 'idle')
  })

  it('pulled: the same', async () => {
    const body = new PassThrough()
    const { r } = reader(body, { idleMs: 40 })
    const first = r.next()
    body.write(bytes('a'))
    await first
    await sleep(120)
    assert.equal(await within(r.next(), 200), 'settled')
    assert.equal(r.stopped, 'idle')
  })

  it('the disk store append behind a slow open still ends when the client falls silent, keeping its bytes', () =>
    withOpenFile('w', async (fd, path) => {
      const body = new PassThrough()
      const { r } = reader(body, { idleMs: 40 })
      const opened = async () => {
        await sleep(120)
        return fd
      }
      const done = appendPushed(r, new FileWriter(0), opened, 1 << 20)
      body.write(bytes('abc'))
      assert.equal(await within(done, 400), 'settled')
      assert.equal(readFileSync(path, 'utf8'), 'abc')
      assert.equal(r.stopped, 'idle')
    }))

  it('a write refused at once fails the writer, and the pushed append rejects without an unhandled rejection', async () => {
    const writer = new FileWriter(0)
    writer.open(-1) // writev throws ERR_OUT_OF_RANGE instead of calling back
    writer.push(bytes('x'))
    assert.equal(await within(writer.settled(), 200), 'settled')
    assert.match(String((writer.failure as Error)?.message), /fd/)

    const unhandled: unknown[] = []
    const onUnhandled = (e: unknown) => unhandled.push(e)
    process.on('unhandledRejection', onUnhandled)
    try {
      const body = new PassThrough()
      const { r } = reader(body)
      const done = appendPushed(r, new FileWriter(0), async () => -1, 1 << 20)
      body.write(bytes('abc'))
      const outcome = await Promise.race([
        done.then(
          () => 'resolved',
          () => 'rejected',
        ),
        sleep(200).then(() => 'stuck'),
      ])
      await sleep(10)
      assert.equal(outcome, 'rejected')
      assert.deepEqual(unhandled, [])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})
