/**
 * What a run measures while it runs: an HdrHistogram per procedure (microseconds, 3 significant digits), counters,
 * and a timeline of fixed-width buckets (bytes and latency percentiles over time) for the chart. The timeline keeps at
 * most MAX_BUCKETS buckets: when full, neighbours merge and the width doubles, so long runs stay small.
 */
import { build, type Histogram } from 'hdr-histogram-js'

export const PROCEDURES = ['creation', 'append', 'completion', 'retrieval', 'download'] as const
export type ProcedureName = (typeof PROCEDURES)[number]

export interface LatencySummary {
  count: number
  /** Milliseconds. */
  mean: number
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
}

export interface TimelinePoint {
  /** Seconds since the start of the run (bucket start). */
  t: number
  seconds: number
  /** Request-body bytes written (including bytes later re-sent). */
  sentBytes: number
  /** Bytes the server acknowledged (offset advances). */
  acceptedBytes: number
  requests: number
  /** Latency percentiles (ms) of the upload requests that ended in the bucket; 0 when none. */
  p50: number
  p90: number
  p99: number
}

const MAX_BUCKETS = 240

function histogram(): Histogram {
  return build({ numberOfSignificantValueDigits: 3, bitBucketSize: 'packed', lowestDiscernibleValue: 1 })
}

export function summarize(h: Histogram): LatencySummary {
  const ms = (us: number) => Math.round(us) / 1000
  if (h.totalCount === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 }
  // A percentile is the top of its bucket, which can lie above the largest value recorded: clamp to it.
  const max = h.maxValue
  const at = (p: number) => ms(Math.min(h.getValueAtPercentile(p), max))
  return { count: h.totalCount, mean: ms(h.mean), p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: ms(max) }
}

interface Bucket {
  sent: number
  accepted: number
  latency: Histogram
}

export class Metrics {
  readonly start = performance.now()
  readonly latency: Record<ProcedureName, Histogram> = {
    creation: histogram(),
    append: histogram(),
    completion: histogram(),
    retrieval: histogram(),
    download: histogram(),
  }
  /** From an interruption until the offset retrieval that follows it answered with a usable offset. */
  readonly resume = histogram()
  readonly statusCodes = new Map<string, number>()
  readonly errors = new Map<string, number>()
  readonly interim = new Map<string, number>()
  bytesSent = 0
  bytesAccepted = 0
  bytesResent = 0
  requests = 0
  injectedCuts = 0
  networkErrors = 0
  resumed = 0
  restarts = 0
  started = 0
  completed = 0
  failed = 0
  inFlight = 0
  private bucketMs: number
  private readonly buckets: Bucket[] = []

  constructor(bucketMs = 100) {
    this.bucketMs = bucketMs
  }

  now(): number {
    return performance.now() - this.start
  }

  private bucket(atMs: number): Bucket {
    let i = Math.max(0, Math.floor(atMs / this.bucketMs))
    while (i >= MAX_BUCKETS) {
      this.halve()
      i = Math.floor(atMs / this.bucketMs)
    }
    while (this.buckets.length <= i) this.buckets.push({ sent: 0, accepted: 0, latency: histogram() })
    return this.buckets[i]!
  }

  private halve(): void {
    const merged: Bucket[] = []
    for (let i = 0; i < this.buckets.length; i += 2) {
      const a = this.buckets[i]!
      const b = this.buckets[i + 1]
      if (b) {
        a.sent += b.sent
        a.accepted += b.accepted
        a.latency.add(b.latency)
      }
      merged.push(a)
    }
    this.buckets.splice(0, this.buckets.length, ...merged)
    this.bucketMs *= 2
  }

  /** A request ended: its latency (ms) and final status, or an error label. */
  request(proc: ProcedureName, ms: number, outcome: { status?: number; error?: string }): void {
    const us = Math.max(1, Math.round(ms * 1000))
    this.latency[proc].recordValue(us)
    this.requests++
    if (outcome.status !== undefined) inc(this.statusCodes, String(outcome.status))
    if (outcome.error !== undefined) inc(this.errors, `${proc}: ${outcome.error}`)
    if (proc !== 'download') this.bucket(this.now()).latency.recordValue(us)
  }

  error(label: string): void {
    inc(this.errors, label)
  }

  informational(status: number): void {
    inc(this.interim, String(status))
  }

  sent(bytes: number): void {
    this.bytesSent += bytes
    this.bucket(this.now()).sent += bytes
  }

  accepted(bytes: number): void {
    if (bytes <= 0) return
    this.bytesAccepted += bytes
    this.bucket(this.now()).accepted += bytes
  }

  resumedAfter(ms: number): void {
    this.resumed++
    this.resume.recordValue(Math.max(1, Math.round(ms * 1000)))
  }

  timeline(): TimelinePoint[] {
    const seconds = this.bucketMs / 1000
    return this.buckets.map((b, i) => ({
      t: i * seconds,
      seconds,
      sentBytes: b.sent,
      acceptedBytes: b.accepted,
      requests: b.latency.totalCount,
      p50: b.latency.totalCount ? b.latency.getValueAtPercentile(50) / 1000 : 0,
      p90: b.latency.totalCount ? b.latency.getValueAtPercentile(90) / 1000 : 0,
      p99: b.latency.totalCount ? b.latency.getValueAtPercentile(99) / 1000 : 0,
    }))
  }
}

function inc(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1)
}

export function sortedRecord(m: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...m.entries()].sort(([a], [b]) => a.localeCompare(b)))
}
