/** The plain-text summary printed at the end of a run (and of a comparison). */
import type { Comparison } from '../compare.js'
import { type LatencySummary, PROCEDURES } from '../metrics.js'
import { formatBytes } from '../sizes.js'
import type { Report } from './model.js'

/** Columns padded to their widest cell; with `numeric`, number-looking cells after the first column align right. */
export function textTable(rows: string[][], numeric = true): string {
  const widths: number[] = []
  for (const r of rows)
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length)
    })
  return rows
    .map((r) =>
      r
        .map((c, i) =>
          numeric && i > 0 && /^-?[\d.,]+( ?[a-zA-Z/%]+)?$/.test(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

export const mbps = (bytesPerSecond: number) => `${(bytesPerSecond / 1e6).toFixed(2)} MB/s`
export const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2))

export function latencyRows(latency: Record<string, LatencySummary>, extra: [string, LatencySummary][] = []) {
  const rows = [['procedure', 'count', 'mean', 'p50', 'p90', 'p99', 'p99.9', 'max (ms)']]
  for (const [name, l] of [...PROCEDURES.map((p) => [p, latency[p]!] as [string, LatencySummary]), ...extra]) {
    if (l.count === 0) continue
    rows.push([name, String(l.count), ms(l.mean), ms(l.p50), ms(l.p90), ms(l.p99), ms(l.p999), ms(l.max)])
  }
  return rows
}

const counts = (r: Record<string, number>) =>
  Object.entries(r)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ') || 'none'

export function renderSummary(r: Report): string {
  const u = r.uploads
  const b = r.bytes
  const lines = [
    `rufh load ${r.target} (${r.protocol}; ${r.settings.model}; size ${r.settings.size}; ` +
      `${r.settings.creation} creation${r.settings.chunkSize ? `, chunks of ${formatBytes(r.settings.chunkSize)}` : ''}` +
      `${r.settings.interrupt > 0 ? `; interrupt ${r.settings.interrupt}` : ''}; seed ${r.settings.seed})`,
    '',
    textTable(
      [
        ['wall time', `${r.wallSeconds.toFixed(2)} s (verification ${r.verifySeconds.toFixed(2)} s more)`],
        [
          'uploads',
          `${u.started} started, ${u.completed} completed, ${u.verified} verified, ${u.corrupt} corrupt, ` +
            `${u.failed} failed${u.unverified ? `, ${u.unverified} unverified` : ''}` +
            `${u.unfinished ? `, ${u.unfinished} stopped by the time limit` : ''}` +
            `${u.skippedArrivals ? `, ${u.skippedArrivals} arrivals skipped` : ''}` +
            `${u.restarts ? `, ${u.restarts} restarts` : ''}`,
        ],
        ['goodput', `${mbps(r.throughput.goodputBytesPerSecond)} (${r.throughput.goodputBasis} payload / wall time)`],
        ['raw throughput', `${mbps(r.throughput.rawBytesPerSecond)} (all content sent / wall time)`],
        [
          'bytes',
          `${formatBytes(b.payload)} payload, ${formatBytes(b.sent)} sent, ${formatBytes(b.accepted)} acknowledged, ` +
            `${formatBytes(b.resent)} re-sent`,
        ],
        [
          'interruptions',
          `${r.interruptions.injected} injected, ${r.interruptions.networkErrors} network errors, ` +
            `${r.interruptions.resumed} resumed` +
            (r.timeToResume.count
              ? `; time to resume p50 ${ms(r.timeToResume.p50)} ms, p99 ${ms(r.timeToResume.p99)} ms`
              : ''),
        ],
        ['1xx responses', counts(r.interim)],
        ['status codes', counts(r.statusCodes)],
        [
          'client',
          `CPU ${r.client.cpuPercent.toFixed(0)}% of a core (user ${r.client.cpuUserSeconds.toFixed(2)} s, system ` +
            `${r.client.cpuSystemSeconds.toFixed(2)} s), peak RSS ${formatBytes(r.client.peakRssBytes)}`,
        ],
      ],
      false,
    ),
    '',
    textTable(latencyRows(r.latency, r.timeToResume.count ? [['time to resume', r.timeToResume]] : [])),
  ]
  const errors = Object.entries(r.errors)
  if (errors.length) lines.push('', 'errors:', ...errors.map(([k, v]) => `  ${v}× ${k}`))
  if (r.serverMetrics) {
    const s = r.serverMetrics
    const series = Object.entries(s.series)
    lines.push('', `server metrics (${s.url}): ${s.error ?? `${series.length} series changed`}`)
    for (const [k, v] of series.slice(0, 20)) lines.push(`  ${k} ${v.before ?? '-'} → ${v.after} (Δ ${v.delta})`)
  }
  if (r.failures.length) {
    lines.push('', 'failures:')
    for (const f of r.failures.slice(0, 10))
      lines.push(`  #${f.index} (${formatBytes(f.size)}${f.url ? `, ${f.url}` : ''}): ${f.reason}`)
  }
  lines.push('', r.ok ? 'OK' : 'FAILED')
  return lines.join('\n')
}

export function renderComparison(c: Comparison): string {
  const rows = [['metric', 'A (median)', 'B (median)', 'B/A', 'better']]
  for (const m of c.metrics) {
    const unit = m.unit ? ` ${m.unit}` : ''
    rows.push([
      m.name,
      `${fmt(m.medianA)}${unit}`,
      `${fmt(m.medianB)}${unit}`,
      m.ratio === null ? '-' : m.ratio.toFixed(2),
      m.better,
    ])
  }
  return [
    `rufh load --compare (${c.runs} run${c.runs === 1 ? '' : 's'} each, alternating)`,
    `  A ${c.a}`,
    `  B ${c.b}`,
    '',
    textTable(rows),
    '',
    c.ok ? 'OK' : 'FAILED (some runs had failed or corrupt uploads)',
  ].join('\n')
}

export function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v)
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)
}
