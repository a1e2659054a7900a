/**
 * The body reader (procedures/body-reader.ts) on its own, over a Node stream: chunks pass in order across waits,
 * every stop ends a pending read with the right reason, a failing tap rejects the read instead of throwing into the
 * stream's emit, and a read that waits for its chunk makes one promise, not the three or more of an async function
 * awaiting another promise (issue 17: what a held upload keeps alive between chunks).
 */
import assert from 'node:assert/strict'
import { createHook } from 'node:async_hooks'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { bytes, reader, text } from './kit/body.js'

describe('BodyReader over a Node stream', () => {
  it('passes chunks in order, waiting for each, and ends with the stream', async () => {
    const body = new PassThrough()
    const { r } = reader(body)
    const first = r.next()
    body.write(bytes('ab'))
    assert.equal(text((await first).value as Uint8Array), 'ab')
    const second = r.next()
    await sleep(5)
    body.write(bytes('cd'))
    assert.equal(text((await second).value as Uint8Array), 'cd')
    const end = r.next()
    body.end()
    assert.equal((await end).done, true)
    assert.equal(r.ended, true)
    assert.equal(r.bytes, 4)
    assert.equal(r.stopped, undefined)
  })

  it('ends a pending read on shutdown, preemption, a lost lease and silence, saying which', async () => {
    const cases: [string, (c: ReturnType<typeof reader>, lost: { held: boolean }) => void, object?][] = [
      ['shutdown', (c) => c.shutdown.abort()],
      ['preempted', (c) => c.preempt.abort()],
      [
        'lost',
        (c, lost) => {
          lost.held = false
          c.preempt.abort()
        },
      ],
      ['idle', () => {}, { idleMs: 30 }],
    ]
    for (const [reason, stop, extra] of cases) {
      const body = new PassThrough()
      const lost = { held: true }
      const c = reader(body, { held: () => lost.held, ...extra })
      const pending = c.r.next()
      await sleep(5)
      stop(c, lost)
      assert.equal((await pending).done, true, reason)
      assert.equal(c.r.stopped, reason)
      assert.equal(c.r.ended, false)
      // A chunk after the stop is not passed on.
      body.write(bytes('late'))
      assert.equal((await c.r.next()).done, true)
      assert.equal(c.r.bytes, 0)
    }
  })

  it('cuts the chunk that passes the limit and stops with "limit"', async () => {
    const body = new PassThrough()
    const { r } = reader(body, { limit: 3 })
    const pending = r.next()
    body.write(bytes('abcdef'))
    assert.equal(text((await pending).value as Uint8Array), 'abc')
    assert.equal(r.stopped, 'limit')
    assert.equal((await r.next()).done, true)
  })

  it('stops with "client" and keeps the error when the stream fails during a wait', async () => {
    const body = new PassThrough()
    const { r } = reader(body)
    const pending = r.next()
    await sleep(5)
    body.destroy(new Error('reset'))
    assert.equal((await pending).done, true)
    assert.equal(r.stopped, 'client')
    assert.equal((r.error as Error).message, 'reset')
  })

  it('rejects the pending read when the tap throws, instead of throwing into the stream', async () => {
    const body = new PassThrough()
    const { r } = reader(body, {
      tap: () => {
        throw new Error('tap failed')
      },
    })
    const pending = r.next()
    await sleep(5)
    body.write(bytes('x'))
    await assert.rejects(pending, /tap failed/)
  })

  it('ends a read still waiting when the consumer returns', async () => {
    const body = new PassThrough()
    const { r } = reader(body)
    const pending = r.next()
    await sleep(5)
    assert.equal((await r.return()).done, true)
    assert.equal((await pending).done, true)
    body.write(bytes('late'))
    assert.equal((await r.next()).done, true)
    assert.equal(r.bytes, 0)
  })

  it('makes one promise for a read that waits for its chunk', async () => {
    const body = new PassThrough()
    const { r } = reader(body)
    // Started and idle: the first read attaches to the stream.
    const warm = r.next()
    body.write(bytes('0'))
    await warm
    let promises = 0
    const hook = createHook({
      init(_id, type) {
        if (type === 'PROMISE') promises++
      },
    })
    const counts: number[] = []
    for (let i = 1; i <= 6; i++) {
      hook.enable()
      promises = 0
      const pending = r.next()
      body.write(bytes(String(i)))
      const got = await pending
      hook.disable()
      assert.equal(text(got.value as Uint8Array), String(i))
      // The test's own `await` adds one; the read itself adds one.
      counts.push(promises)
    }
    // The first read measured also counts what enabling the hook starts once (4 here): judged on the others. The
    // async function this replaced made 4 per read (its own promise, the wait's, and the await's).
    assert.ok(
      counts.slice(1).every((n) => n <= 2),
      `promises per waited read: ${counts.join(', ')}`,
    )
  })
})
