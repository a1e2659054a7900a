/**
 * `--compare A B`: the same workload against two targets, alternating A, B, A, B… (so drift on a noisy machine hits
 * both), with run i of each target on seed + i. Reports the median of each metric per target and the ratio B/A.
 */
import type { LoadOptions } from './options.js'
import type { Report } from './report/model.js'
import { runLoad } from './run.js'

export interface ComparedMetric {
  name: string
  unit: string
  /** Which direction is better, for reading the ratio. */
  better: 'higher' | 'lower'
  a: number[]
  b: number[]
  medianA: number
  medianB: number
  /** medianB / medianA; null when medianA is 0. */
  ratio: number | null
}

export interface Comparison {
  tool: 'rufh load --compare'
  a: string
  b: string
  runs: number
  metrics: ComparedMetric[]
  reports: { a: Report[]; b: Report[] }
  ok: boolean
}

const MB = 1e6

interface Extractor {
  name: string
  unit: string
  better: 'higher' | 'lower'
  get: (r: Report) => number
  /** Shown only when some run measured it (a procedure the workload never used has no latency). */
  present?: (r: Report) => boolean
}

const used = (p: keyof Report['latency']) => (r: Report) => r.latency[p].count > 0

const EXTRACT: Extractor[] = [
  { name: 'goodput', unit: 'MB/s', better: 'higher', get: (r) => r.throughput.goodputBytesPerSecond / MB },
  { name: 'raw throughput', unit: 'MB/s', better: 'higher', get: (r) => r.throughput.rawBytesPerSecond / MB },
  { name: 'uploads completed', unit: '', better: 'higher', get: (r) => r.uploads.completed },
  { name: 'creation p50', unit: 'ms', better: 'lower', get: (r) => r.latency.creation.p50, present: used('creation') },
  { name: 'creation p99', unit: 'ms', better: 'lower', get: (r) => r.latency.creation.p99, present: used('creation') },
  { name: 'append p50', unit: 'ms', better: 'lower', get: (r) => r.latency.append.p50, present: used('append') },
  { name: 'append p99', unit: 'ms', better: 'lower', get: (r) => r.latency.append.p99, present: used('append') },
  {
    name: 'completion p50',
    unit: 'ms',
    better: 'lower',
    get: (r) => r.latency.completion.p50,
    present: used('completion'),
  },
  {
    name: 'completion p99',
    unit: 'ms',
    better: 'lower',
    get: (r) => r.latency.completion.p99,
    present: used('completion'),
  },
  {
    name: 'retrieval p50',
    unit: 'ms',
    better: 'lower',
    get: (r) => r.latency.retrieval.p50,
    present: used('retrieval'),
  },
  {
    name: 'time to resume p50',
    unit: 'ms',
    better: 'lower',
    get: (r) => r.timeToResume.p50,
    present: (r) => r.timeToResume.count > 0,
  },
  { name: 'bytes re-sent', unit: 'MB', better: 'lower', get: (r) => r.bytes.resent / MB },
  { name: 'errors', unit: '', better: 'lower', get: (r) => Object.values(r.errors).reduce((a, b) => a + b, 0) },
  { name: 'failed uploads', unit: '', better: 'lower', get: (r) => r.uploads.failed + r.uploads.corrupt },
  { name: 'client CPU', unit: '%', better: 'lower', get: (r) => r.client.cpuPercent },
]

export function median(xs: number[]): number {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export async function compare(
  a: LoadOptions,
  b: LoadOptions,
  runs: number,
  onRun?: (which: 'A' | 'B', run: number, report: Report) => void,
): Promise<Comparison> {
  const reports = { a: [] as Report[], b: [] as Report[] }
  for (let i = 0; i < runs; i++) {
    for (const [which, o, list] of [
      ['A', a, reports.a],
      ['B', b, reports.b],
    ] as const) {
      const r = await runLoad({ ...o, seed: (o.seed + i) >>> 0 })
      list.push(r)
      onRun?.(which, i + 1, r)
    }
  }
  const all = [...reports.a, ...reports.b]
  const metrics = EXTRACT.filter((m) => !m.present || all.some(m.present)).map((m) => {
    const va = reports.a.map(m.get)
    const vb = reports.b.map(m.get)
    const medianA = median(va)
    const medianB = median(vb)
    return {
      name: m.name,
      unit: m.unit,
      better: m.better,
      a: va,
      b: vb,
      medianA,
      medianB,
      ratio: medianA === 0 ? null : medianB / medianA,
    }
  })
  return {
    tool: 'rufh load --compare',
    a: a.url,
    b: b.url,
    runs,
    metrics,
    reports,
    ok: all.every((r) => r.ok),
  }
}
