/**
 * The client's retry on 423 covers the window a killed node leaves: its upload locks in Redis live on for at most
 * their lifetime (RedisLocker, 4 s by default). A real `rufh serve --redis` (node A) takes an upload through a
 * balancer and is killed with kill -9 mid-body; the client, with its default retry policy, resumes through node B.
 * Node B waits only 500 ms for a lock (the default is 10 s, which outlasts the lifetime, so no 423 happens at all):
 * it answers 423 while A's lock lives, and the client must keep retrying until the lock runs out and then complete.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { DEFAULT_LOCK_TTL_MS, RedisLocker } from '@rufh/server/redis'
import { type Balancer, startBalancer } from '../../../server/dist/test/kit/balancer.js'
import { type RedisProcess, startRedis } from '../../../server/dist/test/kit/redis.js'
import { serveChildren, spawnServe } from '../../../server/dist/test/kit/serve.js'
import { backoff, defaultRetryPolicy } from '../core/retry.js'
import { HttpError } from '../errors.js'
import { createUpload } from '../index.js'
import { pseudoRandom, startTestServer, type TestServer } from './server.test.helper.js'

let redis: RedisProcess
let b: TestServer
let lb: Balancer | undefined
const locker: { l?: RedisLocker } = {}

before(async () => {
  redis = await startRedis()
  locker.l = new RedisLocker({ url: redis.url })
  b = await startTestServer(undefined, { locker: locker.l, lockTimeoutMs: 500 })
})
after(async () => {
  for (const child of serveChildren) child.kill('SIGKILL')
  await lb?.close()
  await b.close()
  await locker.l?.close()
  await redis.stop()
})

describe('@rufh/client after a kill -9 of the node holding its upload', { timeout: 60_000 }, () => {
  it('the default retries outlast the lock lifetime even if every attempt were refused at once', () => {
    // The shortest waits the default policy can draw (jitter at its low end), summed over its retries.
    let least = 0
    for (let i = 0; i < defaultRetryPolicy.retries; i++) least += backoff(defaultRetryPolicy, i, () => 0)
    assert.ok(least > 2 * DEFAULT_LOCK_TTL_MS, `${least} ms of retries for a ${DEFAULT_LOCK_TTL_MS} ms lock`)
  })

  it('retries through the 423s of another node and completes there, byte-exact', async (t) => {
    const a = await spawnServe(join(b.dir, 'store'), ['--redis', redis.url])
    const aPort = Number(new URL(a.url).port)
    // Failover balancing: A while it is up, then B. Throttled so that the body is still arriving when A dies.
    lb = await startBalancer([aPort, b.port], { mode: 'failover', rate: 256 * 1024 })
    const data = pseudoRandom(1024 * 1024, 5)
    const up = await createUpload(data, { endpoint: lb.via(a.url) })
    const refused: number[] = []
    up.on('retry', ({ error }) => {
      if (error instanceof HttpError && error.status === 423) refused.push(Date.now())
    })
    const done = up.start()
    await new Promise((r) => setTimeout(r, 1500))
    assert.equal(lb.open()[0]?.port, aPort, 'the body is arriving at node A')
    a.child.kill('SIGKILL')
    await a.exited
    const killedAt = Date.now()
    lb.rate = undefined
    const r = await done
    const took = Date.now() - killedAt
    t.diagnostic(`completed ${took} ms after kill -9 of node A; ${refused.length} attempt(s) answered 423 by node B`)
    assert.ok(refused.length >= 1, 'node B refused while the dead node held the lock')
    assert.ok(
      refused.every((at) => at - killedAt < DEFAULT_LOCK_TTL_MS + 1000),
      'no 423 after the lock lifetime',
    )
    assert.ok(took < 20_000, `took ${took} ms`)
    assert.ok((await b.bytesOf(r.url!)).equals(data), 'stored bytes differ')
  })
})
