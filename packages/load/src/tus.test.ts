/** tus 1.0 runs: against the reference @tus/server (+ FileStore) and against rufh's server on the same endpoint. */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { LoadOptions } from './options.js'
import { runLoad } from './run.js'
import { startTestServer, type TestServer } from './servers.test.helper.js'

const KiB = 1024
const TUS_SERVER = fileURLToPath(new URL('../bench/tus-node-server.mjs', import.meta.url))

const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const c of cleanups) await c()
})

/**
 * @tus/server in its own process (as deployed, and as the benchmarks run it). In this process it throws an uncaught
 * `ERR_INVALID_STATE: ReadableStream is already closed` when a client closes its connection right after a download.
 */
async function tusNodeServer(): Promise<{ url: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rufh-load-tus-'))
  const child = spawn(process.execPath, [TUS_SERVER, '0', dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  cleanups.push(async () => {
    if (child.exitCode === null) {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    }
    await rm(dir, { recursive: true, force: true })
  })
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s
      const m = /^tus serving (\S+)/m.exec(out)
      if (m) resolve(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`@tus/server exited (${code}) before it was ready`)))
  })
  return { url, dir }
}

function tusOptions(url: string, o: Partial<LoadOptions> = {}): LoadOptions {
  return {
    url,
    protocol: 'tus-v1',
    model: { kind: 'closed', users: 3, uploadsPerUser: 2 },
    size: { kind: 'uniform', min: 128 * KiB, max: 1024 * KiB },
    chunkSize: 256 * KiB,
    interrupt: 0.5,
    seed: 21,
    verify: { kind: 'get' },
    ...o,
  }
}

describe('--protocol tus-v1', () => {
  it('uploads to @tus/server with interruptions, resumes with HEAD, and verifies by GET', async () => {
    const { url } = await tusNodeServer()
    const r = await runLoad(tusOptions(url))
    assert.equal(r.protocol, 'tus-1.0.0')
    assert.equal(r.ok, true, JSON.stringify(r.failures))
    assert.equal(r.uploads.verified, 6)
    assert.ok(r.interruptions.injected >= 2, `${r.interruptions.injected} cuts`)
    assert.equal(r.interruptions.resumed, r.interruptions.injected + r.interruptions.networkErrors)
    // tus has no completeness field: the last append is the one that reaches the length.
    assert.equal(r.latency.completion.count + r.latency.append.count > 6, true)
    assert.equal(r.statusCodes['201'], 6)
  })

  it('creation-with-upload (optimistic) against @tus/server', async () => {
    const { url } = await tusNodeServer()
    const r = await runLoad(tusOptions(url, { creation: 'optimistic', interrupt: 0, chunkSize: undefined }))
    assert.equal(r.ok, true, JSON.stringify(r.failures))
    assert.equal(r.uploads.verified, 6)
    // Each upload is one POST that carries everything.
    assert.equal(r.latency.creation.count, 6)
    assert.equal(r.latency.append.count + r.latency.completion.count, 0)
  })

  it('speaks tus to rufh serve too, where the stored bytes match', async () => {
    const s: TestServer = await startTestServer()
    cleanups.push(() => s.close())
    const r = await runLoad(tusOptions(s.url, { verify: { kind: 'dir', path: s.dir } }))
    assert.equal(r.ok, true, JSON.stringify(r.failures))
    assert.equal(r.uploads.verified, 6)
    assert.equal(s.store.appended, r.bytes.payload)
    assert.equal(r.bytes.sent - r.bytes.resent, r.bytes.payload)
  })
})
