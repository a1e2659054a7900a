/** A Markdown summary (one row per interop version, one for tus 1.0.0) and a table of every check result. */
import type { RunReport, Verdict, VersionReport } from '../types.js'

/** The Interop and Draft cells of a version: `9`, `-12`; `tus`, `1.0.0`. */
function cells(v: VersionReport): [string, string] {
  return v.protocol === 'tus' ? ['tus', '1.0.0'] : [String(v.interop), v.draft ?? '']
}

export function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

const icons: Record<Verdict, string> = {
  passed: 'pass',
  failed: '**FAIL**',
  warning: 'warn',
  info: 'info',
  skipped: 'skip',
  error: '**ERROR**',
}

export function renderMarkdown(report: RunReport): string {
  const out = [
    `# Conformance of ${report.url}`,
    '',
    '| Interop | Draft | Checks | Passed | Failed | Errors | Warnings | Info | Skipped |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ]
  for (const v of report.versions) {
    const c = (x: Verdict) => v.results.filter((r) => r.verdict === x).length
    out.push(
      `| ${cells(v).join(' | ')} | ${v.results.length} | ${c('passed')} | ${c('failed')} | ${c('error')} | ${c('warning')} | ${c('info')} | ${c('skipped')} |`,
    )
  }
  out.push(
    '',
    '| Interop | ID | Level | Result | Check | Source | Detail |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  )
  for (const v of report.versions)
    for (const r of v.results) {
      const src = r.source.map((s) => `${s.draft} ${s.section}`).join('; ')
      const detail = [r.message, ...r.notes].filter(Boolean).join('; ')
      out.push(
        `| ${cells(v)[0]} | ${r.id} | ${r.level} | ${icons[r.verdict]} | ${mdCell(r.title)} | ${mdCell(src)} | ${mdCell(detail)} |`,
      )
    }
  return `${out.join('\n')}\n`
}
