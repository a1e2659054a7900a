/** Everything a run is configured by, with the defaults `rufh load` uses. */
import type { ProtocolName, Speaker } from './codec.js'
import type { Model } from './scenario.js'
import type { SizeDistribution } from './sizes.js'
import type { VerifySpec } from './verify.js'

export interface Progress {
  elapsedSeconds: number
  started: number
  completed: number
  failed: number
  inFlight: number
  bytesSent: number
  /** Request-content bytes per second over the last progress interval. */
  sendRate: number
  cuts: number
  errors: number
}

export interface LoadOptions {
  /** The upload-creation URL. */
  url: string
  protocol: ProtocolName
  /** IETF interop version (default: the newest @rufh/protocol speaks). */
  interop?: number
  /** A codec to speak instead of `protocol`/`interop` (tests, experimental protocols). */
  speaker?: Speaker
  model: Model
  /** No upload starts after this; running ones get `graceMs`, then are aborted. */
  durationMs?: number
  graceMs?: number
  size: SizeDistribution
  /** Bytes per request; default: each upload in as few requests as the creation mode allows. */
  chunkSize?: number
  creation?: 'careful' | 'optimistic'
  headBetweenAppends?: boolean
  /** Probability that a request carrying content is cut mid-body. Default 0. */
  interrupt?: number
  seed: number
  verify: VerifySpec
  /** Uploads verified at once after the load phase. Default 4. */
  verifyConcurrency?: number
  /** Idle time after which a request fails. Default 30 s. */
  timeoutMs?: number
  /** Extra request fields on every request (e.g. `authorization`). */
  headers?: Record<string, string>
  /** A Prometheus text endpoint scraped before and after the run. */
  serverMetricsUrl?: string
  /** Injected cuts per upload at most (so that `--interrupt 1` still finishes). Default 8. */
  maxCutsPerUpload?: number
  /** Failures in a row before an upload is given up. Default 5. */
  maxFailures?: number
  onProgress?: (p: Progress) => void
  progressIntervalMs?: number
}

export const DEFAULTS = {
  graceMs: 5_000,
  creation: 'careful',
  interrupt: 0,
  verifyConcurrency: 4,
  timeoutMs: 30_000,
  maxCutsPerUpload: 8,
  maxFailures: 5,
  progressIntervalMs: 1_000,
} as const
