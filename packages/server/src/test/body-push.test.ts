/**
 * Pushed bodies (stores/push-body.ts): the body reader pushing a Node stream's chunks (in order, pausing when the sink
 * says so, ending with the right stop reason, making no promise per chunk), and the disk store's pushed append loop
 * (stores/pushed-append.ts) on real files: one chunk taken until the file is open, backpressure, a failing write and
 * a failing body.
 */
import assert from 'node:assert/strict'
import { createHook } from 'node:async_hooks'
import { readFileSync } from 'node:fs'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { BodyReader } from '../procedures/body-reader.js'
import { FileWriter } from '../stores/file-writer.js'
import type { ChunkSink, PushBody } from '../stores/push-body.js'
import { appendPushed } from '../stores/pushed-append.js'
import { bytes, reader, steps, text, withOpenFile } from './kit/body.js'

/** A sink that records what it gets; `take` answers `accept()`. */
function recorder(accept: () => boolean = () => true) {
  const got: string[] = []
  let ended: { error: unknown } | undefined
  const sink: ChunkSink = {
    take(chunk) {
      got.push(text(chunk))
      return accept()
    },
    done(error) {
      assert.equal(ended, undefined, 'done called twice')
      ended = { error }
    },
  }
  return { sink, got, ended: () => ended }
}

describe('BodyReader pushing a Node stream', () => {
  it('pushes chunks in order across waits, then ends', async () => {
    const body = new PassThrough()
    const { r } = reader(body)
    const rec = recorder()
    assert.equal(r.canPush, true)
    r.pushTo(rec.sink)
    body.write(bytes('ab'))
    await sleep(5)
    body.write(bytes('cd'))
    await sleep(5)
    assert.deepEqual(rec.got, ['ab', 'cd'])
    assert.equal(rec.ended(), undefined)
    body.end()
    await sleep(5)
    assert.deepEqual(rec.ended(), { error: undefined })
    assert.equal(r.ended, true)
    assert.equal(r.bytes, 4)
  })

  it('takes nothing more after `take` answers false until `resume`', async () => {
    const body = new PassThrough()
    const { r } = reader(body)
    let open = false
    const rec = recorder(() => open)
    r.pushTo(rec.sink)
    body.write(bytes('a'))
    await sleep(5)
    body.write(bytes('b'))
    body.write(bytes('c'))
    await sleep(5)
    assert.deepEqual(rec.got, ['a'])
    open = true
    r.resume()
    await sleep(5)
    assert.deepEqual(rec.got, ['a', 'b', 'c'])
    body.end()
    await sleep(5)
    assert.deepEqual(rec.ended(), { error: undefined })
  })

  it('ends a waiting push on shutdown, preemption and silence, saying which, and passes nothing after', async () => {
    const cases: [string, (c: ReturnType<typeof reader>) => void, object?][] = [
      ['shutdown', (c) => c.shutdown.abort()],
      ['preempted', (c) => c.preempt.abort()],
      ['idle', () => {}, { idleMs: 30 }],
    ]
    for (const [reason, stop, extra] of cases) {
      const body = new PassThrough()
      const c = reader(body, extra)
      const rec = recorder()
      c.r.pushTo(rec.sink)
      await sleep(5)
      stop(c)
      await sleep(reason === 'idle' ? 60 : 5)
      assert.deepEqual(rec.ended(), { error: undefined }, reason)
      assert.equal(c.r.stopped, reason)
      body.write(bytes('late'))
      await sleep(5)
      assert.deepEqual(rec.got, [], reason)
    }
  })

  it('passes the chunk cut at the limit, then ends with "limit"', async () => {
    const body = new PassThrough()
    const { r } = reader(body, { limit: 3 })
    const rec = recorder()
    r.pushTo(rec.sink)
    body.write(bytes('abcdef'))
    await sleep(5)
    assert.deepEqual(rec.got, ['abc'])
    assert.deepEqual(rec.ended(), { error: undefined })
    assert.equal(r.stopped, 'limit')
  })

  it('ends with what the tap throws', async () => {
    const body = new PassThrough()
    const { r } = reader(body, {
      tap: () => {
        throw new Error('tap failed')
      },
    })
    const rec = recorder()
    r.pushTo(rec.sink)
    body.write(bytes('x'))
    await sleep(5)
    assert.match(String((rec.ended()?.error as Error)?.message), /tap failed/)
    assert.deepEqual(rec.got, [])
  })

  it('says nothing more after return()', async () => {
    const body = new PassThrough()
    const { r } = reader(body)
    const rec = recorder()
    r.pushTo(rec.sink)
    await sleep(5)
    await r.return()
    body.write(bytes('late'))
    body.end()
    await sleep(5)
    assert.deepEqual(rec.got, [])
    assert.equal(rec.ended(), undefined)
  })

  it('makes no promise per pushed chunk', async () => {
    const body = new PassThrough()
    const { r } = reader(body)
    const rec = recorder()
    r.pushTo(rec.sink)
    // Only promises made by the server's code count: the test runner makes its own meanwhile (its reporter).
    let promises = 0
    const hook = createHook({
      init(_id, type) {
        if (type === 'PROMISE' && /\/(procedures|stores)\//.test(new Error().stack ?? '')) promises++
      },
    })
    await steps(6, hook, (i, next) => {
      body.write(bytes(String(i)))
      setTimeout(next, 2)
    })
    assert.deepEqual(rec.got, ['1', '2', '3', '4', '5', '6'])
    assert.equal(promises, 0)
    // The same count over a pulled reader, driven the same way, sees its promise per waited read.
    const pulledBody = new PassThrough()
    const pulled = reader(pulledBody).r
    promises = 0
    await steps(6, hook, (i, next) => {
      void pulled.next().then(() => setTimeout(next, 2))
      pulledBody.write(bytes(String(i)))
    })
    assert.ok(promises >= 6, `promises of 6 pulled reads: ${promises}`)
  })

  it('cannot push a body that is not a Node stream', () => {
    const preempt = new AbortController()
    const r = new BodyReader([bytes('a')] as unknown as AsyncIterable<Uint8Array>, {
      idleMs: 1000,
      preempt: preempt.signal,
      shutdown: preempt.signal,
    })
    assert.equal(r.canPush, false)
    assert.throws(() => r.pushTo(recorder().sink), TypeError)
  })
})

/** A pushed body driven by the test: chunks are fed, and paused when `take` answers false. */
class Fed implements PushBody {
  readonly canPush = true
  sink: ChunkSink | undefined
  readonly takes: boolean[] = []
  resumes = 0
  returned = false
  private readonly queue: Uint8Array[] = []
  private paused = false
  private ending: { error: unknown } | undefined

  pushTo(sink: ChunkSink): void {
    this.sink = sink
    this.flow()
  }
  resume(): void {
    this.resumes++
    this.paused = false
    this.flow()
  }
  async return(): Promise<IteratorResult<Uint8Array>> {
    this.returned = true
    return { done: true, value: undefined }
  }
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    throw new Error('a pushed body is not pulled')
  }
  feed(...chunks: string[]): void {
    this.queue.push(...chunks.map(bytes))
    this.flow()
  }
  end(error?: unknown): void {
    this.ending = { error }
    this.flow()
  }
  private flow(): void {
    const sink = this.sink
    if (!sink) return
    while (!this.paused && !this.returned && this.queue.length > 0) {
      const ok = sink.take(this.queue.shift() as Uint8Array)
      this.takes.push(ok)
      if (!ok) this.paused = true
    }
    if (!this.paused && !this.returned && this.queue.length === 0 && this.ending) {
      const { error } = this.ending
      this.ending = undefined
      sink.done(error)
    }
  }
}

describe('the disk store pushed append (appendPushed)', () => {
  it('takes one chunk until the file is open, then writes everything in order', () =>
    withOpenFile('w', async (fd, path) => {
      const body = new Fed()
      const writer = new FileWriter(0)
      let opens = 0
      let letOpen: () => void = () => {}
      const opened = async () => {
        opens++
        await new Promise<void>((r) => {
          letOpen = r
        })
        return fd
      }
      const done = appendPushed(body, writer, opened, 1 << 20)
      body.feed('ab', 'cd')
      await sleep(5)
      // The first chunk asked for the file; the second waits in the body.
      assert.deepEqual(body.takes, [false])
      assert.equal(opens, 1)
      letOpen()
      await sleep(5)
      body.feed('ef')
      body.end()
      await done
      assert.equal(writer.pos, 6)
      assert.equal(readFileSync(path, 'utf8'), 'abcdef')
      assert.ok(body.resumes >= 1)
    }))

  it('pauses the body while highWaterMark bytes are queued, and resumes while they are written', () =>
    withOpenFile('w', async (fd, path) => {
      const body = new Fed()
      // Waits for the write of 'abc' itself: a timer raced the thread pool (a cold one takes over 10 ms).
      let abcWritten: () => void = () => {}
      const wrote = new Promise<void>((r) => {
        abcWritten = r
      })
      const writer = new FileWriter(0, (pos) => {
        if (pos === 3) abcWritten()
      })
      const done = appendPushed(body, writer, async () => fd, 4)
      body.feed('abc')
      await wrote
      const writtenAtResume: number[] = []
      const resume = body.resume.bind(body)
      body.resume = () => {
        writtenAtResume.push(writer.pos)
        resume()
      }
      // 'defg' goes to a write at once; 'hij' and 'klmn' queue behind it, past the mark: the body is paused.
      body.feed('defg', 'hij', 'klmn', 'op')
      assert.deepEqual(body.takes, [false, true, true, false])
      body.end()
      await done
      assert.equal(readFileSync(path, 'utf8'), 'abcdefghijklmnop')
      // Resumed as soon as 'defg' was written and 'hijklmn' went into the next write, not once that one was done
      // too: the socket is read while the disk writes (issue 17).
      assert.deepEqual(writtenAtResume, [7])
    }))

  it('settles only after an open still pending when the body ends during it, with that chunk written', () =>
    withOpenFile('w', async (fd, path) => {
      const body = new Fed()
      const writer = new FileWriter(0)
      let letOpen: () => void = () => {}
      const opened = () =>
        new Promise<number>((r) => {
          letOpen = () => r(fd)
        })
      const done = appendPushed(body, writer, opened, 1 << 20)
      let settled = false
      void done.then(() => {
        settled = true
      })
      body.feed('abc')
      // A body is allowed to end while paused (ChunkSink): here during the open.
      body.sink?.done()
      await sleep(5)
      assert.equal(settled, false, 'settled before the pending open, whose write would then hit a closed file')
      letOpen()
      await done
      assert.equal(writer.pos, 3)
      assert.equal(readFileSync(path, 'utf8'), 'abc')
    }))

  it('rejects with the failed write and stops the body', () =>
    // Read-only: the write fails with EBADF.
    withOpenFile('r', async (fd) => {
      const body = new Fed()
      const writer = new FileWriter(0)
      const done = appendPushed(body, writer, async () => fd, 1 << 20)
      body.feed('abc')
      await sleep(10)
      body.feed('def')
      await assert.rejects(done, (e: NodeJS.ErrnoException) => e.code === 'EBADF')
      assert.equal(body.returned, true)
    }))

  it('rejects with what the file open threw, and stops the body', async () => {
    const body = new Fed()
    const writer = new FileWriter(0)
    const done = appendPushed(
      body,
      writer,
      async () => {
        throw new Error('no file')
      },
      1 << 20,
    )
    body.feed('abc')
    await assert.rejects(done, /no file/)
    assert.equal(body.returned, true)
  })

  it("rejects with the body's error after storing what it passed on", () =>
    withOpenFile('w', async (fd, path) => {
      const body = new Fed()
      const writer = new FileWriter(0)
      const done = appendPushed(body, writer, async () => fd, 1 << 20)
      body.feed('abc')
      await sleep(5)
      body.end(new Error('reset'))
      await assert.rejects(done, /reset/)
      assert.equal(readFileSync(path, 'utf8'), 'abc')
      assert.equal(body.returned, false)
    }))
})
