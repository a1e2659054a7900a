/** `rufh load`: load-test a resumable-upload server (IETF draft or tus 1.0), with interruptions and verification. */
import { writeFile } from 'node:fs/promises'
import { dirname, relative } from 'node:path'
import {
  CodecUnavailableError,
  type Comparison,
  compare,
  DistributionError,
  type LoadOptions,
  type Model,
  newestInterop,
  parseDistribution,
  parseSeed,
  parseVerify,
  progressLine,
  type Report,
  renderChart,
  renderComparison,
  renderComparisonMarkdown,
  renderJson,
  renderMarkdown,
  renderSummary,
  runLoad,
  speakerFor,
  UnreachableError,
  VerifySpecError,
} from '@rufh/load'
import {
  DURATION_RULE,
  parseChoice,
  parseDuration,
  parseFlags,
  parseHeader,
  parseInteger,
  parseNumber,
  parseSize,
  parseUrl,
  SIZE_RULE,
  UsageError,
  usageFailed,
} from '../args.js'

export const summary = 'load-test an upload server: users or arrival rate, interruptions, latency, integrity'

const SYNOPSIS = 'rufh load URL [options]'

const USAGE = `usage: ${SYNOPSIS}
       rufh load --compare URL_A URL_B [options]

URL is the upload-creation URL (e.g. http://127.0.0.1:1080/files/).

protocol
  --protocol ietf|tus-v1     wire protocol (default ietf)
  --interop N                IETF draft interop version (default ${newestInterop})
workload (closed model: users × uploads; open model: arrival rate)
  --users N                  closed: virtual users (default 2); open: most uploads at once (default 256)
  --uploads-per-user M       closed: uploads per user (default 10; with --duration alone, until time is up)
  --rate R/s                 open: uploads arriving per second (20, 20/s, 600/min)
  --uploads N                open: total uploads (default: until --duration)
  --duration DURATION        start no upload after this (30, 30s, 2m, 500ms); running ones get --grace
  --grace DURATION           time running uploads get after --duration before they are aborted (default 5s)
  --size SIZE|DISTRIBUTION   1MiB | 256KiB-2MiB | choice:64KiB,1MiB | lognormal:1MiB,1.5 (default 1MiB)
  --chunk-size SIZE          bytes per request (default: whole upload in one request)
  --creation careful|optimistic
                             careful: empty creation, then appends; optimistic: creation carries content (default careful)
  --head-between-appends     retrieve the offset (HEAD) before every append
  --interrupt P              probability (0-1) that a request carrying content is cut mid-body, then resumed
  --seed N                   seeds sizes, cut points and payload bytes (default 1)
integrity
  --verify get|dir:PATH|none get: GET each completed upload and hash it (default);
                             dir:PATH: hash PATH/<id> (a local 'rufh serve --dir PATH'); none: skip
output
  --json FILE                the full report as JSON
  --markdown FILE            a Markdown report
  --chart FILE               an SVG chart: latency percentiles and throughput over time
  --quiet                    no live progress line
other
  --header 'Name: value'     extra request field on every request (repeatable)
  --timeout DURATION         a request idle this long fails (default 30s)
  --server-metrics URL       scrape this Prometheus endpoint before and after; report what changed
  --runs N                   --compare: runs per target (default 3)
  --compare                  alternate two targets run by run; report medians and ratios B/A
                             (--verify may be given twice: first for A, then for B)

${SIZE_RULE}.
${DURATION_RULE}.

Exit status: 0 when every upload completed and verified, 1 when some failed or the target is unreachable,
2 on usage errors.`

function parseRate(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|m|min))?\s*$/.exec(text)
  const r = m ? Number(m[1]) / (m[2] === 'm' || m[2] === 'min' ? 60 : 1) : Number.NaN
  if (!(r > 0)) throw new UsageError(`invalid --rate '${text}' (examples: 20, 20/s, 600/min)`)
  return r
}

type Values = Record<string, string | boolean | string[] | undefined>

/** Everything but the URL and --verify, from the command line. */
function optionsOf(v: Values): Omit<LoadOptions, 'url' | 'verify'> {
  const str = (k: string) => v[k] as string | undefined
  const protocol = parseChoice(str('protocol') ?? 'ietf', '--protocol', ['ietf', 'tus-v1'])
  if (protocol === 'tus-v1' && str('interop')) throw new UsageError('--interop applies to --protocol ietf only')
  const interop = str('interop') ? parseInteger(str('interop')!, '--interop') : undefined
  const durationMs = str('duration') ? parseDuration(str('duration')!, '--duration') : undefined
  const users = str('users') ? parseInteger(str('users')!, '--users', { min: 1 }) : undefined
  let model: Model
  if (str('rate')) {
    if (str('uploads-per-user'))
      throw new UsageError('--uploads-per-user (closed model) and --rate (open model) exclude each other')
    const uploads = str('uploads') ? parseInteger(str('uploads')!, '--uploads', { min: 1 }) : undefined
    if (uploads === undefined && durationMs === undefined) throw new UsageError('--rate needs --uploads or --duration')
    model = { kind: 'open', ratePerSecond: parseRate(str('rate')!), uploads, maxInFlight: users ?? 256 }
  } else {
    if (str('uploads')) throw new UsageError('--uploads goes with --rate; use --uploads-per-user with --users')
    const perUser = str('uploads-per-user')
      ? parseInteger(str('uploads-per-user')!, '--uploads-per-user', { min: 1 })
      : undefined
    model = {
      kind: 'closed',
      users: users ?? 2,
      uploadsPerUser: perUser ?? (durationMs !== undefined ? undefined : 10),
    }
  }
  const creation = parseChoice(str('creation') ?? 'careful', '--creation', ['careful', 'optimistic'])
  const interrupt = str('interrupt') !== undefined ? parseNumber(str('interrupt')!, '--interrupt', { max: 1 }) : 0
  const chunkSize = str('chunk-size') ? parseSize(str('chunk-size')!, '--chunk-size', { min: 1 }) : undefined
  const headers = Object.fromEntries(
    ((v['header'] as string[] | undefined) ?? []).map((h) => parseHeader(h, '--header')),
  )
  // Fails early (exit 2) when the protocol is not available.
  speakerFor(protocol, interop)
  return {
    protocol,
    ...(interop !== undefined ? { interop } : {}),
    model,
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(str('grace') ? { graceMs: parseDuration(str('grace')!, '--grace') } : {}),
    size: parseDistribution(str('size') ?? '1MiB', (s) => parseSize(s, '--size')),
    ...(chunkSize !== undefined ? { chunkSize } : {}),
    creation,
    headBetweenAppends: v['head-between-appends'] === true,
    interrupt,
    seed: parseSeed(str('seed') ?? '1'),
    ...(str('timeout') ? { timeoutMs: parseDuration(str('timeout')!, '--timeout') } : {}),
    headers,
    ...(str('server-metrics') ? { serverMetricsUrl: parseUrl(str('server-metrics')!, '--server-metrics').href } : {}),
  }
}

async function writeOutputs(v: Values, result: Report | Comparison): Promise<void> {
  const json = v['json'] as string | undefined
  const md = v['markdown'] as string | undefined
  const chart = v['chart'] as string | undefined
  const isComparison = 'metrics' in result && 'reports' in result
  if (json) await writeFile(json, renderJson(result))
  if (chart) {
    const series = isComparison
      ? [
          { label: `A ${result.a}`, report: result.reports.a.at(-1) },
          { label: `B ${result.b}`, report: result.reports.b.at(-1) },
        ].flatMap((s) =>
          s.report ? [{ label: s.label, timeline: s.report.timeline, wallSeconds: s.report.wallSeconds }] : [],
        )
      : [{ label: result.target, timeline: result.timeline, wallSeconds: result.wallSeconds }]
    const title = isComparison
      ? 'rufh load --compare (last run of each)'
      : `rufh load ${result.target} (${result.protocol})`
    await writeFile(chart, renderChart(series, title))
  }
  if (md) {
    const link = chart ? relative(dirname(md), chart) : undefined
    await writeFile(md, isComparison ? renderComparisonMarkdown(result, link) : renderMarkdown(result, link))
  }
}

export async function run(argv: string[]): Promise<number> {
  let values: Values
  let positionals: string[]
  try {
    ;({ values, positionals } = parseFlags({
      args: argv,
      allowPositionals: true,
      options: {
        protocol: { type: 'string' },
        interop: { type: 'string' },
        users: { type: 'string' },
        'uploads-per-user': { type: 'string' },
        rate: { type: 'string' },
        uploads: { type: 'string' },
        duration: { type: 'string' },
        grace: { type: 'string' },
        size: { type: 'string' },
        'chunk-size': { type: 'string' },
        creation: { type: 'string' },
        'head-between-appends': { type: 'boolean' },
        interrupt: { type: 'string' },
        seed: { type: 'string' },
        verify: { type: 'string', multiple: true },
        json: { type: 'string' },
        markdown: { type: 'string' },
        chart: { type: 'string' },
        quiet: { type: 'boolean' },
        header: { type: 'string', multiple: true },
        timeout: { type: 'string' },
        'server-metrics': { type: 'string' },
        runs: { type: 'string' },
        compare: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (e) {
    return usageFailed('load', SYNOPSIS, e)
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  let base: Omit<LoadOptions, 'url' | 'verify'>
  let urls: string[]
  let verify: ReturnType<typeof parseVerify>[]
  let runs = 3
  try {
    const comparing = values['compare'] === true
    if (comparing ? positionals.length !== 2 : positionals.length !== 1)
      throw new UsageError(comparing ? '--compare needs two URLs' : 'one URL expected (the upload-creation URL)')
    urls = positionals.map((u) => parseUrl(u, 'URL').href)
    base = optionsOf(values)
    const specs = ((values['verify'] as string[] | undefined) ?? ['get']).map(parseVerify)
    if (specs.length > (comparing ? 2 : 1)) throw new UsageError('--verify given too often')
    verify = urls.map((_, i) => specs[Math.min(i, specs.length - 1)]!)
    if (values['runs'] !== undefined) {
      if (!comparing) throw new UsageError('--runs goes with --compare')
      runs = parseInteger(values['runs'] as string, '--runs', { min: 1 })
    }
  } catch (e) {
    // The load package's own rejections of a flag's value are usage errors too.
    const own = e instanceof DistributionError || e instanceof VerifySpecError || e instanceof CodecUnavailableError
    return usageFailed('load', SYNOPSIS, own ? new UsageError(e.message) : e)
  }

  const progress = values['quiet'] ? undefined : progressLine(process.stderr)
  const withProgress = (o: LoadOptions): LoadOptions => (progress ? { ...o, onProgress: (p) => progress.update(p) } : o)
  try {
    if (urls.length === 2) {
      const [a, b] = urls.map((url, i) => withProgress({ ...base, url, verify: verify[i]! }))
      const c = await compare(a!, b!, runs, (which, i, r) => {
        progress?.end()
        process.stderr.write(
          `run ${i} ${which}: ${(r.throughput.goodputBytesPerSecond / 1e6).toFixed(2)} MB/s goodput, ` +
            `${r.uploads.verified}/${r.uploads.started} verified${r.ok ? '' : ', FAILED'}\n`,
        )
      })
      process.stdout.write(`${renderComparison(c)}\n`)
      await writeOutputs(values, c)
      return c.ok ? 0 : 1
    }
    const report = await runLoad(withProgress({ ...base, url: urls[0]!, verify: verify[0]! }))
    progress?.end()
    process.stdout.write(`${renderSummary(report)}\n`)
    await writeOutputs(values, report)
    return report.ok ? 0 : 1
  } catch (e) {
    progress?.end()
    if (e instanceof UnreachableError) {
      process.stderr.write(`rufh load: ${e.message}\n`)
      return 1
    }
    throw e
  }
}
