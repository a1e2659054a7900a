import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { UploadLockedError } from '@rufh/protocol'
import { Redis } from 'ioredis'
import { type Lease, MemoryLocker } from '../lockers/locker.js'
import { RedisLocker } from '../lockers/redis-locker.js'
import { BodyReader } from '../procedures/body-reader.js'
import { send, startTestServer, type TestServer } from './kit/index.js'
import { type RedisProcess, startRedis } from './kit/redis.js'
import { BIN, serveChildren, spawnServe } from './kit/serve.js'

let redis: RedisProcess
const lockers: RedisLocker[] = []
const servers: TestServer[] = []

function locker(ttlMs?: number): RedisLocker {
  const l = new RedisLocker({ url: redis.url, ...(ttlMs ? { ttlMs } : {}) })
  lockers.push(l)
  return l
}

before(async () => {
  redis = await startRedis()
})
after(async () => {
  for (const child of serveChildren) child.kill('SIGKILL')
  await Promise.all(servers.map((s) => s.close()))
  await Promise.all(lockers.map((l) => l.close()))
  await redis.stop()
})

describe('RedisLocker (real redis-server)', { timeout: 30_000 }, () => {
  it('gives an upload to one node at a time; a newer request preempts the holder on another node', async () => {
    const [a, b] = [locker(), locker()]
    const held = await a.acquire('u1', { timeoutMs: 1000 })
    assert.equal(held.signal.aborted, false)
    let bGot = false
    const waiting = b.acquire('u1', { timeoutMs: 5000 }).then((l) => {
      bGot = true
      return l
    })
    // The holder on node A is asked to stop, and node B waits until A releases.
    await new Promise<void>((r) => held.signal.addEventListener('abort', () => r()))
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(bGot, false, 'B must not get the upload while A holds it')
    await held.release()
    const next = await waiting
    assert.equal(next.signal.aborted, false)
    // Other uploads are independent.
    const other = await a.acquire('u2', { timeoutMs: 1000 })
    await Promise.all([next.release(), other.release()])
  })

  it('fails with UploadLockedError when the holder does not let go in time', async () => {
    const [a, b] = [locker(), locker()]
    const held = await a.acquire('u3', { timeoutMs: 1000 })
    const t0 = Date.now()
    await assert.rejects(b.acquire('u3', { timeoutMs: 300 }), UploadLockedError)
    assert.ok(Date.now() - t0 >= 290)
    assert.equal(held.signal.aborted, true, 'the holder was asked to stop')
    await held.release()
  })

  it("a crashed node's lock expires after its TTL", async () => {
    const crashed = new RedisLocker({ url: redis.url, ttlMs: 400 })
    await crashed.acquire('u4', { timeoutMs: 1000 })
    await crashed.close() // never released: as if the process died
    const t0 = Date.now()
    const l = await locker().acquire('u4', { timeoutMs: 5000 })
    const waited = Date.now() - t0
    assert.ok(waited <= 1500, `waited ${waited} ms`)
    await l.release()
  })

  it('a holder whose lock was taken over (it stalled past the TTL) is told to stop', async () => {
    const a = locker(300)
    const held = await a.acquire('u5', { timeoutMs: 1000 })
    const other = new Redis(redis.url)
    await other.set('rufh:lock:u5', 'someone-else', 'PX', 10_000) // what another node does after the TTL ran out
    await other.quit()
    const t0 = Date.now()
    await new Promise<void>((r) => held.signal.addEventListener('abort', () => r()))
    assert.ok(Date.now() - t0 < 1000, 'noticed at the next renewal')
    await held.release()
    const check = new Redis(redis.url)
    assert.equal(await check.get('rufh:lock:u5'), 'someone-else', "release does not delete another node's lock")
    await check.quit()
  })

  it('Redis paused past the lifetime: the holder stops writing before its lock can expire, then another node takes it', async () => {
    const ttl = 1000
    const [a, b] = [locker(ttl), locker(ttl)]
    const held = await a.acquire('u6', { timeoutMs: 1000 })
    const w = writer(held)
    try {
      await sleep(300) // a renewal or two confirmed
      assert.equal(w.abortedAt, 0, `not stopped before the pause: ${reason(held)}`)
      // The client falls silent too: no chunk asks held(), so the holder must notice by itself that its proof ran out.
      w.quiet = true
      const pausedAt = performance.now()
      redis.child.kill('SIGSTOP')
      try {
        await sleep(ttl * 1.5)
      } finally {
        redis.child.kill('SIGCONT')
      }
      w.quiet = false
      // The key has expired in Redis: the other node gets it at once, then the renewals A sent during the pause are
      // answered (0: the key is gone).
      const next = await b.acquire('u6', { timeoutMs: 3000 })
      assert.equal(next.held?.(), true)
      await sleep(100)
      w.end()
      await w.done
      assert.ok(w.abortedAt > 0, 'the holder was told to stop')
      assert.equal(w.reader.stopped, 'lost', reason(held))
      assert.equal(held.held?.(), false, 'and no longer counts the lock as held')
      assert.ok(w.passed.length >= 10, `it was writing (${w.passed.length} chunks)`)
      // Every renewal confirmed was sent before the pause, so the proof (3/4 of the lifetime) ran out by
      // pausedAt + 3/4 ttl; Redis keeps the key a whole lifetime after the last renewal it ran, which was no earlier.
      const last = w.passed[w.passed.length - 1] as number
      assert.ok(last < pausedAt + (ttl * 3) / 4, `a chunk passed ${Math.round(last - pausedAt)} ms into the pause`)
      assert.ok(
        w.passed.every((at) => at < w.abortedAt),
        'no chunk passed after the holder was told to stop',
      )
      assert.ok(
        w.stoppedAt - pausedAt < ttl,
        `the writer stopped ${Math.round(w.stoppedAt - pausedAt)} ms into the pause`,
      )
      await next.release()
    } finally {
      w.end()
      await held.release()
    }
  })

  it('Redis back just after the holder gave up: late renewal answers do not revive it, and its lock expires', async (t) => {
    const ttl = 1000
    const [a, b] = [locker(ttl), locker(ttl)]
    const held = await a.acquire('u6b', { timeoutMs: 1000 })
    const w = writer(held)
    try {
      await sleep(300)
      assert.equal(w.abortedAt, 0, `not stopped before the pause: ${reason(held)}`)
      const pausedAt = performance.now()
      redis.child.kill('SIGSTOP')
      // Resumed the moment the holder gives up (or after 2 lifetimes if it never does): the key still lives in Redis,
      // and the renewals sent during the pause run now and extend it.
      await new Promise<void>((r) => {
        const give = setTimeout(r, 2 * ttl)
        held.signal.addEventListener('abort', () => {
          clearTimeout(give)
          r()
        })
      })
      redis.child.kill('SIGCONT')
      const resumedAt = performance.now()
      assert.ok(w.abortedAt > 0, 'the holder was told to stop')
      assert.ok(w.abortedAt - pausedAt < ttl, `told ${Math.round(w.abortedAt - pausedAt)} ms into the pause`)
      const check = new Redis(redis.url)
      const left = await check.pttl('rufh:lock:u6b') // answered after the renewals queued before it
      await check.quit()
      await sleep(50) // A's renewals were answered with the PTTL above: their replies have arrived
      assert.equal(held.held?.(), false, 'a renewal answered after giving up does not prove the lock again')
      t.diagnostic(
        `stopped ${Math.round(w.abortedAt - pausedAt)} ms into the pause; the key had ${left} ms left after it`,
      )
      // The holder has given up and no longer renews: the other node gets the upload within one lifetime.
      const next = await b.acquire('u6b', { timeoutMs: 3 * ttl })
      const waited = performance.now() - resumedAt
      assert.ok(waited < ttl + 500, `waited ${Math.round(waited)} ms after Redis came back`)
      w.end()
      await w.done
      assert.equal(w.reader.stopped, 'lost', reason(held))
      assert.equal(held.held?.(), false)
      assert.ok(
        w.passed.every((at) => at < w.abortedAt),
        'no chunk passed after the holder was told to stop',
      )
      await next.release()
    } finally {
      w.end()
      await held.release()
    }
  })

  it('while Redis does not answer, release and acquire end in time; both take effect once Redis is back', async () => {
    const ttl = 1000
    const [a, b] = [locker(ttl), locker(ttl)]
    const held = await a.acquire('u6c', { timeoutMs: 1000 })
    redis.child.kill('SIGSTOP')
    const t0 = performance.now()
    let released = Number.POSITIVE_INFINITY
    let refused = Number.POSITIVE_INFINITY
    try {
      // A request's answer waits for its release, and a request waits for a lock no longer than its lock wait.
      const both = Promise.all([
        held.release().then(() => (released = performance.now() - t0)),
        assert.rejects(b.acquire('u6d', { timeoutMs: 300 }), UploadLockedError).then(() => {
          refused = performance.now() - t0
        }),
      ])
      await Promise.race([both, sleep(2 * ttl)])
    } finally {
      redis.child.kill('SIGCONT')
    }
    assert.ok(released < ttl / 2, `release took ${Math.round(released)} ms`)
    assert.ok(refused < 300 + ttl / 2, `the refusal took ${Math.round(refused)} ms`)
    // Both keys would live most of a lifetime more: the uploads are free at once only if the release ran and the lock
    // that Redis set for the refused request once it ran again was let go.
    const t1 = performance.now()
    const next = await Promise.all([b.acquire('u6c', { timeoutMs: 3000 }), a.acquire('u6d', { timeoutMs: 3000 })])
    const waited = performance.now() - t1
    assert.ok(waited < ttl / 2, `waited ${Math.round(waited)} ms after Redis came back`)
    await Promise.all(next.map((l) => l.release()))
  })

  it('after an event-loop stall past the lifetime, the holder passes no further byte to the store', async () => {
    const held = await locker(400).acquire('u7', { timeoutMs: 1000 })
    const busy = (ms: number) => {
      const end = Date.now() + ms
      while (Date.now() < end) {}
    }
    async function* body() {
      yield Buffer.from('before')
      busy(600) // no timer and no renewal runs meanwhile; the chunk below arrives first when the loop runs again
      yield Buffer.from('after the stall')
    }
    const never = new AbortController().signal
    const reader = new BodyReader(body(), {
      idleMs: 10_000,
      client: never,
      preempt: held.signal,
      held: () => held.held?.() ?? true,
      shutdown: never,
    })
    const passed: string[] = []
    for await (const chunk of reader) passed.push(Buffer.from(chunk).toString())
    assert.deepEqual(passed, ['before'])
    assert.equal(reader.stopped, 'lost')
    assert.equal(held.signal.aborted, true)
    await held.release()
  })

  it('two servers on one folder: a HEAD on server 2 stops the PATCH running on server 1', async () => {
    const s1 = await startTestServer({ locker: locker() })
    servers.push(s1)
    const s2 = await startTestServer({ directory: s1.dir, locker: locker() })
    servers.push(s2)
    const outcome = await patchThenHead(s1, s2)
    assert.notEqual(outcome.patchStatus, 204, 'the PATCH was interrupted')
    assert.equal(outcome.headStatus, 200)
    assert.ok(outcome.offset > 0 && outcome.offset <= outcome.written, JSON.stringify(outcome))
  })

  it('`rufh serve --redis URL` serves with it and exits cleanly; a malformed URL is a usage error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rufh-redis-serve-'))
    try {
      const p = await spawnServe(dir, ['--redis', redis.url])
      const created = await send(p.url, { method: 'POST', headers: { ...TUS, 'upload-length': 3 } })
      assert.equal(created.status, 201)
      const head = await send(new URL(String(created.headers.location), p.url).href, { method: 'HEAD', headers: TUS })
      assert.equal(head.status, 200)
      p.child.kill('SIGTERM')
      assert.equal((await p.exited).code, 0)
      const bad = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--dir', dir, '--redis', 'localhost:6379'])
      assert.equal(bad.status, 2)
      assert.match(bad.stderr.toString(), /--redis takes a redis:\/\//)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('control: with a process-local locker per server, the PATCH on server 1 is not stopped', async () => {
    const s1 = await startTestServer({ locker: new MemoryLocker() })
    servers.push(s1)
    const s2 = await startTestServer({ directory: s1.dir, locker: new MemoryLocker() })
    servers.push(s2)
    const outcome = await patchThenHead(s1, s2)
    assert.equal(outcome.patchStatus, 204, JSON.stringify(outcome))
  })
})

const TUS = { 'tus-resumable': '1.0.0' }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const reason = (lease: Lease) => (lease.signal.reason as Error | undefined)?.message

/**
 * A transfer holding `lease`, read as the server reads a body (BodyReader): a chunk every 10 ms (unless `quiet`)
 * until `end()`.
 * `passed` holds when (performance.now()) each chunk was passed on to the store, `abortedAt` when the lease's signal
 * aborted, `stoppedAt` when the reader ended.
 */
function writer(lease: Lease) {
  let ended = false
  async function* body() {
    while (!ended) {
      if (!w.quiet) yield Buffer.from('x')
      await sleep(10)
    }
  }
  const never = new AbortController().signal
  const w = {
    passed: [] as number[],
    /** The client sends nothing while set: then only the lease's own timer can stop the reader. */
    quiet: false,
    abortedAt: 0,
    stoppedAt: 0,
    end: () => {
      ended = true
    },
    reader: undefined as unknown as BodyReader,
    done: undefined as unknown as Promise<void>,
  }
  lease.signal.addEventListener('abort', () => (w.abortedAt = performance.now()))
  w.reader = new BodyReader(body(), {
    idleMs: 60_000,
    client: never,
    preempt: lease.signal,
    held: () => lease.held?.() ?? true,
    shutdown: never,
    tap: () => w.passed.push(performance.now()),
  })
  w.done = (async () => {
    for await (const _ of w.reader);
    w.stoppedAt = performance.now()
  })()
  return w
}

/** Creates a tus upload on s1, streams part of a PATCH into it, HEADs it on s2, then sends the rest of the body. */
async function patchThenHead(s1: TestServer, s2: TestServer) {
  const total = 1024 * 1024
  const created = await send(s1.url, { method: 'POST', headers: { ...TUS, 'upload-length': total } })
  const path = new URL(String(created.headers.location), s1.url).pathname
  const url1 = new URL(path, s1.url).href
  const url2 = new URL(path, s2.url).href
  const part = Buffer.alloc(256 * 1024, 7)
  let markHead!: () => void
  const headDone = new Promise<void>((r) => (markHead = r))
  let patchStatus = 0
  const patched = new Promise<void>((resolve) => {
    const req = request(url1, {
      method: 'PATCH',
      agent: false,
      headers: {
        ...TUS,
        'upload-offset': 0,
        'content-type': 'application/offset+octet-stream',
        'content-length': total,
      },
    })
    req.on('response', (res) => {
      patchStatus = res.statusCode ?? 0
      res.resume()
      res.on('end', () => resolve())
    })
    req.on('error', () => resolve())
    req.write(part)
    // After the HEAD: send the rest (a stopped PATCH has answered by then and ignores it).
    void headDone.then(() => {
      if (!req.destroyed) req.end(Buffer.alloc(total - part.length, 7))
    })
  })
  await new Promise((r) => setTimeout(r, 300)) // Let server 1 store what was sent.
  const head = await send(url2, { method: 'HEAD', headers: TUS })
  markHead()
  await patched
  return {
    patchStatus,
    headStatus: head.status,
    offset: Number(head.headers['upload-offset']),
    written: part.length,
  }
}
