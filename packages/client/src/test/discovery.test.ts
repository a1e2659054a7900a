/**
 * `auto` over real sockets (issue 12 point 5): against `rufh serve` restricted to interop 6 and 8, against the same
 * server behind a front that takes interop 9 and 10 as ordinary requests (what the drafts intend for a server without
 * support), and against the tus-only @tus/server, counting requests; then `rufh upload`'s exit codes.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { codecs } from '@rufh/protocol'
import { createNodeHandler } from '@rufh/server'
import { createUpload, NodeHttpTransport, type TransportRequest } from '../index.js'
import { pseudoRandom, startTestServer, type TestServer } from './server.test.helper.js'
import { startTusNodeServer, type TusNodeServer } from './tus-node-server.test.helper.js'

const bin = fileURLToPath(new URL('../../../cli/dist/bin.js', import.meta.url))
const only6and8 = codecs.filter((c) => c.interop === 6 || c.interop === 8)

/** `METHOD interop body-size status` per request (`-`: no interop field, i.e. tus). */
class Recorder extends NodeHttpTransport {
  readonly log: string[] = []
  override async request(req: TransportRequest) {
    const res = await super.request(req)
    this.log.push(
      `${req.method} ${req.headers['upload-draft-interop-version'] ?? '-'} ${req.body?.size ?? 0} ${res.status}`,
    )
    return res
  }
}

async function send(endpoint: string, data: Buffer, stateDir: string) {
  const t = new Recorder()
  const r = await (await createUpload(new Uint8Array(data), { endpoint, transport: t, stateDir })).start()
  return { r, log: t.log }
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, 'upload', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d))
  child.stderr.on('data', (d: Buffer) => (stderr += d))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

describe('auto against rufh serve speaking only interop 6 and 8', { timeout: 60_000 }, () => {
  let server: TestServer
  before(async () => {
    server = await startTestServer(undefined, { codecs: only6and8 })
  })
  after(() => server.close())

  it('its refusal lists 6 and 8: interop 8 at once; the next upload starts there', async () => {
    const state = join(server.dir, 'state')
    const data = pseudoRandom(100_000, 31)
    const first = await send(server.url, data, state)
    assert.equal(first.r.interop, 8)
    assert.ok((await server.bytesOf(first.r.url!)).equals(data))
    assert.deepEqual(first.log, ['OPTIONS 10 0 400', 'POST 8 100000 201'])
    assert.deepEqual(await readdir(join(state, 'versions')).then((f) => f.length), 1)
    const other = pseudoRandom(50_000, 32)
    const second = await send(server.url, other, state)
    assert.ok((await server.bytesOf(second.r.url!)).equals(other))
    assert.deepEqual(second.log, ['OPTIONS 8 0 204', 'POST 8 50000 201'])
  })
})

describe('auto against interop 6 and 8 behind a front that takes 9 and 10 as ordinary requests', {
  timeout: 60_000,
}, () => {
  let dir: string
  let url: string
  let plainBytes = 0
  let close: () => Promise<void>

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rufh-partial-'))
    const handler = createNodeHandler({ directory: join(dir, 'store'), codecs: only6and8, expiryIntervalMs: 0 })
    const http = createServer((req, res) => {
      const v = req.headers['upload-draft-interop-version']
      if (v !== '9' && v !== '10') return handler(req, res)
      // A server without support for this version: an ordinary POST, 201 without Location (and an empty OPTIONS).
      req.on('data', (c: Buffer) => (plainBytes += c.length))
      req.on('end', () => {
        res.statusCode = req.method === 'OPTIONS' ? 204 : 201
        res.end()
      })
    })
    http.listen(0, '127.0.0.1')
    await new Promise((r) => http.once('listening', r))
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/files/`
    close = async () => {
      await handler.core.close()
      http.closeAllConnections()
      await new Promise((r) => http.close(r))
    }
  })
  after(async () => {
    try {
      await close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  const stored = (u: string) => readFile(join(dir, 'store', new URL(u).pathname.split('/').pop()!))

  it('empty creations at 10 and 9, an upload at 8, then the content; remembered for the next upload', async () => {
    const state = join(dir, 'state-lib')
    const data = pseudoRandom(120_000, 41)
    const first = await send(url, data, state)
    assert.equal(first.r.interop, 8)
    assert.equal(first.r.resumable, true)
    assert.ok((await stored(first.r.url!)).equals(data))
    assert.deepEqual(first.log, [
      'OPTIONS 10 0 204',
      'POST 10 0 201',
      'POST 9 0 201',
      'POST 8 0 201',
      'PATCH 8 120000 204',
    ])
    assert.equal(plainBytes, 0, 'no content reached an ordinary request')
    const other = pseudoRandom(60_000, 42)
    const second = await send(url, other, state)
    assert.ok((await stored(second.r.url!)).equals(other))
    assert.deepEqual(second.log, ['OPTIONS 8 0 204', 'POST 8 60000 201'])
  })

  it('rufh upload: auto uploads resumably (exit 0); a chosen version taken as ordinary exits 4 with a warning', async () => {
    const file = join(dir, 'cli.bin')
    const data = pseudoRandom(80_000, 43)
    await writeFile(file, data)
    const ok = await cli([file, url, '--state', join(dir, 'state-cli'), '-q'])
    assert.equal(ok.code, 0, ok.stderr)
    const [name, upload, size] = ok.stdout.trim().split('\t')
    assert.deepEqual([name, size], [file, '80000'])
    assert.ok((await stored(upload!)).equals(data))

    const before = plainBytes
    const plain = await cli([file, url, '--interop', '10', '--state', join(dir, 'state-cli-10'), '-q'])
    assert.equal(plain.code, 4, plain.stderr)
    assert.equal(plain.stdout, `${file}\t(no upload resource)\t80000\n`)
    assert.match(plain.stderr, /warning: the server answered 201 \(interop-10\) but made no upload resource/)
    assert.equal(plainBytes - before, 80_000, 'the chosen version sent the file as an ordinary request')
  })
})

describe('auto against @tus/server (tus only)', { timeout: 60_000 }, () => {
  let dir: string
  let endpoint: string
  let tus: TusNodeServer

  before(async () => {
    tus = await startTusNodeServer()
    ;({ dir, endpoint } = tus)
  })
  after(() => tus.close())

  it('OPTIONS shows tus only: no draft creation at all, three requests per upload, tus remembered', async () => {
    const state = join(dir, 'state')
    const data = pseudoRandom(70_000, 51)
    const first = await send(endpoint, data, state)
    assert.equal(first.r.protocol, 'tus-1.0.0')
    assert.deepEqual(first.log, ['OPTIONS 10 0 204', 'POST - 0 201', 'PATCH - 70000 204'])
    const id = new URL(first.r.url!).pathname.split('/').pop()!
    assert.ok((await readFile(join(dir, id))).equals(data))
    const second = await send(endpoint, pseudoRandom(30_000, 52), state)
    assert.equal(second.r.protocol, 'tus-1.0.0')
    assert.deepEqual(second.log, ['OPTIONS - 0 204', 'POST - 0 201', 'PATCH - 30000 204'])
  })
})

describe('a file below the server’s min-size (draft-12 §4.1.4, §4.2.1)', { timeout: 60_000 }, () => {
  let server: TestServer
  before(async () => {
    server = await startTestServer({ minSize: 1000 })
  })
  after(() => server.close())

  it('goes in one complete request: auto learns min-size from OPTIONS, careful after the empty creation is refused', async () => {
    const data = pseudoRandom(500, 61)
    const auto = await send(server.url, data, join(server.dir, 'state-min'))
    assert.ok((await server.bytesOf(auto.r.url!)).equals(data))
    assert.deepEqual(auto.log, ['OPTIONS 10 0 204', 'POST 10 500 201'])

    const t = new Recorder()
    const careful = await (
      await createUpload(new Uint8Array(data), { endpoint: server.url, transport: t, interop: 10, creation: 'careful' })
    ).start()
    assert.ok((await server.bytesOf(careful.url!)).equals(data))
    assert.deepEqual(t.log, ['POST 10 0 400', 'POST 10 500 201'])
  })
})
