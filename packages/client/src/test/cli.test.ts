/**
 * `rufh upload` as a process: killed mid-upload and rerun, it resumes from the persisted state and the server ends
 * with the exact bytes; Ctrl-C exits 130 and is resumable; exit codes for usage and network failures.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { startCutProxy } from './cut-proxy.test.helper.js'
import { pseudoRandom, startTestServer, type TestServer } from './server.test.helper.js'

const bin = fileURLToPath(new URL('../../../cli/dist/bin.js', import.meta.url))
const SIZE = 3 * 1024 * 1024

interface Run {
  child: ChildProcess
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>
}

function cli(args: string[]): Run {
  const child = spawn(process.execPath, [bin, 'upload', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => (stdout += d))
  child.stderr!.on('data', (d: Buffer) => (stderr += d))
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  )
  return { child, done }
}

async function until(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('rufh upload (process)', () => {
  let server: TestServer
  let file: string
  const data = pseudoRandom(SIZE, 5)

  before(async () => {
    server = await startTestServer()
    file = join(server.dir, 'big.bin')
    await writeFile(file, data)
  })
  after(() => server.close())

  for (const [how, signal] of [
    ['killed (SIGKILL)', 'SIGKILL'],
    ['interrupted (SIGINT)', 'SIGINT'],
  ] as const)
    it(`resumes after being ${how} mid-upload, byte-exact`, async () => {
      const state = join(server.dir, `state-${signal}`)
      // ~3 MB/s through the proxy: the upload takes about a second, time enough to stop it midway.
      const proxy = await startCutProxy(server.port, { rate: 3_000_000 })
      try {
        const url = proxy.via(server.url)
        const first = cli([file, url, '--state', state, '--interop', '9'])
        await until(async () => (await readdir(state).catch(() => [])).some((f) => f.endsWith('.json')))
        await new Promise((r) => setTimeout(r, 300))
        first.child.kill(signal)
        const r1 = await first.done
        if (signal === 'SIGKILL') assert.equal(r1.signal, 'SIGKILL')
        else {
          assert.equal(r1.code, 130, r1.stderr)
          assert.match(r1.stderr, /run the same command again to resume/)
        }
        const second = cli([file, url, '--state', state, '--interop', '9'])
        const r2 = await second.done
        assert.equal(r2.code, 0, r2.stderr)
        const m = /resuming at ([\d.]+ [KM]iB)/.exec(r2.stderr)
        assert.ok(m, `the rerun resumed: ${r2.stderr}`)
        const uploadUrl = r2.stdout.trim().split('\t')[1]!
        assert.ok((await server.bytesOf(uploadUrl)).equals(data), 'stored bytes differ')
        assert.deepEqual(await readdir(state), [], 'the state is forgotten once complete')
      } finally {
        await proxy.close()
      }
    })

  it('uploads several files in parallel, with options', async () => {
    const other = join(server.dir, 'other.bin')
    const otherData = pseudoRandom(300_000, 8)
    await writeFile(other, otherData)
    const state = join(server.dir, 'state-parallel')
    const r = await cli([
      file,
      other,
      server.url,
      '--parallel',
      '2',
      '--chunk-size',
      '256KiB',
      '--interop',
      '7',
      '--state',
      state,
      '-q',
    ]).done
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
    assert.deepEqual(
      lines.map((l) => [l[0], l[2]]),
      [
        [file, String(SIZE)],
        [other, '300000'],
      ],
    )
    assert.ok((await server.bytesOf(lines[0]![1]!)).equals(data))
    assert.ok((await server.bytesOf(lines[1]![1]!)).equals(otherData))
  })

  it('--protocol tus-v1 uploads over tus 1.0; contradicting protocol flags are usage errors', async () => {
    const r = await cli([file, server.url, '--protocol', 'tus-v1', '--state', join(server.dir, 'st-tus'), '-q']).done
    assert.equal(r.code, 0, r.stderr)
    const url = r.stdout.trim().split('\t')[1]!
    assert.ok((await server.bytesOf(url)).equals(data))
    const both = await cli([file, server.url, '--protocol', 'tus-v1', '--interop', '9']).done
    assert.equal(both.code, 2)
    const bad = await cli([file, server.url, '--protocol', 'ftp']).done
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--protocol must be ietf or tus-v1/)
  })

  it('exits 2 on usage errors, 1 on a missing file, 3 when the network fails', async () => {
    const usage = await cli([file]).done
    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /usage: rufh upload/)
    const missing = await cli([join(server.dir, 'nope.bin'), server.url, '--state', join(server.dir, 's1')]).done
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /nope\.bin/)
    const down = await cli([file, 'http://127.0.0.1:9/files/', '--retries', '1', '--state', join(server.dir, 's2')])
      .done
    assert.equal(down.code, 3)
    assert.match(down.stderr, /ECONNREFUSED/)
    const help = await cli(['--help']).done
    assert.equal(help.code, 0)
    assert.match(help.stdout, /--chunk-size SIZE/)
  })
})
