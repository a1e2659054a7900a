/**
 * Runs the checks of each protocol version against a server: learns the limits from OPTIONS (IETF) or what tus
 * advertises, runs every applicable check with its own request and time budget (a few at a time), and turns outcomes
 * into verdicts by level.
 */
import { draftRevision } from '@rufh/protocol'
import { BudgetExceeded, CheckContext } from './context.js'
import { type Detection, detectTus, detectVersion, probeReachable } from './detect.js'
import { Dialect, defaultDraft, interopOfDraft, knownInterop } from './dialect.js'
import { checks, checksFor, tusChecks } from './registry.js'
import type { RequestContext } from './request-context.js'
import { TusContext, type TusServer } from './tus/context.js'
import {
  type AnyCheck,
  type Check,
  CheckFailure,
  type CheckResult,
  CheckSkip,
  ConformanceError,
  type Outcome,
  type Protocol,
  type RunReport,
  type Status,
  type Totals,
  type TusCheck,
  type Verdict,
  type VersionReport,
} from './types.js'

export interface RunOptions {
  url: string
  /**
   * Protocols to test, each where the server supports it: `ietf` (interop versions 3-10) and `tus` (1.0.0). Default:
   * both, or only `ietf` when `interop` or `drafts` is given. A protocol asked for alone that the server does not
   * speak is an error.
   */
  protocols?: readonly Protocol[]
  /** IETF versions to test without detection; default: detect among 3-10. */
  interop?: readonly number[]
  /** Draft revisions (`-05`, `10`...): each picks the revision for its version, and limits testing to those versions
   * when `interop` is not given. */
  drafts?: readonly string[]
  /** Deadline of one exchange (default 5000 ms). */
  requestTimeoutMs?: number
  /** Only these check IDs (a protocol none of them belongs to is not tested). */
  only?: readonly string[]
  /** Checks run at once (default 4). */
  concurrency?: number
  tls?: import('node:tls').ConnectionOptions
  onResult?: (r: CheckResult) => void
}

const DEFAULT_REQUESTS = 24
const DEFAULT_TIME_MS = 15_000

/** The protocols a run tests (see `RunOptions.protocols`). */
export function protocolsOf(o: Pick<RunOptions, 'protocols' | 'interop' | 'drafts' | 'only'>): Protocol[] {
  const ietfChosen = o.interop !== undefined || o.drafts !== undefined
  if (o.protocols && ietfChosen && !o.protocols.includes('ietf'))
    throw new ConformanceError('interop versions and draft revisions (--interop, --draft) need the protocol ietf')
  let p: Protocol[] = [...(o.protocols ?? (ietfChosen ? ['ietf'] : ['ietf', 'tus']))]
  const only = o.only
  if (only) {
    const named = p.filter((x) => (x === 'tus' ? tusChecks : checks).some((c) => only.includes(c.id)))
    if (named.length) p = named
  }
  return p
}

export async function runConformance(o: RunOptions): Promise<RunReport> {
  const started = Date.now()
  let url: URL
  try {
    url = new URL(o.url)
  } catch {
    throw new ConformanceError(`not a URL: ${o.url}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConformanceError(`only http: and https: URLs can be tested, not ${url.protocol}`)
  const timeout = o.requestTimeoutMs ?? 5000
  const protocols = protocolsOf(o)
  const draftFor = new Map<number, string>()
  for (const raw of o.drafts ?? []) {
    const d = interopOfDraft(raw)
    if (!d)
      throw new ConformanceError(
        draftRevision(raw)
          ? `draft revision ${raw}: no source says which interop version it uses (interop 10 is known only as -13)`
          : `unknown draft revision ${raw}`,
      )
    draftFor.set(d.interop, d.draft)
  }
  const probe = await probeReachable(url, timeout, o.tls)

  let targets: { interop: number; by: VersionReport['detectedBy'] }[] = []
  const detection: RunReport['detection'] = []
  const misses: string[] = []
  if (protocols.includes('ietf') && o.interop) {
    for (const v of o.interop) if (!knownInterop.includes(v)) throw new ConformanceError(`unknown interop version ${v}`)
    targets = o.interop.map((v) => ({ interop: v, by: 'forced' }))
  } else if (protocols.includes('ietf')) {
    const probed = draftFor.size ? [...draftFor.keys()] : [...knownInterop]
    const found: Detection[] = []
    for (const v of probed) found.push(await detectVersion(url, v, timeout, o.tls))
    for (const d of found)
      detection.push({ protocol: 'ietf', interop: d.interop, supported: d.supported, detail: d.detail })
    targets = found.filter((d) => d.supported).map((d) => ({ interop: d.interop, by: d.by ?? '104' }))
    if (targets.length === 0)
      misses.push(
        `no interop version ${probed.join(', ')} answered a creation request with a 104 or a 2xx with Location ` +
          `(${found.map((d) => `I${d.interop}: ${d.detail}`).join('; ')})`,
      )
  }
  let tus: TusServer | undefined
  if (protocols.includes('tus')) {
    const t = detectTus(probe)
    detection.push({ protocol: 'tus', supported: t.supported, detail: t.detail })
    tus = t.server
    if (!tus) misses.push(t.detail)
  }
  const askedAlone = (p: Protocol) => o.protocols !== undefined && o.protocols.length === 1 && o.protocols[0] === p
  if ((targets.length === 0 && !tus) || (askedAlone('tus') && !tus) || (askedAlone('ietf') && targets.length === 0))
    throw new ConformanceError(
      `${url.href} is not a resumable-upload endpoint of ${protocols.map((p) => (p === 'tus' ? 'tus 1.0.0' : 'the IETF draft')).join(' or ')}: ${misses.join('; ')}`,
    )

  const only = (c: AnyCheck) => !o.only || o.only.includes(c.id)
  const versions: VersionReport[] = []
  for (const t of targets) {
    const draft = draftFor.get(t.interop) ?? defaultDraft(t.interop)
    const dialect = new Dialect(t.interop, draft)
    const limits = await learnLimits(url, dialect, timeout, o.tls)
    const list = checksFor(t.interop, draft).filter(only)
    const results = await pool(list, o.concurrency ?? 4, async (check) => {
      const r = await runCheck(check, { url, dialect, limits, timeout, ...(o.tls ? { tls: o.tls } : {}) })
      o.onResult?.(r)
      return r
    })
    versions.push({
      protocol: 'ietf',
      interop: t.interop,
      draft,
      detectedBy: t.by,
      ...(limits.size ? { limits: Object.fromEntries(limits) } : {}),
      results,
    })
  }
  if (tus) {
    const server = tus
    const results = await pool(tusChecks.filter(only), o.concurrency ?? 4, async (check) => {
      const r = await runTusCheck(check, { url, server, timeout, ...(o.tls ? { tls: o.tls } : {}) })
      o.onResult?.(r)
      return r
    })
    versions.push({
      protocol: 'tus',
      detectedBy: 'options',
      ...(server.maxSize !== undefined ? { limits: { 'max-size': server.maxSize } } : {}),
      extensions: [...server.extensions],
      results,
    })
  }
  const all = versions.flatMap((v) => v.results)
  return {
    url: url.href,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    detection,
    versions,
    totals: totalsOf(all),
  }
}

/** The limits the target announces for this version (from draft -05 on, through OPTIONS). */
async function learnLimits(
  url: URL,
  d: Dialect,
  timeoutMs: number,
  tls?: import('node:tls').ConnectionOptions,
): Promise<Map<string, number>> {
  if (!d.hasDiscovery) return new Map()
  const ctx = new CheckContext({
    target: url,
    dialect: d,
    limits: new Map(),
    requestTimeoutMs: timeoutMs,
    maxRequests: 1,
    ...(tls ? { tls } : {}),
  })
  const ex = await ctx.options('target')
  await ctx.dispose()
  return (ex.final && ex.final.status < 300 ? d.readLimits(ex.final) : undefined) ?? new Map()
}

interface CheckEnv {
  url: URL
  dialect: Dialect
  limits: Map<string, number>
  timeout: number
  tls?: import('node:tls').ConnectionOptions
}

export async function runCheck(check: Check, env: CheckEnv): Promise<CheckResult> {
  const ctx = new CheckContext({
    target: env.url,
    dialect: env.dialect,
    limits: env.limits,
    requestTimeoutMs: env.timeout,
    maxRequests: check.budget?.requests ?? DEFAULT_REQUESTS,
    ...(env.tls ? { tls: env.tls } : {}),
  })
  const label = { protocol: 'ietf' as const, interop: env.dialect.interop, draft: env.dialect.draft }
  return execute(check, ctx, () => check.run(ctx), label)
}

interface TusEnv {
  url: URL
  server: TusServer
  timeout: number
  tls?: import('node:tls').ConnectionOptions
}

/** Runs a tus check; one that needs an extension the server does not advertise is not applicable (skipped). */
export async function runTusCheck(check: TusCheck, env: TusEnv): Promise<CheckResult> {
  const ctx = new TusContext({
    target: env.url,
    server: env.server,
    requestTimeoutMs: env.timeout,
    maxRequests: check.budget?.requests ?? DEFAULT_REQUESTS,
    ...(env.tls ? { tls: env.tls } : {}),
  })
  const missing = check.needs.filter((e) => !env.server.extensions.includes(e))
  const run = missing.length
    ? () => Promise.reject(ctx.skip(`not applicable: Tus-Extension does not advertise ${missing.join(', ')}`))
    : () => check.run(ctx)
  return execute(check, ctx, run, { protocol: 'tus' })
}

async function execute(
  check: Pick<AnyCheck, 'id' | 'title' | 'group' | 'level' | 'source' | 'budget'>,
  ctx: RequestContext,
  run: () => Promise<Outcome | undefined>,
  label: { protocol: Protocol; interop?: number; draft?: string },
): Promise<CheckResult> {
  const timeMs = check.budget?.timeMs ?? DEFAULT_TIME_MS
  const t0 = Date.now()
  let status: Status
  let message: string | undefined
  const notes: string[] = []
  let timer: NodeJS.Timeout | undefined
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BudgetExceeded(`the check exceeded its time budget of ${timeMs} ms`)), timeMs)
    })
    const out = await Promise.race([run(), timeout])
    status = out?.status ?? 'pass'
    message = out?.message
    notes.push(...(out?.notes ?? []))
  } catch (e) {
    if (e instanceof CheckFailure) status = 'fail'
    else if (e instanceof CheckSkip) status = 'skip'
    else status = 'error'
    message = e instanceof Error ? e.message : String(e)
    if (status === 'error' && !ctx.evidence.length) ctx.evidence = ctx.exchanges.slice(-2)
  } finally {
    clearTimeout(timer)
    await ctx.dispose()
  }
  notes.unshift(...ctx.notes)
  return {
    id: check.id,
    title: check.title,
    group: check.group,
    level: check.level,
    source: check.source,
    ...label,
    status,
    verdict: verdictOf(check.level, status),
    ...(message ? { message } : {}),
    notes,
    durationMs: Date.now() - t0,
    requests: ctx.requests,
    evidence: status === 'fail' || status === 'error' ? ctx.evidence : [],
  }
}

export function verdictOf(level: Check['level'], status: Status): Verdict {
  if (status === 'skip') return 'skipped'
  if (level === 'MAY') return 'info'
  if (status === 'pass') return 'passed'
  if (status === 'error') return level === 'MUST' ? 'error' : 'warning'
  return level === 'MUST' ? 'failed' : 'warning'
}

export function totalsOf(results: readonly CheckResult[]): Totals {
  const t: Totals = { checks: results.length, passed: 0, failed: 0, warning: 0, info: 0, skipped: 0, error: 0 }
  for (const r of results) t[r.verdict]++
  return t
}

/** Exit code of a run: 1 when a MUST check failed or could not be carried out. */
export function exitCodeOf(report: RunReport): 0 | 1 {
  return report.totals.failed + report.totals.error > 0 ? 1 : 0
}

async function pool<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker))
  return out
}
