/**
 * `rufh conformance` as a user runs it: the built CLI (packages/cli/dist/bin.js) in a child process, against
 * `rufh serve` in this process. The report files it writes (`--json FILE` like `--junit FILE` and `--markdown FILE`).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { RunReport } from '../types.js'
import { startTarget, type Target } from './mutants/index.js'

const BIN = fileURLToPath(new URL('../../../cli/dist/bin.js', import.meta.url))

function rufh(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'conformance', ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr })
    })
  })
}

describe('rufh conformance (CLI) report files', { timeout: 120_000 }, () => {
  let out: string
  let target: Target
  before(async () => {
    assert.ok(existsSync(BIN), `${BIN} is missing: build packages/cli first (npx tsc -b packages/cli)`)
    out = await mkdtemp(join(tmpdir(), 'rufh-conformance-cli-'))
    target = await startTarget()
  })
  after(async () => {
    await target.close()
    await rm(out, { recursive: true, force: true })
  })

  it('--json FILE (before the URL) writes the JSON report to FILE, next to --junit and --markdown; text on stdout', async () => {
    const [json, junit, md] = ['r.json', 'r.xml', 'r.md'].map((f) => join(out, f)) as [string, string, string]
    const r = await rufh(
      '--json',
      json,
      '--interop',
      '9',
      '--only',
      'B-08,B-10',
      target.url,
      '--junit',
      junit,
      '--markdown',
      md,
    )
    assert.equal(r.code, 0, r.stderr)
    const report = JSON.parse(await readFile(json, 'utf8')) as RunReport
    assert.equal(report.url, target.url)
    assert.deepEqual(
      report.versions.flatMap((v) => v.results.map((x) => `I${v.interop} ${x.id} ${x.status}`)),
      ['I9 B-08 pass', 'I9 B-10 pass'],
    )
    assert.match(await readFile(junit, 'utf8'), /<testcase classname="rufh.conformance.interop-9[^"]*" name="B-08 /)
    assert.match(await readFile(md, 'utf8'), /B-08/)
    assert.doesNotMatch(r.stdout.trimStart(), /^\{/, 'stdout has the text report, not JSON')
    assert.match(r.stdout, /B-08/)
  })

  it('--json - prints the JSON report on stdout instead of the text', async () => {
    const r = await rufh(target.url, '--interop', '9', '--only', 'B-08', '--json', '-')
    assert.equal(r.code, 0, r.stderr)
    const report = JSON.parse(r.stdout) as RunReport
    assert.equal(report.totals.checks, 1)
  })

  it('--json without a FILE is a usage error (exit 2)', async () => {
    const r = await rufh(target.url, '--json')
    assert.equal(r.code, 2)
    assert.match(r.stderr, /--json/)
  })
})
