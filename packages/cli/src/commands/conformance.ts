/**
 * `rufh conformance URL`: tests a resumable-upload server against the draft, version by version, and against tus 1.0.
 * Exit code: 0 every MUST check passed, 1 some MUST check failed, 2 usage error or the URL cannot be tested.
 */
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
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

export const summary = 'test a server against the resumable-upload draft (interop 3-10) and tus 1.0'

const usage = `usage: rufh conformance URL [options]

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
  --json             print the report as JSON instead of text
  --junit FILE       also write JUnit XML to FILE
  --markdown FILE    also write a Markdown table to FILE
  --timeout MS       deadline of one exchange (default 5000)
  --concurrency N    checks run at once (default 4)
  --insecure         accept any TLS certificate (https URLs)
  --quiet            list only checks that did not pass
  -h, --help         this help

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

export async function run(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (e) {
    process.stderr.write(`rufh conformance: ${e instanceof Error ? e.message : String(e)}\n\n${usage}`)
    return 2
  }
  const { values: v, positionals } = parsed
  if (v.help) {
    process.stdout.write(usage)
    return 0
  }
  if (positionals.length !== 1) {
    process.stderr.write(`rufh conformance: expected one URL\n\n${usage}`)
    return 2
  }
  let interop: number[] | undefined
  const rawInterop = list(v.interop)
  if (rawInterop) {
    interop = rawInterop.includes('all') ? [...knownInterop] : rawInterop.map(Number)
    const bad = interop.filter((n) => !knownInterop.includes(n))
    if (bad.length || rawInterop.some((s) => s !== 'all' && !/^\d+$/.test(s))) {
      process.stderr.write(`rufh conformance: --interop takes ${knownInterop.join(',')} or all\n`)
      return 2
    }
  }
  let protocols: Protocol[] | undefined
  if (v.protocol !== undefined) {
    const p = v.protocol.trim()
    if (p !== 'ietf' && p !== 'tus' && p !== 'all') {
      process.stderr.write('rufh conformance: --protocol takes ietf, tus or all\n')
      return 2
    }
    protocols = p === 'all' ? ['ietf', 'tus'] : [p]
  }
  const numbers: Record<string, number | undefined> = {}
  for (const k of ['timeout', 'concurrency'] as const) {
    const raw = v[k]
    if (raw === undefined) continue
    const n = Number(raw)
    if (!Number.isInteger(n) || n <= 0) {
      process.stderr.write(`rufh conformance: --${k} takes a positive integer\n`)
      return 2
    }
    numbers[k] = n
  }
  const drafts = list(v.draft)
  const only = list(v.only)
  const live = process.stderr.isTTY === true
  let done = 0
  try {
    const report = await runConformance({
      url: positionals[0]!,
      ...(protocols ? { protocols } : {}),
      ...(interop ? { interop } : {}),
      ...(drafts ? { drafts } : {}),
      ...(only ? { only } : {}),
      ...(numbers['timeout'] ? { requestTimeoutMs: numbers['timeout'] } : {}),
      ...(numbers['concurrency'] ? { concurrency: numbers['concurrency'] } : {}),
      ...(v.insecure ? { tls: { rejectUnauthorized: false } } : {}),
      ...(live ? { onResult: () => process.stderr.write(`\r  ${++done} checks run`) } : {}),
    })
    if (live) process.stderr.write('\r\x1b[K')
    if (v.json) process.stdout.write(renderJson(report))
    else process.stdout.write(renderTerminal(report, { color: process.stdout.isTTY === true, verbose: !v.quiet }))
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

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      protocol: { type: 'string' },
      interop: { type: 'string' },
      draft: { type: 'string' },
      only: { type: 'string' },
      json: { type: 'boolean' },
      junit: { type: 'string' },
      markdown: { type: 'string' },
      timeout: { type: 'string' },
      concurrency: { type: 'string' },
      insecure: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}
