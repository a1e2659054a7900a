/**
 * Memory stays bounded by the chunk size, not the file size: a child process uploads a small and a large file (from a
 * path, and from a Node Readable) and reports its peak RSS; the large uploads must not cost more than a few MiB extra.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { pseudoRandom, startTestServer, type TestServer } from './server.test.helper.js'

const run = promisify(execFile)
const MiB = 1024 * 1024
const client = new URL('../index.js', import.meta.url).href

/** Uploads `file` (as a path or a Readable) in a fresh process; returns its peak RSS in MiB. */
async function peakRss(endpoint: string, file: string, kind: 'path' | 'stream'): Promise<number> {
  const script = `
    import { createReadStream, readFileSync } from 'node:fs'
    import { upload } from ${JSON.stringify(client)}
    const [endpoint, file, kind] = process.argv.slice(1)
    const input = kind === 'path' ? file : createReadStream(file)
    const r = await upload(input, { endpoint, interop: 10 })
    // VmHWM, not resourceUsage().maxRSS: on Linux maxRSS also covers the RSS the process had before exec, that is
    // the forking test process's (this server's), which can be larger than anything the client does.
    const hwm = /^VmHWM:\\s+(\\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
    process.stdout.write(JSON.stringify({ size: r.size, maxRss: Number(hwm[1]) / 1024 }))
  `
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, endpoint, file, kind])
  return (JSON.parse(stdout) as { maxRss: number }).maxRss
}

async function writeBig(path: string, size: number): Promise<void> {
  const block = pseudoRandom(MiB, 9)
  const out = createWriteStream(path)
  for (let i = 0; i < size / MiB; i++)
    if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()))
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())))
}

describe('bounded memory', () => {
  let server: TestServer
  let small: string
  let large: string

  before(async () => {
    server = await startTestServer()
    small = join(server.dir, 'small.bin')
    large = join(server.dir, 'large.bin')
    await writeBig(small, 64 * MiB)
    await writeBig(large, 256 * MiB)
  })
  after(() => server.close())

  it('peak RSS is flat in the file size (path and stream sources)', async () => {
    const rss: Record<string, number> = {}
    for (const kind of ['path', 'stream'] as const) {
      rss[`${kind} 64MiB`] = await peakRss(server.url, small, kind)
      rss[`${kind} 256MiB`] = await peakRss(server.url, large, kind)
    }
    const report = JSON.stringify(rss)
    // Files: only read buffers are alive. Streams: one 8 MiB request window plus garbage that V8 collects lazily (the
    // window itself is checked exactly in core.test.ts), so their bound is looser; neither grows with the file.
    for (const [kind, slack] of [
      ['path', 24],
      ['stream', 48],
    ] as const) {
      const growth = rss[`${kind} 256MiB`]! - rss[`${kind} 64MiB`]!
      assert.ok(growth < slack, `${kind}: peak RSS grew by ${growth.toFixed(1)} MiB for 4x the data (${report})`)
      assert.ok(rss[`${kind} 256MiB`]! < 170, `${kind}: peak RSS ${report}`)
    }
  })
})
