#!/usr/bin/env node
/**
 * Benchmarks: `node scripts/bench.mjs [suite...] [--runs N] [--size S] [--no-docs]` (`npm run bench` builds first).
 *
 * Each suite is `scripts/bench/<suite>.mjs`, exporting `title`, optionally `description`, and `run(ctx)` →
 * `{ rows, notes }` (rows[0] is the header). The results are printed and written to the suite's own section of
 * docs/benchmarks.md (replaced on every run; other sections and text outside them are kept); `--no-docs` only prints.
 * To add a suite (e.g. client vs tus-js-client), add its file and its name to SUITES.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, release, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { formatSize, makeRandomFile, markdownTable, parseSize } from './bench/lib.mjs'

const SUITES = ['serve', 'tus', 'concurrency', 'client', 'gateway', 'held', 'accept', 'client-cpu', 's3']
const root = new URL('..', import.meta.url).pathname
const docsFile = join(root, 'docs/benchmarks.md')

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '5' },
    size: { type: 'string', default: '1GiB' },
    'no-docs': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  process.stdout.write(
    `usage: node scripts/bench.mjs [suite...] [--runs N] [--size S] [--no-docs]\nsuites: ${SUITES.join(', ')}\n`,
  )
  process.exit(0)
}
const runs = Number(values.runs)
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, not '${values.runs}'`)
const size = parseSize(values.size)
const suites = positionals.length > 0 ? positionals : SUITES
for (const s of suites) if (!SUITES.includes(s)) throw new Error(`unknown suite '${s}' (suites: ${SUITES.join(', ')})`)

const tmp = mkdtempSync(join(tmpdir(), 'rufh-bench-'))
const cleanup = () => rmSync(tmp, { recursive: true, force: true })
process.once('exit', cleanup)
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130))

/** Random test files, made once per size and shared by the suites. */
const files = new Map()
const ctx = {
  root,
  tmp,
  runs,
  size,
  log: (s) => process.stdout.write(`${s}\n`),
  randomFile(n) {
    if (!files.has(n)) {
      const path = join(tmp, `random-${n}`)
      files.set(
        n,
        makeRandomFile(path, n).then((sha256) => ({ path, sha256 })),
      )
    }
    return files.get(n)
  },
}

const nproc = execFileSync('nproc').toString().trim()
const machine = `\`nproc\` ${nproc} (${cpus()[0]?.model.trim()}), Linux ${release()}, Node ${process.version}`
const command = `npm run bench -- ${suites.join(' ')} --runs ${runs} --size ${values.size}`
process.stdout.write(`${machine}\n${command}\n${execFileSync('df', ['-h', tmp]).toString()}`)

for (const name of suites) {
  const suite = await import(`./bench/${name}.mjs`)
  process.stdout.write(`\n== ${name}: ${suite.title} (${runs} runs × ${formatSize(size)})\n`)
  const { rows, notes } = await suite.run(ctx)
  const table = markdownTable(rows)
  process.stdout.write(`\n${table}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`)
  if (!values['no-docs']) {
    const body = [
      `## ${suite.title}`,
      '',
      `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}. Client and server run on the same machine and ` +
        `share its ${nproc} cores. MB = 10^6 B, MiB = 2^20 B.`,
      '',
      ...(suite.description ? [suite.description, ''] : []),
      '```sh',
      command,
      '```',
      '',
      table,
      '',
      ...notes.map((n) => `- ${n}`),
    ].join('\n')
    writeSection(name, body)
    process.stdout.write(`\nwrote section '${name}' of docs/benchmarks.md\n`)
  }
}

/** Replaces the section between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`, or appends it. */
function writeSection(name, body) {
  const start = `<!-- bench:${name} -->`
  const end = `<!-- /bench:${name} -->`
  const section = `${start}\n${body}\n${end}`
  let doc = existsSync(docsFile)
    ? readFileSync(docsFile, 'utf8')
    : '# Benchmarks\n\nWritten by `npm run bench` (`scripts/bench.mjs`); each suite replaces its own section.\n'
  const i = doc.indexOf(start)
  const j = doc.indexOf(end)
  if (i >= 0 && j > i) doc = doc.slice(0, i) + section + doc.slice(j + end.length)
  else doc = `${doc.trimEnd()}\n\n${section}\n`
  writeFileSync(docsFile, doc)
}
