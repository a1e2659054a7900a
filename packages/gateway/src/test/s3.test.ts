/**
 * `rufh gateway` on S3 (a real radosgw, packages/store-s3's fixture): spool mode keeps the uploads in the bucket and
 * the journal with them (the creation's head and the backend's answer, as companion objects next to each upload,
 * nothing in --dir), so that two gateway processes on one bucket and one redis-server act as one. A bucket that does
 * not exist stops `rufh gateway` at start with a clear message.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { UploadInfo } from '@rufh/server'
import { type ChildGateway, spawnGateway } from './child.js'
import { type Backend, send, sha256, startBackend } from './kit.js'
import { lostAnswerAcross, resumeAcross } from './two-processes.js'

const here = (p: string) => new URL(p, import.meta.url).href
const { startRedis } = (await import(here('../../../server/dist/test/kit/redis.js'))) as {
  startRedis(): Promise<{ url: string; stop(): Promise<void> }>
}
const { startRgw, CREDENTIALS } = (await import(here('../../../store-s3/dist/test/rgw.js'))) as {
  startRgw(): Promise<{ endpoint: string; client(): unknown; bucket(): Promise<string>; stop(): Promise<void> }>
  CREDENTIALS: { accessKeyId: string; secretAccessKey: string }
}
/** The part of S3Store this test reads the bucket with (imported by path: the gateway does not depend on it). */
interface S3StoreType {
  get(id: string): Promise<UploadInfo>
  getCompanion(id: string, name: string): Promise<Buffer | undefined>
}
const { S3Store } = (await import(here('../../../store-s3/dist/index.js'))) as {
  S3Store: new (o: { client: unknown; bucket: string; prefix: string }) => S3StoreType
}
const BIN = new URL('../../../cli/dist/bin.js', import.meta.url).pathname

const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
}
let rgw: Awaited<ReturnType<typeof startRgw>>
let redis: { url: string; stop(): Promise<void> }
let backend: Backend
let bucket: string
let store: S3StoreType
let dir: string
const nodes: ChildGateway[] = []
const s3Flags = () => ['--s3-endpoint', rgw.endpoint, '--s3-path-style', '--s3-bucket', bucket, '--s3-prefix', 'gw/']

before(
  async () => {
    rgw = await startRgw()
    bucket = await rgw.bucket()
    store = new S3Store({ client: rgw.client(), bucket, prefix: 'gw/' })
    redis = await startRedis()
    backend = await startBackend()
    dir = await mkdtemp(join(tmpdir(), 'rufh-gw-s3-'))
    for (const sub of ['a', 'b'])
      nodes.push(
        await spawnGateway(
          ['--backend', backend.url, '--dir', join(dir, sub), '--redis', redis.url, ...s3Flags()],
          env,
        ),
      )
  },
  { timeout: 900_000 },
)
after(async () => {
  for (const n of nodes) await n.kill9()
  await backend?.close()
  await redis?.stop()
  await rgw?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

test('a spool upload on S3 is delivered to the backend; the upload and its journal are in the bucket', {
  timeout: 60_000,
}, async () => {
  assert.match(nodes[0]!.output(), new RegExp(`\\(spool, s3://${bucket}/gw/\\)`))
  const data = randomBytes(300_000)
  const before = backend.received.length
  const r = await send(`${nodes[0]!.url}/photos/one`, {
    method: 'POST',
    headers: { 'upload-draft-interop-version': '10', 'upload-complete': '?1', 'content-length': data.length },
    body: data,
  })
  assert.equal(r.status, 201, r.body)
  assert.equal((JSON.parse(r.body) as { sha256: string }).sha256, sha256(data))
  assert.equal(backend.received.length, before + 1)
  const id = String(r.headers['location']).split('/').pop() as string
  const info = await store.get(id)
  assert.equal(info.complete, true)
  assert.equal(info.offset, data.length)
  const head = JSON.parse(String(await store.getCompanion(id, 'gateway-head.json'))) as { path: string }
  assert.equal(head.path, '/photos/one')
  const kept = JSON.parse(String(await store.getCompanion(id, 'gateway-response.json'))) as { status: number }
  assert.equal(kept.status, 201)
  // Nothing of the upload on local disk.
  for (const sub of ['a', 'b']) assert.deepEqual(await readdir(join(dir, sub)).catch(() => []), [])
})

test('two processes, one bucket: created and cut on one, resumed and completed on the other', {
  timeout: 60_000,
}, async () => {
  const id = await resumeAcross(nodes[0]!.url, nodes[1]!.url, backend)
  assert.ok(await store.getCompanion(id, 'gateway-response.json'), 'the kept answer is in the bucket')
})

test('two processes, one bucket: a final response lost on one is recovered from the other', {
  timeout: 60_000,
}, async () => {
  const id = await lostAnswerAcross(nodes[0]!.url, nodes[1]!.url, backend)
  // Removing the upload removes its journal too (a DELETE through the other process).
  const url = `${nodes[1]!.url}/.uploads/${id}`
  assert.equal((await send(url, { method: 'DELETE', headers: { 'upload-draft-interop-version': '9' } })).status, 204)
  assert.equal(await store.getCompanion(id, 'gateway-response.json'), undefined)
  assert.equal(await store.getCompanion(id, 'gateway-head.json'), undefined)
})

test('a bucket that does not exist stops rufh gateway at start', { timeout: 60_000 }, async () => {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'gateway',
      '--backend',
      backend.url,
      '--port',
      '0',
      ...s3Flags().slice(0, -4),
      '--s3-bucket',
      'no-such-bucket',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)))
  assert.equal(code, 1)
  assert.equal(err, "rufh gateway: S3 bucket 'no-such-bucket' does not exist\n")
  assert.equal(out, '', 'it never listened')
})
