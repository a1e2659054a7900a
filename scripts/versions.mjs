/**
 * The version support table (docs/versions.md), filled by running things: draft revisions -01..-15 with their
 * interop versions as columns (packages/protocol/src/drafts.ts) and tus 1.0.0; servers and clients as rows.
 * Servers (`rufh serve`, `rufh gateway` in spool mode in front of a plain backend, @tus/server) are measured with
 * `rufh conformance` (the built CLI, one run per server and round of revisions; ✓ only with zero MUST failures,
 * a check that could not be carried out counting as one); clients by one upload of random bytes to `rufh serve` in
 * the version, checked with GET. Every cell links to its evidence in the same file. Also rewrites the conformance
 * block of README.md (between `<!-- versions:conformance -->` markers) from the same run.
 *
 * Usage: npm run versions            (writes docs/versions.md and README.md)
 *        node scripts/versions.mjs --check   (exit 1 when either file differs from a fresh run)
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { draftRevisions } from '../packages/protocol/dist/index.js'
import { ensureDebianPackage, pythonHasModule } from '../packages/server/dist/test/kit/apt.js'
import { markdownTable } from './bench/lib.mjs'
import { startPlainBackend } from './bench/plain-backend.mjs'
import {
  ours,
  root,
  startRufhGateway,
  startRufhServe,
  startTusNodeServer,
  tusJs,
  tuspy,
  uploadAndVerify,
} from './interop/peers.mjs'

const SIZE = 256 * 1024
/**
 * The limits `rufh serve` and `rufh gateway` run with (as the conformance suite in `npm test`): every limit check
 * applies.
 */
const LIMITS = ['--max-size', '1MiB', '--max-append-size', '4096', '--min-append-size', '4', '--max-age', '3600']
const BIN = join(root, 'packages/cli/dist/bin.js')
const check = process.argv.includes('--check')

const known = draftRevisions.filter((r) => r.interop !== undefined)
const columns = [...draftRevisions.map((r) => `${r.draft} (${r.interop ?? '?'})`), 'tus 1.0.0']

/** Evidence rows, in order; `cite` returns the cell text linking to one. */
const evidence = []
function cite(mark, id, where, what) {
  if (!evidence.some((e) => e.id === id)) evidence.push({ id, where, what })
  return `[${mark}](#${id})`
}

/** `rufh conformance URL ARGS --json FILE`: the report, or the exit code and what the CLI printed on stderr. */
async function conformance(url, args) {
  const dir = await mkdtemp(join(tmpdir(), 'rufh-versions-'))
  const file = join(dir, 'report.json')
  try {
    const r = await promisify(execFile)(process.execPath, [BIN, 'conformance', url, ...args, '--json', file], {
      timeout: 300_000,
    }).then(
      () => ({ code: 0 }),
      (e) => ({ code: e.code, stderr: String(e.stderr ?? '') }),
    )
    if (r.code !== 0 && r.code !== 1) return { code: r.code, message: r.stderr.split('\n')[0].replace(url, 'URL') }
    return { code: r.code, report: JSON.parse(await readFile(file, 'utf8')) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** What one version of a conformance report says, in words, and whether it had zero MUST failures. */
function summarize(v) {
  const must = v.results.filter((r) => r.level === 'MUST')
  const failed = must.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => r.id)
  const n = (verdict) => v.results.filter((r) => r.verdict === verdict).length
  return {
    ok: failed.length === 0,
    counts: { checks: v.results.length, passed: n('passed'), warnings: n('warning'), info: n('info') },
    text:
      `${v.results.length} checks (${must.length} MUST): ${failed.length} MUST failures` +
      `${failed.length ? ` (${failed.join(', ')})` : ''}, ${n('warning')} SHOULD warnings, ${n('info')} MAY observed`,
  }
}

/**
 * `--draft` tests one revision per interop version, so the revisions go in rounds: the first revision of every
 * version, then the second, ... (`[-01, -02, -03, -04, -06, -09, -12, -13]`, `[-05, -07, -10]`, `[-08, -11]`).
 */
function rounds() {
  const out = []
  for (const r of known) {
    const i = known.filter((k) => k.interop === r.interop).indexOf(r)
    if (!out[i]) out[i] = []
    out[i].push(r.draft)
  }
  return out
}

/** The row of a server: every draft revision (in rounds, the first with tus) or tus alone, and its summaries. */
async function serverRow(name, slug, url, { ietf }) {
  const row = [name]
  const summaries = new Map()
  const runs = []
  if (ietf)
    for (const [i, list] of rounds().entries()) {
      const flags = [...(i === 0 ? ['--protocol', 'all'] : []), `--draft=${list.join(',')}`]
      runs.push({ flags, ...(await conformance(url, flags)) })
    }
  else runs.push({ flags: ['--protocol', 'tus'], ...(await conformance(url, ['--protocol', 'tus'])) })
  const cmd = (run) => `\`rufh conformance URL ${run.flags.join(' ')}\``
  const find = (pred) => {
    for (const run of runs) {
      const v = run.report?.versions.find(pred)
      if (v) return { run, v }
    }
    return { run: runs[0] }
  }
  for (const r of draftRevisions) {
    const id = `${slug}${r.draft}`
    if (!ietf) row.push('—')
    else if (r.interop === undefined) {
      const u = await conformance(url, [`--draft=${r.draft}`])
      row.push(
        cite(
          '?',
          id,
          `${name}, ${r.draft}`,
          `\`rufh conformance URL --draft=${r.draft}\`: exit ${u.code}, ${u.message}`,
        ),
      )
    } else {
      const { run, v } = find((x) => x.protocol === 'ietf' && x.draft === r.draft)
      const where = `${name}, ${r.draft} (interop ${r.interop})`
      if (!v) row.push(cite('✗', id, where, `${cmd(run)}: ${run.message ?? 'not tested (not detected)'}`))
      else {
        const s = summarize(v)
        summaries.set(r.draft, { interop: r.interop, ...s.counts })
        row.push(cite(s.ok ? '✓' : '✗', id, where, `${cmd(run)}: ${s.text}`))
      }
    }
  }
  const { run, v } = find((x) => x.protocol === 'tus')
  if (v) {
    const s = summarize(v)
    summaries.set('tus', s.counts)
    row.push(cite(s.ok ? '✓' : '✗', `${slug}-tus`, `${name}, tus 1.0.0`, `${cmd(run)}: ${s.text}`))
  } else {
    // Why detection failed, as the report says (e.g. `OPTIONS has no Tus-Version`).
    const why = run.report?.detection?.find((d) => d.protocol === 'tus')?.detail
    const text = run.message ?? `tus 1.0.0 not detected${why ? ` (${why})` : ''}`
    row.push(cite('✗', `${slug}-tus`, `${name}, tus 1.0.0`, `${cmd(run)}: ${text}`))
  }
  return { row, summaries }
}

/**
 * The clients, each in the versions it speaks: `versions` maps an interop version (or `tus`) to an uploader.
 * tus-js-client's draft modes send `Upload-Draft-Interop-Version` 5 (`ietf-draft-03`) and 6 (`ietf-draft-05`): its
 * lib/upload.js; it has no mode for other versions.
 */
const clients = [
  {
    name: '@rufh/client',
    slug: 'rufh-client',
    versions: new Map([
      ...[3, 4, 5, 6, 7, 8, 9, 10].map((n) => [n, ['interop', ours(n)]]),
      ['tus', ['tus', ours('tus')]],
    ]),
  },
  {
    name: 'tus-js-client 4.3.1',
    slug: 'tus-js-client',
    versions: new Map([
      [5, ["protocol 'ietf-draft-03'", tusJs('ietf-draft-03')]],
      [6, ["protocol 'ietf-draft-05'", tusJs('ietf-draft-05')]],
      ['tus', ["protocol 'tus-v1'", tusJs(undefined)]],
    ]),
  },
  { name: 'python3-tuspy 1.0.0 (Debian)', slug: 'tuspy', versions: new Map([['tus', ['tus 1.0', tuspy]]]) },
]

async function clientRow(c, url) {
  const row = [`client: ${c.name}`]
  const measured = new Map()
  const measure = async (key) => {
    if (!measured.has(key)) {
      const [how, run] = c.versions.get(key)
      const r = await uploadAndVerify(run, url, SIZE)
      const mode = key === 'tus' ? how : how === 'interop' ? `interop ${key}` : `${how} (interop ${key})`
      measured.set(key, {
        ...r,
        what: `${mode}: one upload of ${SIZE} random bytes to \`rufh serve\`: ${r.ok ? 'GET returned the same bytes' : r.text}`,
      })
    }
    return measured.get(key)
  }
  for (const r of draftRevisions) {
    if (r.interop === undefined) {
      row.push(
        cite(
          '?',
          `unknown${r.draft}`,
          `every client, ${r.draft}`,
          `no interop version is known for ${r.draft} (packages/protocol/src/drafts.ts): nothing to send`,
        ),
      )
      continue
    }
    if (!c.versions.has(r.interop)) {
      row.push('—')
      continue
    }
    const m = await measure(r.interop)
    row.push(cite(m.ok ? '✓' : '✗', `${c.slug}-i${r.interop}`, `${c.name}, interop ${r.interop}`, m.what))
  }
  if (c.versions.has('tus')) {
    const m = await measure('tus')
    row.push(cite(m.ok ? '✓' : '✗', `${c.slug}-tus`, `${c.name}, tus 1.0.0`, m.what))
  } else row.push('—')
  return row
}

ensureDebianPackage('python3-tuspy', () => pythonHasModule('tusclient'))
const dirs = await Promise.all([1, 2, 3, 4].map(() => mkdtemp(join(tmpdir(), 'rufh-versions-'))))
const rufh = await startRufhServe(dirs[0], LIMITS)
// The gateway as the interop matrix runs it (spool mode, a backend that answers every request 201 but OPTIONS, which
// it does not handle: 405, so the gateway answers discovery itself), with the limits
// `rufh serve` has: the same checks apply to both.
const backend = await startPlainBackend()
const gateway = await startRufhGateway(dirs[3], backend.url, 'spool', LIMITS)
// Clients upload to `rufh serve` as a user starts it (no limits): a client that sends the file in one request
// is not refused for a limit that has nothing to do with the version.
const plain = await startRufhServe(dirs[1])
const tusServer = await startTusNodeServer(dirs[2])
const rows = [['', ...columns]]
let rufhSummaries
try {
  const r = await serverRow('server: `rufh serve`', 'rufh-serve', rufh.url, { ietf: true })
  rufhSummaries = r.summaries
  rows.push(r.row)
  rows.push((await serverRow('server: `rufh gateway` (spool)', 'rufh-gateway', gateway.url, { ietf: true })).row)
  rows.push(
    (await serverRow('server: @tus/server 2.4.5 + FileStore', 'tus-server', tusServer.url, { ietf: false })).row,
  )
  for (const c of clients) rows.push(await clientRow(c, plain.url))
} finally {
  await Promise.all([rufh.stop(), gateway.stop(), plain.stop(), tusServer.stop()])
  await backend.close()
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
}

const doc = [
  '# Version support',
  '',
  'Generated by `npm run versions` (scripts/versions.mjs) by running every server and client below; never edited by',
  'hand. `packages/cli/src/versions-doc.test.ts` (in `npm test`) runs it again and fails when this file is stale.',
  '',
  'Columns: the revisions of draft-ietf-httpbis-resumable-upload with their interop version',
  '(packages/protocol/src/drafts.ts: -13 is interop 10 on third-party evidence only; nothing says which interop',
  'version -14 and -15 use, hence `?`), and tus 1.0.0. **Servers** are measured with `rufh conformance` (`--draft`',
  'takes one revision per interop version, so the revisions go in rounds): ✓ only with zero MUST failures (a check',
  `that could not be carried out counts as one). \`rufh serve\` runs with \`${LIMITS.join(' ')}\`;`,
  '`rufh gateway` runs with the same limits in spool mode, in front of a plain node:http backend that answers every',
  'request 201 but OPTIONS (405, so the gateway answers discovery; scripts/bench/plain-backend.mjs), and relays that',
  "201 on tus's completing PATCH where tus 1.0 wants 204 (docs/gateway.md); @tus/server speaks tus only.",
  `**Clients** upload ${SIZE} random bytes to \`rufh serve\` (no limits) in each`,
  'version they speak; ✓ when its GET returns the same bytes. — : the peer has no mode for that',
  'version (nothing to run).',
  '',
  markdownTable(rows),
  '',
  '## Evidence',
  '',
  markdownTable([
    ['cell', 'measured'],
    ...evidence.map((e) => [`<a id="${e.id}"></a>${e.where}`, e.what.replace(/\|/g, '/')]),
  ]),
  '',
].join('\n')

const readmeRows = [['Interop', 'Draft', 'Checks', 'Passed', 'Warnings', 'Info (MAY)']]
for (const [d, s] of rufhSummaries) {
  if (d === 'tus') continue
  readmeRows.push([String(s.interop), d, ...[s.checks, s.passed, s.warnings, s.info].map(String)])
}
const tusS = rufhSummaries.get('tus')
if (tusS) readmeRows.push(['tus', '1.0.0', ...[tusS.checks, tusS.passed, tusS.warnings, tusS.info].map(String)])
const block = [
  '<!-- versions:conformance (generated by scripts/versions.mjs) -->',
  markdownTable(readmeRows),
  '<!-- /versions:conformance -->',
].join('\n')

const docPath = join(root, 'docs/versions.md')
const readmePath = join(root, 'README.md')
const readme = await readFile(readmePath, 'utf8')
const newReadme = readme.replace(/<!-- versions:conformance[\s\S]*?<!-- \/versions:conformance -->/, block)
if (check) {
  const old = await readFile(docPath, 'utf8').catch(() => '')
  const stale = [old !== doc && 'docs/versions.md', readme !== newReadme && 'README.md'].filter(Boolean)
  if (stale.length) {
    process.stdout.write(doc)
    process.stderr.write(`stale: ${stale.join(', ')} (run npm run versions)\n`)
    process.exit(1)
  }
  process.stdout.write('docs/versions.md and README.md are up to date\n')
} else {
  await writeFile(docPath, doc)
  await writeFile(readmePath, newReadme)
  process.stdout.write(`${doc}\nwrote ${docPath} and README.md\n`)
}
