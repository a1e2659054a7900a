/** The result of one run, as the JSON report writes it; the table, Markdown and chart are views of it. */
import type { LatencySummary, ProcedureName, TimelinePoint } from '../metrics.js'
import type { ClientResources } from '../resources.js'
import type { ServerMetrics } from '../server-metrics.js'

export interface Report {
  tool: 'rufh load'
  startedAt: string
  target: string
  /** `interop-9`, `tus-1.0.0`. */
  protocol: string
  settings: {
    model: string
    size: string
    /** null: each upload in as few requests as the creation mode allows. */
    chunkSize: number | null
    creation: 'careful' | 'optimistic'
    headBetweenAppends: boolean
    interrupt: number
    seed: number
    verify: string
    durationSeconds: number | null
  }
  /** The load phase (verification excluded). */
  wallSeconds: number
  verifySeconds: number
  uploads: {
    started: number
    completed: number
    /** Completed and read back with the right SHA-256. */
    verified: number
    /** Completed, but the bytes read back differ (or could not be read). */
    corrupt: number
    /** Completed, not verified (`--verify none`). */
    unverified: number
    /** Given up before completion (errors). */
    failed: number
    /** Stopped by the time limit. */
    unfinished: number
    /** Open model: arrivals skipped at the concurrency cap. */
    skippedArrivals: number
    /** Creations cut before the upload URL was known, started again. */
    restarts: number
  }
  bytes: {
    /** Sum of the sizes of completed uploads. */
    payload: number
    /** Request content written, including bytes sent again after interruptions. */
    sent: number
    /** Bytes the server acknowledged (offsets). */
    accepted: number
    /** Bytes sent that the server never acknowledged (lost to interruptions, or sent into abandoned uploads). */
    resent: number
    /** Payload bytes of verified uploads. */
    verified: number
  }
  throughput: {
    /** Verified payload bytes per second of wall time (completed bytes when verification is off). */
    goodputBytesPerSecond: number
    goodputBasis: 'verified' | 'completed'
    /** All request content sent (re-sent bytes included) per second of wall time. */
    rawBytesPerSecond: number
  }
  /** Milliseconds per procedure. */
  latency: Record<ProcedureName, LatencySummary>
  /** Milliseconds from an interruption to a usable offset from the server. */
  timeToResume: LatencySummary
  interruptions: { injected: number; networkErrors: number; resumed: number }
  /** Informational (1xx) responses received, by status. */
  interim: Record<string, number>
  statusCodes: Record<string, number>
  errors: Record<string, number>
  client: ClientResources
  serverMetrics: ServerMetrics | undefined
  /** The first 50 uploads that failed or did not verify. */
  failures: { index: number; size: number; url: string | undefined; reason: string }[]
  timeline: TimelinePoint[]
  /** Every started upload completed (or was stopped by the time limit) and every verification passed. */
  ok: boolean
}
