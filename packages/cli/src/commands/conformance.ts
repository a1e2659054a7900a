/**
 * `rufh conformance URL`: tests a resumable-upload server against the draft, version by version, and against tus 1.0.
 * Exit code: 0 every MUST check passed, 1 some MUST check failed, 2 usage error or the URL cannot be tested.
 */
import { writeFile } from 'node:fs/promises'
import {
  ConformanceError,
  exitCodeOf,
  knownInterop,
  type Protocol,
  renderJson,
  renderJunit,
  renderMarkdown,
  renderTerminal,
  runConformance,
} from '@rufh/conformance'
import {
  DURATION_RULE,
  parseChoice,
  parseDuration,
  parseFlags,
  parseInteger,
  parseUrl,
  UsageError,
  usageFailed,
} from '../args.js'

export const summary = 'test a server against the resumable-upload draft (interop 3-10) and tus 1.0'

const SYNOPSIS = 'rufh conformance URL [options]'

const usage = `usage: ${SYNOPSIS}

Tests the upload-creation URL of a resumable-upload server. Detects the interop versions of the IETF
draft it supports (3-10) and tus 1.0.0 (from OPTIONS), and runs every check that applies to each:
MUST failures fail the run, SHOULD failures are warnings, MAY behaviours are reported as information.
tus checks of extensions the server does not advertise are reported as not applicable (skipped).
Only the given URL's origin is contacted.

options:
  --protocol P       ietf, tus or all (default: all, i.e. whatever the server speaks; with
                     --interop or --draft: ietf). ietf or tus alone fail when it is not spoken
  --interop LIST     IETF versions to test without detection: 3,4,... or all
  --draft LIST       draft revisions to test (05, -09, ...): picks the revision for its version.
                     Interop 10 is known from two third-party sources to be -13; nothing says
                     which interop version -14 and -15 use, so they cannot be tested
  --only IDS         run only these checks (B-01,N9-12,T-04,...)
  --json FILE        also write the report as JSON to FILE (- : print JSON instead of text)
  --junit FILE       also write JUnit XML to FILE
  --markdown FILE    also write a Markdown table to FILE
  --timeout DURATION deadline of one exchange (default 5s)
  --concurrency N    checks run at once (default 4)
  --insecure         accept any TLS certificate (https URLs)
  --quiet            list only checks that did not pass
  -h, --help         this help

${DURATION_RULE}.

exit codes: 0 all MUST checks passed, 1 some MUST check failed, 2 usage error or URL not testable
`

function list(raw: string | undefined): string[] | undefined {
  return raw === undefined
    ? undefined
    : raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
}

interface Parsed {
  url: string
  protocols?: Protocol[]
  interop?: number[]
  drafts?: string[]
  only?: string[]
  timeoutMs?: number
  concurrency?: number
  insecure: boolean
  /** `-`: JSON on stdout instead of the text; otherwise a file to write it to. */
  json?: string
  junit?: string
  markdown?: string
  quiet: boolean
}

/** The options, or undefined for --help; throws a UsageError when the command line is wrong. */
function parse(argv: string[]): Parsed | undefined {
  const { values: v, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      protocol: { type: 'string' },
      interop: { type: 'string' },
      draft: { type: 'string' },
      only: { type: 'string' },
      json: { type: 'string' },
      junit: { type: 'string' },
      markdown: { type: 'string' },
      timeout: { type: 'string' },
      concurrency: { type: 'string' },
      insecure: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (v.help) return undefined
  if (positionals.length !== 1) throw new UsageError('expected one URL')
  const url = positionals[0]!
  parseUrl(url, 'URL')
  let interop: number[] | undefined
  const rawInterop = list(v.interop)
  if (rawInterop) {
    interop = rawInterop.includes('all') ? [...knownInterop] : rawInterop.map(Number)
    const bad = interop.filter((n) => !knownInterop.includes(n))
    if (bad.length || rawInterop.some((s) => s !== 'all' && !/^\d+$/.test(s)))
      throw new UsageError(`--interop takes ${knownInterop.join(',')} or all`)
  }
  const p = v.protocol === undefined ? undefined : parseChoice(v.protocol.trim(), '--protocol', ['ietf', 'tus', 'all'])
  const timeoutMs = v.timeout === undefined ? undefined : parseDuration(v.timeout, '--timeout')
  if (timeoutMs !== undefined && !(timeoutMs >= 1)) throw new UsageError('--timeout must be at least 1ms')
  const drafts = list(v.draft)
  const only = list(v.only)
  return {
    url,
    ...(p ? { protocols: p === 'all' ? ['ietf', 'tus'] : [p] } : {}),
    ...(interop ? { interop } : {}),
    ...(drafts ? { drafts } : {}),
    ...(only ? { only } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs: Math.round(timeoutMs) } : {}),
    ...(v.concurrency !== undefined ? { concurrency: parseInteger(v.concurrency, '--concurrency', { min: 1 }) } : {}),
    insecure: v.insecure === true,
    ...(v.json !== undefined ? { json: v.json } : {}),
    ...(v.junit !== undefined ? { junit: v.junit } : {}),
    ...(v.markdown !== undefined ? { markdown: v.markdown } : {}),
    quiet: v.quiet === true,
  }
}

export async function run(argv: string[]): Promise<number> {
  let v: Parsed | undefined
  try {
    v = parse(argv)
  } catch (e) {
    return usageFailed('conformance', SYNOPSIS, e)
  }
  if (!v) {
    process.stdout.write(usage)
    return 0
  }
  const live = process.stderr.isTTY === true
  let done = 0
  try {
    const report = await runConformance({
      url: v.url,
      ...(v.protocols ? { protocols: v.protocols } : {}),
      ...(v.interop ? { interop: v.interop } : {}),
      ...(v.drafts ? { drafts: v.drafts } : {}),
      ...(v.only ? { only: v.only } : {}),
      ...(v.timeoutMs ? { requestTimeoutMs: v.timeoutMs } : {}),
      ...(v.concurrency ? { concurrency: v.concurrency } : {}),
      ...(v.insecure ? { tls: { rejectUnauthorized: false } } : {}),
      ...(live ? { onResult: () => process.stderr.write(`\r  ${++done} checks run`) } : {}),
    })
    if (live) process.stderr.write('\r\x1b[K')
    if (v.json === '-') process.stdout.write(renderJson(report))
    else process.stdout.write(renderTerminal(report, { color: process.stdout.isTTY === true, verbose: !v.quiet }))
    if (v.json !== undefined && v.json !== '-') await writeFile(v.json, renderJson(report))
    if (v.junit) await writeFile(v.junit, renderJunit(report))
    if (v.markdown) await writeFile(v.markdown, renderMarkdown(report))
    return exitCodeOf(report)
  } catch (e) {
    if (e instanceof ConformanceError) {
      process.stderr.write(`rufh conformance: ${e.message}\n`)
      return 2
    }
    throw e
  }
}
