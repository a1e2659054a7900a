/**
 * `rufh load` as a user runs it: the built CLI (packages/cli/dist/bin.js) in a child process, against servers in this
 * process. Exit codes, messages, and the files it writes.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Comparison } from './compare.js'
import type { Report } from './report/model.js'
import { startTestServer, type TestServer } from './servers.test.helper.js'

const BIN = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url))

interface Ran {
  code: number
  stdout: string
  stderr: string
}

function rufh(...args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'load', ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

describe('rufh load (CLI)', () => {
  let out: string
  const servers: TestServer[] = []
  before(async () => {
    assert.ok(existsSync(BIN), `${BIN} is missing: build packages/cli first (npx tsc -b packages/cli)`)
    out = await mkdtemp(join(tmpdir(), 'rufh-load-cli-'))
  })
  after(async () => {
    await Promise.all(servers.map((s) => s.close()))
    await rm(out, { recursive: true, force: true })
  })
  const server = async (o: Parameters<typeof startTestServer>[0] = {}) => {
    const s = await startTestServer(o)
    servers.push(s)
    return s
  }

  it('--help prints the usage and exits 0', async () => {
    const r = await rufh('--help')
    assert.equal(r.code, 0)
    assert.match(r.stdout, /usage: rufh load URL/)
    assert.match(r.stdout, /--verify get\|dir:PATH\|none/)
  })

  it('usage errors exit 2 with a message', async () => {
    for (const args of [
      [],
      ['http://127.0.0.1:1/files/', '--rate', '5'],
      ['http://127.0.0.1:1/files/', '--interrupt', '1.5'],
      ['http://127.0.0.1:1/files/', '--size', '2MiB-1MiB'],
      ['http://127.0.0.1:1/files/', '--verify', 'md5'],
      ['http://127.0.0.1:1/files/', '--rate', '5', '--uploads-per-user', '2'],
      ['ftp://x/files/'],
    ]) {
      const r = await rufh(...args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, /^rufh load: /)
    }
  })

  it('an unreachable URL exits 1 with one clear line, no stack trace', async () => {
    const r = await rufh('http://127.0.0.1:1/files/', '--quiet')
    assert.equal(r.code, 1)
    assert.equal(r.stderr, 'rufh load: cannot reach http://127.0.0.1:1/files/: ECONNREFUSED\n')
  })

  it('a run against rufh serve exits 0 and writes JSON, Markdown and an SVG chart', async () => {
    const s = await server()
    const [json, md, svg] = ['r.json', 'r.md', 'r.svg'].map((f) => join(out, f)) as [string, string, string]
    const r = await rufh(
      s.url,
      ...['--users', '2', '--uploads-per-user', '2', '--size', '128KiB-512KiB', '--chunk-size', '128KiB'],
      ...['--interrupt', '0.3', '--seed', '5', '--quiet', '--json', json, '--markdown', md, '--chart', svg],
    )
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /uploads\s+4 started, 4 completed, 4 verified, 0 corrupt, 0 failed/)
    assert.match(r.stdout, /^completion\s+4 /m)
    const report = JSON.parse(await readFile(json, 'utf8')) as Report
    assert.equal(report.uploads.verified, 4)
    assert.equal(report.settings.seed, 5)
    assert.equal(report.bytes.payload, s.store.appended)
    assert.match(await readFile(md, 'utf8'), /!\[latency and throughput over time\]\(r\.svg\)/)
    const chart = await readFile(svg, 'utf8')
    assert.ok(chart.startsWith('<svg ') && chart.endsWith('</svg>\n') && chart.includes('<path d="M'))
  })

  it('exits 1 when a server corrupts uploads, and names them', async () => {
    const s = await server({ corruptEvery: 2 })
    const r = await rufh(s.url, '--users', '2', '--uploads-per-user', '2', '--size', '64KiB', '--quiet')
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.match(r.stdout, /2 verified, 2 corrupt/)
    assert.match(r.stdout, /integrity: sha256 mismatch/)
    assert.match(r.stdout, /FAILED$/m)
  })

  it('--compare alternates two servers and reports medians and ratios', async () => {
    const [a, b] = [await server(), await server()]
    const json = join(out, 'compare.json')
    const r = await rufh(
      '--compare',
      a.url,
      b.url,
      ...['--runs', '2', '--users', '2', '--uploads-per-user', '2', '--size', '64KiB', '--quiet', '--json', json],
    )
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /metric\s+A \(median\)\s+B \(median\)\s+B\/A/)
    assert.deepEqual(
      r.stderr
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(':')[0]),
      ['run 1 A', 'run 1 B', 'run 2 A', 'run 2 B'],
    )
    const c = JSON.parse(await readFile(json, 'utf8')) as Comparison
    assert.equal(c.reports.a.length, 2)
    const completed = c.metrics.find((m) => m.name === 'uploads completed')!
    assert.deepEqual([completed.a, completed.b, completed.ratio], [[4, 4], [4, 4], 1])
  })
})
