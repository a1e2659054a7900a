/**
 * What a failed exchange means for the upload (draft -12 §4.4 retry heuristics, spec notes §2.9): resume after 409,
 * shrink after 413, back off after 429/5xx/no response, stop on other 4xx. Pure: no I/O, no clock.
 */
import { type ResponseInfo, supportedVersionsOf as supportedFrom } from '@rufh/protocol'
import { httpError, type Problem, parseProblem, type UploadError } from '../errors.js'
import { parseRetryAfter } from './retry.js'
import type { TransportResponse } from './types.js'

export type Procedure = 'discovery' | 'creation' | 'retrieval' | 'append' | 'cancellation'

export type Verdict =
  /** Transient: wait (at least `retryAfter` ms when given), then retrieve the offset and go on. */
  | { kind: 'retry'; retryAfter?: number | undefined }
  /** 409: the server's offset differs from ours; it is given here when the response tells it. */
  | { kind: 'resync'; offset: number | undefined }
  /** 413: send less per request; `maxAppendSize` when the response carries `Upload-Limit`. */
  | { kind: 'shrink'; maxAppendSize: number | undefined }
  /** The upload resource no longer exists (404, 410). */
  | { kind: 'gone' }
  /** The server does not speak this interop version: try an older one (only those in `supported`, if given). */
  | { kind: 'version'; supported: number[] | undefined }
  /** The target resource answered: the upload is over (I9 `Upload-Complete: ?1` on an error response). */
  | { kind: 'final' }
  | { kind: 'fatal' }

export interface Exchange {
  procedure: Procedure
  status: number
  info: ResponseInfo
  problem: Problem | undefined
  retryAfter: number | undefined
  /** The codec's `targetSemantics`: response `Upload-Complete: ?1` means the target resource answered (I9+). */
  targetSemantics: boolean
}

const versionStatuses: ReadonlySet<number> = new Set([400, 412, 415, 501])
const genuineCodes: ReadonlySet<string> = new Set([
  'ERR_LIMIT_EXCEEDED',
  'ERR_INCONSISTENT_LENGTH',
  'ERR_OFFSET_MISMATCH',
  'ERR_UPLOAD_COMPLETED',
])

/** Classifies a non-2xx final response. */
export function classify(x: Exchange): Verdict {
  const { status, info, problem, procedure } = x
  // draft -12 §4.4: a response with Upload-Complete: ?1 is the target resource's; the client SHOULD NOT resume.
  if (x.targetSemantics && info.complete === true && (procedure === 'creation' || procedure === 'append'))
    return { kind: 'final' }
  if (status === 429 || status === 503 || status >= 500) {
    // 501 on creation means "not implemented": a version problem, not a transient one.
    if (status === 501 && procedure === 'creation') return { kind: 'version', supported: undefined }
    return { kind: 'retry', retryAfter: x.retryAfter }
  }
  if (status === 408 || status === 423) return { kind: 'retry', retryAfter: x.retryAfter }
  // rufh stops a transfer that a newer request for the upload took over (or whose body went idle) and says so: the
  // bytes it stored stay, so this is an interruption to resume from, not a refusal.
  if (problem?.code === 'ERR_UPLOAD_INTERRUPTED' && (procedure === 'append' || procedure === 'creation'))
    return { kind: 'retry', retryAfter: x.retryAfter }
  if (problem?.code === 'ERR_UNSUPPORTED_VERSION') return { kind: 'version', supported: supportedFrom(problem) }
  if (status === 409 && procedure === 'append') {
    const fromProblem = problem?.['expected-offset']
    const offset =
      info.offset ?? (typeof fromProblem === 'number' && Number.isInteger(fromProblem) ? fromProblem : undefined)
    return { kind: 'resync', offset }
  }
  if (status === 413 && (procedure === 'append' || procedure === 'creation')) {
    // A max-size refusal cannot be cured by sending less at a time.
    if (problem?.['limit'] === 'max-size') return { kind: 'fatal' }
    return { kind: 'shrink', maxAppendSize: info.limits?.maxAppendSize }
  }
  if ((status === 404 || status === 410) && procedure !== 'creation' && procedure !== 'discovery')
    return { kind: 'gone' }
  if (procedure === 'creation' && versionStatuses.has(status) && !genuineCodes.has(problem?.code ?? ''))
    return { kind: 'version', supported: supportedFrom(problem) }
  return { kind: 'fatal' }
}

/** A refusal saying the upload is already complete (the `completed-upload` problem type, or rufh's code for it). */
export function refusedAsComplete(status: number, problem: Problem | undefined): boolean {
  return (
    problem?.code === 'ERR_UPLOAD_COMPLETED' || httpError('PATCH', '', status, problem).code === 'ERR_UPLOAD_COMPLETED'
  )
}

/** What a non-2xx final response says: its problem body, the error to report, and what it means for the upload. */
export function readFailure(
  procedure: Procedure,
  res: TransportResponse,
  info: ResponseInfo,
  at: { method: string; target: string; now: number; targetSemantics: boolean },
): { problem: Problem | undefined; err: UploadError; verdict: Verdict } {
  const problem = parseProblem(res.headers.get('content-type') ?? undefined, res.body)
  const err = httpError(at.method, at.target, res.status, problem)
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'), at.now)
  const verdict = classify({
    procedure,
    status: res.status,
    info,
    problem,
    retryAfter,
    targetSemantics: at.targetSemantics,
  })
  return { problem, err, verdict }
}
