/** The human report: one block per protocol version with counts, one line per check, details for every problem. */
import { type CheckResult, type RunReport, type Verdict, versionName } from '../types.js'
import { exchangeText } from './exchange-text.js'

export interface TerminalOptions {
  color?: boolean
  /** Also list passed and skipped checks one per line (default true). */
  verbose?: boolean
}

const marks: Record<Verdict, string> = {
  passed: 'PASS',
  failed: 'FAIL',
  warning: 'WARN',
  info: 'INFO',
  skipped: 'SKIP',
  error: 'ERR ',
}
const colors: Record<Verdict, string> = {
  passed: '32',
  failed: '31',
  warning: '33',
  info: '36',
  skipped: '90',
  error: '35',
}

export function countsText(t: Record<Verdict, number> & { checks: number }): string {
  return `${t.checks} checks: ${t.passed} passed, ${t.failed} failed, ${t.error} errors, ${t.warning} warnings, ${t.info} info, ${t.skipped} skipped`
}

export function resultLine(r: CheckResult, color = false): string {
  const mark = color ? `\x1b[${colors[r.verdict]}m${marks[r.verdict]}\x1b[0m` : marks[r.verdict]
  const src = r.source.map((s) => `${s.draft} ${s.section}`).join('; ')
  const msg = r.message ? ` — ${r.message}` : r.notes.length ? ` — ${r.notes.join('; ')}` : ''
  return `  ${mark} ${r.id.padEnd(7)} ${r.level.padEnd(6)} ${r.title}${msg}${r.verdict === 'failed' || r.verdict === 'warning' ? `\n               (${src})` : ''}`
}

export function renderTerminal(report: RunReport, o: TerminalOptions = {}): string {
  const color = o.color ?? false
  const verbose = o.verbose ?? true
  const out: string[] = [`rufh conformance ${report.url}`, '']
  if (report.detection.length) {
    out.push('Detected protocol versions:')
    for (const d of report.detection) {
      const name = d.protocol === 'tus' ? 'tus 1.0.0' : `interop ${d.interop}`
      out.push(`  ${d.supported ? 'yes' : 'no '} ${name}: ${d.detail}`)
    }
    out.push('')
  }
  for (const v of report.versions) {
    const t = { checks: v.results.length, passed: 0, failed: 0, warning: 0, info: 0, skipped: 0, error: 0 }
    for (const r of v.results) t[r.verdict]++
    const limits = v.limits
      ? Object.entries(v.limits)
          .map(([k, n]) => `${k}=${n}`)
          .join(', ')
      : 'none announced'
    out.push(`${versionName(v)} — ${countsText(t)}`, `  limits: ${limits}`)
    if (v.extensions) out.push(`  extensions: ${v.extensions.join(', ') || '(none)'}`)
    for (const r of v.results) if (verbose || r.verdict !== 'passed') out.push(resultLine(r, color))
    const problems = v.results.filter(
      (r) => r.evidence.length && (r.verdict === 'failed' || r.verdict === 'error' || r.verdict === 'warning'),
    )
    for (const r of problems) {
      out.push('', `  ${r.id} (${r.level}, ${versionName(r)}): ${r.message ?? ''}`)
      for (const ex of r.evidence) out.push(exchangeText(ex), '')
    }
    out.push('')
  }
  out.push(`Total: ${countsText(report.totals)} (${(report.durationMs / 1000).toFixed(1)} s)`)
  const verdict =
    report.totals.failed + report.totals.error > 0
      ? 'FAILED: some MUST requirements are not met'
      : 'OK: every MUST requirement tested is met'
  out.push(verdict)
  return `${out.join('\n')}\n`
}
