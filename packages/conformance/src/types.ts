/** The shapes of the conformance suite: checks, their outcomes, and the report of a run. */
import type { ExchangeResult } from '@rufh/wire'
import type { CheckContext } from './context.js'

export type Level = 'MUST' | 'SHOULD' | 'MAY'

/** Where a requirement comes from: a draft revision and the section (number and heading) that states it. */
export interface Source {
  draft: string
  section: string
}

export interface Check {
  /** Stable identifier: the IDs of the spec notes §3 (`B-01`, `N9-12`, ...), with a letter for split rows. */
  id: string
  title: string
  /** The file (group) the check lives in, e.g. `baseline`, `interop-9`, `interruption`. */
  group: string
  /** Interop versions the check applies to. */
  versions: readonly number[]
  /** When set, only these draft revisions (e.g. `['-05']`) of those versions. */
  drafts?: readonly string[]
  source: readonly Source[]
  level: Level
  /** Request and time budget for one run of the check (defaults: 24 requests, 15 s). */
  budget?: { requests?: number; timeMs?: number }
  /** Resolves to nothing for a pass, or an outcome; throws `CheckFailure`/`CheckSkip` for fail/skip. */
  run(ctx: CheckContext): Promise<Outcome | undefined>
}

/**
 * `pass`/`fail` are what was observed; the level decides what they mean for the run: a failed MUST fails the run, a
 * failed SHOULD is a warning, and a MAY check is reported as information either way. `error` means the check could
 * not be carried out (budget or time exhausted, a precondition the server did not meet).
 */
export type Status = 'pass' | 'fail' | 'skip' | 'error'

export interface Outcome {
  status: Status
  message?: string
  /** Notes about what was observed (for MAY checks: what the server does). */
  notes?: string[]
}

export type Verdict = 'passed' | 'failed' | 'warning' | 'info' | 'skipped' | 'error'

export interface CheckResult {
  id: string
  title: string
  group: string
  level: Level
  source: readonly Source[]
  interop: number
  draft: string
  status: Status
  verdict: Verdict
  message?: string
  notes: string[]
  durationMs: number
  requests: number
  /** The exchanges that show a failure (the last few of the check), empty for passes. */
  evidence: ExchangeResult[]
}

export interface VersionReport {
  interop: number
  draft: string
  /** How the version was found: `104` (a matching 104), `final` (2xx with Location only), or `forced` (--interop). */
  detectedBy: 'forced' | '104' | 'final'
  limits?: Record<string, number>
  results: CheckResult[]
}

export interface RunReport {
  url: string
  startedAt: string
  durationMs: number
  /** Interop versions probed and whether each answered as a resumable-upload endpoint. */
  detection: { interop: number; supported: boolean; detail: string }[]
  versions: VersionReport[]
  totals: Totals
}

export type Totals = Record<Verdict, number> & { checks: number }

/** Thrown by a check to record a failure. */
export class CheckFailure extends Error {
  override name = 'CheckFailure'
}

/** Thrown by a check that does not apply to this server (e.g. no limits announced). */
export class CheckSkip extends Error {
  override name = 'CheckSkip'
}

/** The run cannot proceed at all: unreachable URL, not a resumable-upload endpoint, nonsense answers (exit 2). */
export class ConformanceError extends Error {
  override name = 'ConformanceError'
}
