/**
 * The chart, as a self-contained SVG written by hand: latency percentiles over time (top, log scale; the upload
 * requests that ended in each interval) and throughput over time (bottom: content sent, and bytes the server
 * acknowledged). Several series (a comparison's targets) share the axes, one colour each.
 */
import type { TimelinePoint } from '../metrics.js'

export interface ChartSeries {
  label: string
  timeline: TimelinePoint[]
  wallSeconds: number
}

const W = 960
const LEFT = 70
const RIGHT = 20
const PLOT_W = W - LEFT - RIGHT
const TOP1 = 50
const H1 = 220
const TOP2 = TOP1 + H1 + 70
const H2 = 180
const H = TOP2 + H2 + 60
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd']

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const num = (v: number) => (Number.isFinite(v) ? Number(v.toFixed(1)) : 0)

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks
  const p = 10 ** Math.floor(Math.log10(raw))
  const f = raw / p
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p
}

/** Paths through the points, broken where a value is missing. */
function path(points: ([number, number] | undefined)[]): string {
  let d = ''
  let pen = false
  for (const p of points) {
    if (!p) {
      pen = false
      continue
    }
    d += `${pen ? 'L' : 'M'}${num(p[0])},${num(p[1])} `
    pen = true
  }
  return d.trim()
}

interface Sample {
  x: number
  p50: number
  p90: number
  p99: number
  sent: number
  acked: number
  hasLatency: boolean
}

function samples(s: ChartSeries): Sample[] {
  const out: Sample[] = []
  for (const p of s.timeline) {
    const seconds = Math.min(p.seconds, s.wallSeconds - p.t)
    // A last interval much shorter than the others would show a meaningless rate; but a run shorter than half an
    // interval has nothing else to show, so its only interval stays.
    if (seconds < p.seconds * 0.5 && s.timeline.length > 1) continue
    if (seconds <= 0) continue
    out.push({
      x: p.t + seconds / 2,
      p50: p.p50,
      p90: p.p90,
      p99: p.p99,
      sent: p.sentBytes / seconds / 1e6,
      acked: p.acceptedBytes / seconds / 1e6,
      hasLatency: p.requests > 0,
    })
  }
  return out
}

export function renderChart(series: ChartSeries[], title: string): string {
  const data = series.map(samples)
  const maxT = Math.max(1e-3, ...series.map((s) => s.wallSeconds))
  const x = (t: number) => LEFT + (t / maxT) * PLOT_W
  const lat = data.flat().filter((d) => d.hasLatency)
  const lo = Math.max(1e-3, Math.min(...lat.map((d) => d.p50), 1))
  const hi = Math.max(lo * 10, ...lat.map((d) => d.p99))
  const [l0, l1] = [Math.floor(Math.log10(lo)), Math.ceil(Math.log10(hi))]
  const yLat = (v: number) => TOP1 + H1 - ((Math.log10(Math.max(v, 10 ** l0)) - l0) / (l1 - l0)) * H1
  const maxRate = Math.max(1e-3, ...data.flat().map((d) => Math.max(d.sent, d.acked)))
  const rateStep = niceStep(maxRate, 5)
  const rateTop = Math.ceil(maxRate / rateStep) * rateStep
  const yRate = (v: number) => TOP2 + H2 - (v / rateTop) * H2
  const tStep = niceStep(maxT, 8)

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${LEFT}" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${LEFT}" y="${TOP1 - 8}">Latency of upload requests (ms, log scale): p50 solid, p90 dashed, p99 dotted</text>`,
    `<text x="${LEFT}" y="${TOP2 - 8}">Throughput (MB/s): content sent solid, acknowledged by the server dashed</text>`,
  ]
  // Axes and grid.
  for (const [top, h] of [
    [TOP1, H1],
    [TOP2, H2],
  ] as const) {
    out.push(`<rect x="${LEFT}" y="${top}" width="${PLOT_W}" height="${h}" fill="none" stroke="#999"/>`)
    for (let t = 0; t <= maxT + 1e-9; t += tStep) {
      out.push(`<line x1="${num(x(t))}" y1="${top}" x2="${num(x(t))}" y2="${top + h}" stroke="#eee"/>`)
      out.push(`<text x="${num(x(t))}" y="${top + h + 15}" text-anchor="middle">${num(t)}</text>`)
    }
    out.push(`<text x="${LEFT + PLOT_W}" y="${top + h + 30}" text-anchor="end">seconds</text>`)
  }
  for (let e = l0; e <= l1; e++) {
    const y = num(yLat(10 ** e))
    out.push(`<line x1="${LEFT}" y1="${y}" x2="${LEFT + PLOT_W}" y2="${y}" stroke="#eee"/>`)
    out.push(
      `<text x="${LEFT - 6}" y="${y + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)}</text>`,
    )
  }
  for (let v = 0; v <= rateTop + 1e-9; v += rateStep) {
    const y = num(yRate(v))
    out.push(`<line x1="${LEFT}" y1="${y}" x2="${LEFT + PLOT_W}" y2="${y}" stroke="#eee"/>`)
    out.push(`<text x="${LEFT - 6}" y="${y + 4}" text-anchor="end">${num(v)}</text>`)
  }
  // Series.
  data.forEach((d, i) => {
    const c = COLORS[i % COLORS.length]
    const latPath = (k: 'p50' | 'p90' | 'p99') =>
      path(d.map((s) => (s.hasLatency ? ([x(s.x), yLat(s[k])] as [number, number]) : undefined)))
    out.push(`<path d="${latPath('p50')}" fill="none" stroke="${c}" stroke-width="2"/>`)
    out.push(`<path d="${latPath('p90')}" fill="none" stroke="${c}" stroke-width="1.5" stroke-dasharray="6 3"/>`)
    out.push(`<path d="${latPath('p99')}" fill="none" stroke="${c}" stroke-width="1.5" stroke-dasharray="2 3"/>`)
    out.push(`<path d="${path(d.map((s) => [x(s.x), yRate(s.sent)]))}" fill="none" stroke="${c}" stroke-width="2"/>`)
    out.push(
      `<path d="${path(d.map((s) => [x(s.x), yRate(s.acked)]))}" fill="none" stroke="${c}" stroke-width="1.5" stroke-dasharray="6 3"/>`,
    )
    const ly = H - 18
    const lx = LEFT + i * 300
    out.push(`<rect x="${lx}" y="${ly - 10}" width="14" height="10" fill="${c}"/>`)
    out.push(`<text x="${lx + 20}" y="${ly}">${esc(series[i]!.label)}</text>`)
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
