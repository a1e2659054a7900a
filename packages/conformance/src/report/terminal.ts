/** The human report: one block per interop version with counts, one line per check, details for every problem. */
import type { CheckResult, RunReport, Verdict } from '../types.js'
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
    out.push('Detected interop versions:')
    for (const d of report.detection) out.push(`  ${d.supported ? 'yes' : 'no '} interop ${d.interop}: ${d.detail}`)
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
    out.push(`Interop ${v.interop} (draft ${v.draft}) — ${countsText(t)}`, `  limits: ${limits}`)
    for (const r of v.results) if (verbose || r.verdict !== 'passed') out.push(resultLine(r, color))
    const problems = v.results.filter(
      (r) => r.evidence.length && (r.verdict === 'failed' || r.verdict === 'error' || r.verdict === 'warning'),
    )
    for (const r of problems) {
      out.push('', `  ${r.id} (${r.level}, interop ${r.interop} draft ${r.draft}): ${r.message ?? ''}`)
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
