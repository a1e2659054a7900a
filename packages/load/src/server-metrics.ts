/**
 * Optional scrape of the server's metrics endpoint (Prometheus text format) before and after a run: every series
 * whose value changed is reported with both values and the difference (counters: what the run cost the server).
 */
import { exchange } from './http.js'
import type { Target } from './procedures.js'

export interface SeriesChange {
  before: number | undefined
  after: number
  delta: number
}

export type ServerMetrics = { url: string; error?: string; series: Record<string, SeriesChange> }

/** `name{labels} value [timestamp]` lines; comments and unparsable lines are skipped. */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?)\s+(\S+)(?:\s+\d+)?$/.exec(line)
    if (!m) continue
    const v = Number(m[2] === '+Inf' ? Number.POSITIVE_INFINITY : m[2] === '-Inf' ? Number.NEGATIVE_INFINITY : m[2])
    if (!Number.isNaN(v)) out.set(m[1]!, v)
  }
  return out
}

export async function scrape(
  t: Pick<Target, 'agent' | 'timeoutMs' | 'headers'>,
  url: URL,
): Promise<Map<string, number>> {
  const chunks: Buffer[] = []
  const r = await exchange({
    url,
    method: 'GET',
    headers: { ...t.headers, accept: 'text/plain' },
    agent: t.agent,
    timeoutMs: t.timeoutMs,
    onData: (c) => chunks.push(c),
  })
  if (r.status === 0) throw new Error(`${url.href}: ${r.error}`)
  if (r.status < 200 || r.status > 299) throw new Error(`${url.href}: HTTP ${r.status}`)
  return parsePrometheus(Buffer.concat(chunks).toString('utf8'))
}

export function diff(url: string, before: Map<string, number>, after: Map<string, number>): ServerMetrics {
  const series: Record<string, SeriesChange> = {}
  for (const [k, v] of [...after.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const b = before.get(k)
    if (b === v) continue
    series[k] = { before: b, after: v, delta: b === undefined ? v : v - b }
  }
  return { url, series }
}
