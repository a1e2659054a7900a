/**
 * rufh's server on S3Store on radosgw, over HTTP: draft and tus uploads, lengths learned late, 0-byte uploads, HEAD
 * and GET (with Range) after completion, a tus checksum mismatch undone across parts, a streamed part with no copy
 * failed by S3 (the PATCH fails, the acknowledged part stays), and expired uploads removed from the bucket (objects
 * deleted, multipart upload aborted).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import {
  appendHeaders,
  header,
  send,
  startTestServer,
  storedAtLeast,
  type TestServer,
} from '../../../server/dist/test/kit/index.js'
import { S3Store } from '../s3-store.js'
import { onUploadPart } from './faults.js'
import { CREDENTIALS, MIN_PART_SIZE, PART_LIMIT, type Rgw, startRgw } from './rgw.js'

const BIN = new URL('../../../cli/dist/bin.js', import.meta.url).pathname

let rgw: Rgw
let bucket: string
let client: S3Client
const servers: TestServer[] = []

before(
  async () => {
    rgw = await startRgw()
    bucket = await rgw.bucket()
    client = rgw.client()
  },
  { timeout: 900_000 },
)
after(async () => {
  await Promise.all(servers.map((s) => s.close()))
  client?.destroy()
  await rgw?.stop()
})

async function serve(
  prefix: string,
  extra: Parameters<typeof startTestServer>[0] = {},
  o: { client?: S3Client; partMemory?: number } = {},
): Promise<TestServer> {
  const store = new S3Store({
    client: o.client ?? client,
    bucket,
    prefix,
    partSize: 4096,
    minPartSize: MIN_PART_SIZE,
    maxParts: PART_LIMIT,
    ...(o.partMemory !== undefined ? { partMemory: o.partMemory } : {}),
  })
  const s = await startTestServer({ store, ...extra })
  servers.push(s)
  return s
}

const T = { 'tus-resumable': '1.0.0' }
const OCTETS = { 'content-type': 'application/offset+octet-stream' }
const body = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 13 + seed) & 255))

async function keys(prefix: string): Promise<string[]> {
  const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))
  return (r.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length)).sort()
}

describe('rufh on S3Store (radosgw), over HTTP', { timeout: 180_000 }, () => {
  test('draft: a complete creation without a length, then HEAD, GET and GET with Range from S3', async () => {
    const s = await serve('draft/')
    const data = body(10_007, 1)
    const r = await send(s.url, {
      method: 'POST',
      headers: { 'upload-draft-interop-version': '6', 'upload-complete': '?1', 'content-type': 'text/plain' },
      body: data,
    })
    assert.equal(r.status, 201, r.body)
    const url = header(r, 'location') as string
    const h = await send(url, { method: 'HEAD', headers: { 'upload-draft-interop-version': '6' } })
    assert.equal(header(h, 'upload-complete'), '?1')
    assert.equal(header(h, 'upload-offset'), String(data.byteLength))
    const g = await fetch(url)
    assert.equal(g.status, 200)
    assert.ok(Buffer.from(await g.arrayBuffer()).equals(data))
    const part = await fetch(url, { headers: { range: 'bytes=4090-4200' } })
    assert.equal(part.status, 206)
    assert.equal(part.headers.get('content-range'), `bytes 4090-4200/${data.byteLength}`)
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(data.subarray(4090, 4201)))
    const id = url.split('/').at(-1) as string
    // Layout: the object and its record, nothing else once complete.
    assert.deepEqual(await keys('draft/'), [id, `${id}.info`])
  })

  test('draft: appends cut and resumed, then completed by an empty append (the length is learned at the end)', async () => {
    const s = await serve('resume/')
    const data = body(9_001, 2)
    const c = await send(s.url, {
      method: 'POST',
      headers: { 'upload-draft-interop-version': '6', 'upload-complete': '?0' },
      body: data.subarray(0, 5000),
    })
    assert.equal(c.status, 201, c.body)
    const url = header(c, 'location') as string
    assert.equal(header(c, 'upload-offset') ?? '5000', '5000')
    const cut = await send(url, {
      method: 'PATCH',
      headers: appendHeaders(6, 5000, false),
      body: data.subarray(5000),
      // 4000 more bytes cross the 4 KiB part boundary at 8192: the part stored is reported by a progress 104, and
      // the connection is cut on it (the test kit cuts on events, not timers).
      cutAfter: 4000,
      cutWhen: storedAtLeast(8192),
    })
    assert.equal(cut.status, 0)
    let offset = 0
    for (let i = 0; i < 50; i++) {
      const h = await send(url, { method: 'HEAD', headers: { 'upload-draft-interop-version': '6' } })
      offset = Number(header(h, 'upload-offset'))
      if (h.status !== 423 && offset >= 5000) break
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.ok(offset >= 8192 && offset <= 9000, `offset ${offset}`)
    const rest = await send(url, {
      method: 'PATCH',
      headers: appendHeaders(6, offset, false),
      body: data.subarray(offset),
    })
    assert.ok(rest.status < 300, rest.body)
    assert.equal(header(rest, 'upload-offset'), String(data.byteLength))
    const done = await send(url, { method: 'PATCH', headers: appendHeaders(6, data.byteLength, true), body: '' })
    assert.ok(done.status < 300, done.body)
    assert.ok(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(data))
  })

  test('0-byte uploads: tus with Upload-Length 0 and a draft creation with no content are complete and served', async () => {
    const s = await serve('empty/')
    const tus = await send(s.url, { method: 'POST', headers: { ...T, 'upload-length': '0' } })
    assert.equal(tus.status, 201)
    const draft = await send(s.url, {
      method: 'POST',
      headers: { 'upload-draft-interop-version': '10', 'upload-complete': '?1' },
      body: '',
    })
    assert.equal(draft.status, 201, draft.body)
    for (const url of [header(tus, 'location') as string, header(draft, 'location') as string]) {
      const h = await send(url, { method: 'HEAD', headers: T })
      assert.equal(header(h, 'upload-offset'), '0')
      const g = await fetch(url)
      assert.equal(g.status, 200)
      assert.equal((await g.arrayBuffer()).byteLength, 0)
    }
  })

  test('tus: defer-length completes exactly when the length comes with the last PATCH; a bad checksum stores nothing', async () => {
    const s = await serve('tus/')
    const data = body(12_345, 3)
    const c = await send(s.url, { method: 'POST', headers: { ...T, 'upload-defer-length': '1' } })
    const url = header(c, 'location') as string
    const patch = (offset: number, b: Buffer, extra: Record<string, string> = {}) =>
      send(url, { method: 'PATCH', headers: { ...T, ...OCTETS, 'upload-offset': String(offset), ...extra }, body: b })
    assert.equal((await patch(0, data.subarray(0, 3000))).status, 204)
    // 9,000 bytes cross two 4 KiB parts; the wrong digest makes the server cut back to 3,000.
    const bad = await patch(3000, data.subarray(3000, 12_000), {
      'upload-checksum': `sha1 ${createHash('sha1').update('x').digest('base64')}`,
    })
    assert.equal(bad.status, 460)
    assert.equal(header(await send(url, { method: 'HEAD', headers: T }), 'upload-offset'), '3000')
    const sha = createHash('sha1').update(data.subarray(3000, 12_000)).digest('base64')
    assert.equal((await patch(3000, data.subarray(3000, 12_000), { 'upload-checksum': `sha1 ${sha}` })).status, 204)
    const last = await patch(12_000, data.subarray(12_000), { 'upload-length': String(data.byteLength) })
    assert.equal(last.status, 204)
    assert.ok(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(data))
  })

  test('tus, part memory full: S3 failing a streamed part with no copy fails the PATCH; the offset is the parts before it, and resuming is exact', async () => {
    const faulty = rgw.client()
    let failed = false
    onUploadPart(faulty, (r) => {
      if (r.part !== 2 || failed) return
      failed = true
      throw Object.assign(new Error('injected: connection reset'), { code: 'ECONNRESET' })
    })
    try {
      const s = await serve('nocopy/', {}, { client: faulty, partMemory: 0 })
      const data = body(3 * 4096 + 100, 4)
      const c = await send(s.url, { method: 'POST', headers: { ...T, 'upload-length': String(data.byteLength) } })
      const url = header(c, 'location') as string
      const patch = (offset: number) =>
        send(url, {
          method: 'PATCH',
          headers: { ...T, ...OCTETS, 'upload-offset': String(offset) },
          body: data.subarray(offset),
        })
      const failing = await patch(0)
      assert.ok(failing.status >= 500, `status ${failing.status}`)
      assert.ok(failed)
      // Part 1, acknowledged before part 2 failed, is recorded: no acknowledged byte is lost.
      const offset = Number(header(await send(url, { method: 'HEAD', headers: T }), 'upload-offset'))
      assert.equal(offset, 4096)
      assert.equal((await patch(offset)).status, 204)
      assert.ok(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(data))
    } finally {
      faulty.destroy()
    }
  })

  test('expired uploads are removed from the bucket: objects deleted, multipart upload aborted', async () => {
    const s = await serve('expiry/', { limits: { maxAge: 1 }, expiryIntervalMs: 300 })
    const c = await send(s.url, {
      method: 'POST',
      headers: { ...T, ...OCTETS, 'upload-length': '100000' },
      body: body(9000, 4),
    })
    assert.equal(c.status, 201)
    assert.ok((await keys('expiry/')).length >= 1)
    const uploads = () => client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'expiry/' }))
    assert.equal((await uploads()).Uploads?.length, 1)
    const gone = async () => (await keys('expiry/')).length === 0 && !(await uploads()).Uploads?.length
    for (let i = 0; i < 60 && !(await gone()); i++) await new Promise((r) => setTimeout(r, 200))
    assert.deepEqual(await keys('expiry/'), [])
    assert.deepEqual((await uploads()).Uploads ?? [], [])
    assert.equal((await send(header(c, 'location') as string, { method: 'HEAD', headers: T })).status, 404)
  })

  test('rufh serve --s3-bucket: serves from the bucket; a missing bucket or refused credentials stop it at start', async () => {
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    }
    const serveCli = (args: string[], extraEnv: Record<string, string> = {}) => {
      const child = spawn(
        process.execPath,
        [
          BIN,
          'serve',
          '--port',
          '0',
          '--log-level',
          'silent',
          '--s3-endpoint',
          rgw.endpoint,
          '--s3-path-style',
          ...args,
        ],
        {
          env: { ...env, ...extraEnv },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
      let out = ''
      let err = ''
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
      })
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString()
      })
      const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
      return { child, exit, out: () => out, err: () => err }
    }
    const missing = serveCli(['--s3-bucket', 'no-such-bucket'])
    assert.equal(await missing.exit, 1)
    assert.match(missing.err(), /bucket 'no-such-bucket' does not exist/)
    const refused = serveCli(['--s3-bucket', bucket], { AWS_SECRET_ACCESS_KEY: 'wrong' })
    assert.equal(await refused.exit, 1)
    assert.match(refused.err(), /refused the credentials/)

    const good = serveCli(['--s3-bucket', bucket, '--s3-prefix', 'cli/'])
    for (let i = 0; i < 100 && !good.out().includes('rufh serving'); i++) await new Promise((r) => setTimeout(r, 100))
    const url = /rufh serving (\S+)/.exec(good.out())?.[1]
    assert.ok(url, good.err())
    const data = body(5000, 9)
    const c = await send(url, {
      method: 'POST',
      headers: { 'upload-draft-interop-version': '10', 'upload-complete': '?1' },
      body: data,
    })
    assert.equal(c.status, 201, c.body)
    const id = (header(c, 'location') as string).split('/').at(-1) as string
    assert.deepEqual(await keys('cli/'), [id, `${id}.info`])
    assert.ok(Buffer.from(await (await fetch(header(c, 'location') as string)).arrayBuffer()).equals(data))
    good.child.kill('SIGTERM')
    assert.equal(await good.exit, 0)
  })
})
