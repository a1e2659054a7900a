/**
 * Three `rufh serve` processes on one radosgw bucket and one redis-server are one service (issue 15): behind a
 * round-robin balancer (server test kit), tus-js-client and @rufh/client uploads cut mid-body resume through another
 * node; a node killed with kill -9 mid-upload costs the client only a wait of at most the Redis lock lifetime (4 s),
 * and it completes on another node. Every upload is read back from every node (sha256), and a `Range` GET is served
 * from S3.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createUpload } from '@rufh/client'
import { DefaultHttpStack, Upload } from 'tus-js-client'
import { type Balancer, startBalancer } from '../../../server/dist/test/kit/balancer.js'
import { type RedisProcess, startRedis } from '../../../server/dist/test/kit/redis.js'
import { type ServeProcess, serveChildren, spawnServe } from '../../../server/dist/test/kit/serve.js'
import { CREDENTIALS, type Rgw, startRgw } from '../../../store-s3/dist/test/rgw.js'

const MiB = 1024 * 1024
const LOCK_TTL_MS = 4000 // RedisLocker's default lifetime: the longest a killed node blocks its uploads

let rgw: Rgw
let redis: RedisProcess
let dir: string
let nodes: ServeProcess[] = []
const balancers: Balancer[] = []

before(
  async () => {
    ;[rgw, redis] = await Promise.all([startRgw(), startRedis()])
    const bucket = await rgw.bucket()
    dir = await mkdtemp(join(tmpdir(), 'rufh-s3-nodes-'))
    // The servers read credentials from the SDK's standard chain: the environment they inherit.
    process.env['AWS_ACCESS_KEY_ID'] = CREDENTIALS.accessKeyId
    process.env['AWS_SECRET_ACCESS_KEY'] = CREDENTIALS.secretAccessKey
    process.env['AWS_REGION'] = 'us-east-1'
    const flags = ['--s3-bucket', bucket, '--s3-endpoint', rgw.endpoint, '--s3-path-style', '--s3-part-size', '5MiB']
    nodes = await Promise.all([0, 1, 2].map(() => spawnServe(dir, [...flags, '--redis', redis.url])))
  },
  { timeout: 900_000 },
)
after(async () => {
  await Promise.all(balancers.map((b) => b.close()))
  for (const child of serveChildren) child.kill('SIGKILL')
  await redis?.stop()
  await rgw?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const port = (n: ServeProcess) => Number(new URL(n.url).port)
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + seed * 7) & 255))

async function balancer(o: Parameters<typeof startBalancer>[1]): Promise<Balancer> {
  const live = nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null)
  const b = await startBalancer(live.map(port), o)
  balancers.push(b)
  return b
}

/** The upload read back from every node still up (directly, not through the balancer), compared by sha256. */
async function readBackEverywhere(uploadUrl: string, data: Buffer): Promise<void> {
  const path = new URL(uploadUrl).pathname
  for (const n of nodes) {
    if (n.child.exitCode !== null || n.child.signalCode !== null) continue
    const res = await fetch(new URL(path, n.url))
    assert.equal(res.status, 200, `GET on ${n.url}`)
    assert.equal(sha(Buffer.from(await res.arrayBuffer())), sha(data), `bytes read back from ${n.url}`)
  }
}

/** Cuts the first `count` connections that carry more than `after` client→server bytes. */
function cutter(count: number, after: number) {
  let left = count
  return () => (left-- > 0 ? after : undefined)
}

describe('3 rufh serve nodes, one radosgw bucket, one Redis', { timeout: 60_000 }, () => {
  it('tus-js-client: a PATCH cut mid-body resumes through another node; read back from all three', async () => {
    // Fresh connections (no keep-alive): the balancer sends each request to the next node.
    const lb = await balancer({ cutAfter: cutter(3, 1_500_000) })
    const data = bytes(6 * MiB + 333, 1)
    const url = await new Promise<string>((resolve, reject) => {
      const u: Upload = new Upload(data, {
        endpoint: `${lb.origin}/files/`,
        retryDelays: [0, 100, 250, 500, 1000, 2000],
        httpStack: new DefaultHttpStack({ agent: false }),
        onSuccess: () => resolve(u.url!),
        onError: reject,
      })
      u.start()
    })
    assert.ok(lb.cuts >= 1, `cuts: ${lb.cuts}`)
    assert.equal(new Set(lb.routes).size, 3, `every node took part: ${lb.routes.join(',')}`)
    await readBackEverywhere(url, data)
  })

  it('@rufh/client: appends cut mid-body resume through another node; a Range GET is served from S3', async () => {
    const lb = await balancer({ cutAfter: cutter(2, 1_000_000) })
    const data = bytes(5 * MiB + 777, 2)
    const up = await createUpload(data, { endpoint: `${lb.origin}/files/`, retry: { baseDelay: 50 } })
    const r = await up.start()
    assert.ok(lb.cuts >= 1, `cuts: ${lb.cuts}`)
    assert.ok(new Set(lb.routes).size >= 2, `resumed on another node: ${lb.routes.join(',')}`)
    await readBackEverywhere(r.url!, data)
    const path = new URL(r.url!).pathname
    const ranged = await fetch(new URL(path, nodes[2]!.url), { headers: { range: 'bytes=5242000-5242999' } })
    assert.equal(ranged.status, 206)
    assert.equal(ranged.headers.get('content-range'), `bytes 5242000-5242999/${data.length}`)
    assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(5242000, 5243000)))
  })

  it('kill -9 of the node receiving an upload: @rufh/client completes on another node', async (t) => {
    const lb = await balancer({ rate: 512 * 1024 })
    const data = bytes(3 * MiB + 5, 3)
    const up = await createUpload(data, { endpoint: `${lb.origin}/files/` }) // default retry policy
    const done = up.start()
    await new Promise((r) => setTimeout(r, 1500))
    const carrying = lb.open()[0] // the connection with the most bytes: the body's
    assert.ok(carrying && carrying.bytes > 100_000, `a body is arriving: ${JSON.stringify(lb.open())}`)
    const victim = nodes.find((n) => port(n) === carrying.port)!
    victim.child.kill('SIGKILL')
    await victim.exited
    const killedAt = Date.now()
    lb.rate = undefined
    const r = await done
    const took = Date.now() - killedAt
    t.diagnostic(`completed ${took} ms after kill -9 of the node receiving the body`)
    // The wait for the dead node's lock (at most its lifetime), then the rest of the body and the completion.
    assert.ok(took < LOCK_TTL_MS + 10_000, `took ${took} ms`)
    assert.ok(
      lb.routes.some((p) => p !== carrying.port),
      'continued on another node',
    )
    await readBackEverywhere(r.url!, data)
  })
})
