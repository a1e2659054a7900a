/** Markdown reports, for pasting into docs and pull requests. */
import type { Comparison } from '../compare.js'
import { formatBytes } from '../sizes.js'
import type { Report } from './model.js'
import { fmt, latencyRows, mbps } from './table.js'

export function markdownTable(rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  const [head, ...body] = rows
  if (!head) return ''
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...body.map(line)].join('\n')
}

export function renderMarkdown(r: Report, chartFile?: string): string {
  const u = r.uploads
  const s = r.settings
  const out = [
    `# rufh load: ${r.target}`,
    '',
    `${r.startedAt}, ${r.protocol}, ${s.model}, size ${s.size}, ${s.creation} creation` +
      `${s.chunkSize ? `, chunks of ${formatBytes(s.chunkSize)}` : ''}` +
      `${s.headBetweenAppends ? ', offset retrieval between appends' : ''}` +
      `${s.interrupt > 0 ? `, interrupt probability ${s.interrupt}` : ''}, seed ${s.seed}, verify ${s.verify}.`,
    '',
    markdownTable([
      ['', ''],
      ['result', r.ok ? 'OK' : '**FAILED**'],
      ['wall time', `${r.wallSeconds.toFixed(2)} s`],
      ['uploads started / completed / verified', `${u.started} / ${u.completed} / ${u.verified}`],
      ['corrupt / failed / unfinished', `${u.corrupt} / ${u.failed} / ${u.unfinished}`],
      [`goodput (${r.throughput.goodputBasis})`, mbps(r.throughput.goodputBytesPerSecond)],
      ['raw throughput', mbps(r.throughput.rawBytesPerSecond)],
      [
        'payload / sent / re-sent',
        `${formatBytes(r.bytes.payload)} / ${formatBytes(r.bytes.sent)} / ${formatBytes(r.bytes.resent)}`,
      ],
      [
        'interruptions (injected / network / resumed)',
        `${r.interruptions.injected} / ${r.interruptions.networkErrors} / ${r.interruptions.resumed}`,
      ],
      [
        '1xx responses',
        Object.entries(r.interim)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ') || 'none',
      ],
      [
        'status codes',
        Object.entries(r.statusCodes)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ') || 'none',
      ],
      ['client CPU / peak RSS', `${r.client.cpuPercent.toFixed(0)}% / ${formatBytes(r.client.peakRssBytes)}`],
    ]),
    '',
    '## Latency (ms)',
    '',
    markdownTable(latencyRows(r.latency, r.timeToResume.count ? [['time to resume', r.timeToResume]] : [])),
  ]
  if (chartFile) out.push('', `![latency and throughput over time](${chartFile})`)
  const errors = Object.entries(r.errors)
  if (errors.length)
    out.push('', '## Errors', '', markdownTable([['error', 'count'], ...errors.map(([k, v]) => [k, String(v)])]))
  if (r.failures.length)
    out.push(
      '',
      '## Failures',
      '',
      ...r.failures.map((f) => `- #${f.index} (${formatBytes(f.size)}): ${f.reason.replace(/\|/g, '\\|')}`),
    )
  if (r.serverMetrics) {
    const series = Object.entries(r.serverMetrics.series)
    out.push('', `## Server metrics (${r.serverMetrics.url})`, '')
    if (r.serverMetrics.error) out.push(r.serverMetrics.error)
    else
      out.push(
        markdownTable([
          ['series', 'before', 'after', 'Δ'],
          ...series.map(([k, v]) => [`\`${k}\``, String(v.before ?? '-'), String(v.after), String(v.delta)]),
        ]),
      )
  }
  return `${out.join('\n')}\n`
}

export function renderComparisonMarkdown(c: Comparison, chartFile?: string): string {
  const out = [
    '# rufh load --compare',
    '',
    `A: ${c.a}  `,
    `B: ${c.b}  `,
    `${c.runs} run${c.runs === 1 ? '' : 's'} each, alternating A, B; medians. Result: ${c.ok ? 'OK' : '**FAILED**'}.`,
    '',
    markdownTable([
      ['metric', 'A', 'B', 'B/A', 'better'],
      ...c.metrics.map((m) => {
        const unit = m.unit ? ` ${m.unit}` : ''
        return [
          m.name,
          `${fmt(m.medianA)}${unit}`,
          `${fmt(m.medianB)}${unit}`,
          m.ratio === null ? '-' : m.ratio.toFixed(2),
          m.better,
        ]
      }),
    ]),
  ]
  if (chartFile) out.push('', `![last run of each target](${chartFile})`)
  return `${out.join('\n')}\n`
}
