/** The shapes of the conformance suite: checks, their outcomes, and the report of a run. */
import type { ExchangeResult } from '@rufh/wire'
import type { CheckContext } from './context.js'
import type { TusContext } from './tus/context.js'

export type Level = 'MUST' | 'SHOULD' | 'MAY'

/** The protocols the tester speaks: the IETF draft (interop versions 3-10) and tus 1.0.0. */
export type Protocol = 'ietf' | 'tus'

/**
 * Where a requirement comes from: a draft revision (`-12`) and the section (number and heading) that states it; for
 * tus, `draft` is `tus 1.0.0` and the section is the heading path (`Core Protocol: HEAD`).
 */
export interface Source {
  draft: string
  section: string
}

interface CheckBase {
  /** Stable identifier: the IDs of the spec notes §3 (`B-01`, `N9-12`, ...), with a letter for split rows; `T-01`... for tus. */
  id: string
  title: string
  /** The file (group) the check lives in, e.g. `baseline`, `interop-9`, `interruption`; for tus, the extension. */
  group: string
  source: readonly Source[]
  level: Level
  /** Request and time budget for one run of the check (defaults: 24 requests, 15 s). */
  budget?: { requests?: number; timeMs?: number }
}

/** A check of the IETF draft. */
export interface Check extends CheckBase {
  /** Interop versions the check applies to. */
  versions: readonly number[]
  /** When set, only these draft revisions (e.g. `['-05']`) of those versions. */
  drafts?: readonly string[]
  /** Resolves to nothing for a pass, or an outcome; throws `CheckFailure`/`CheckSkip` for fail/skip. */
  run(ctx: CheckContext): Promise<Outcome | undefined>
}

/** A check of tus 1.0.0. */
export interface TusCheck extends CheckBase {
  protocol: 'tus'
  /**
   * Extensions the server must advertise in `Tus-Extension` for the check to apply (most need `creation` to make an
   * upload at all); otherwise the check is reported as not applicable (skipped), never failed.
   */
  needs: readonly string[]
  run(ctx: TusContext): Promise<Outcome | undefined>
}

export type AnyCheck = Check | TusCheck

export function isTusCheck(c: AnyCheck): c is TusCheck {
  return 'protocol' in c && c.protocol === 'tus'
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
  protocol: Protocol
  /** IETF: the interop version and draft revision tested; absent for tus. */
  interop?: number
  draft?: string
  status: Status
  verdict: Verdict
  message?: string
  notes: string[]
  durationMs: number
  requests: number
  /** The exchanges that show a failure (the last few of the check), empty for passes. */
  evidence: ExchangeResult[]
}

/** The results of one protocol version: an interop version (and draft revision) of the IETF draft, or tus 1.0.0. */
export interface VersionReport {
  protocol: Protocol
  /** IETF only. */
  interop?: number
  draft?: string
  /**
   * How the version was found: `104` (a matching 104), `final` (2xx with Location only), `forced` (--interop), or
   * `options` (tus: `Tus-Version` in the OPTIONS response).
   */
  detectedBy: 'forced' | '104' | 'final' | 'options'
  /** IETF: the limits of `Upload-Limit`; tus: `max-size` from `Tus-Max-Size`. */
  limits?: Record<string, number>
  /** tus: the extensions advertised in `Tus-Extension`. */
  extensions?: string[]
  results: CheckResult[]
}

/** `Interop 9 (draft -12)` or `tus 1.0.0`. */
export function versionName(v: {
  protocol: Protocol
  interop?: number | undefined
  draft?: string | undefined
}): string {
  return v.protocol === 'tus' ? 'tus 1.0.0' : `Interop ${v.interop} (draft ${v.draft})`
}

export interface RunReport {
  url: string
  startedAt: string
  durationMs: number
  /** Interop versions (and tus) probed and whether each answered as a resumable-upload endpoint. */
  detection: { protocol: Protocol; interop?: number; supported: boolean; detail: string }[]
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
