/**
 * Every failure the client reports is an `UploadError` with a stable `code`. A non-success response becomes an
 * `HttpError`; when it carries `application/problem+json` (RFC 9457) the problem is parsed into it, and its `code` is
 * taken from the problem's type (the draft's IANA problem types) or from rufh's own `code` member.
 */
import { PROBLEM_JSON, ProblemType } from '@rufh/protocol'

export type ClientErrorCode =
  /** A non-success response that no more specific code describes. */
  | 'ERR_HTTP_STATUS'
  | 'ERR_OFFSET_MISMATCH'
  | 'ERR_INCONSISTENT_LENGTH'
  | 'ERR_UPLOAD_COMPLETED'
  | 'ERR_UPLOAD_NOT_FOUND'
  | 'ERR_UPLOAD_GONE'
  | 'ERR_LIMIT_EXCEEDED'
  | 'ERR_UNSUPPORTED_VERSION'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_INVALID_FIELD'
  /** The target resource answered the completed upload with an error (I9: `Upload-Complete: ?1` on a 4xx/5xx). */
  | 'ERR_REJECTED'
  /** The connection failed, timed out or was reset. */
  | 'ERR_NETWORK'
  /** Transient failures went on longer than the retry policy allows. */
  | 'ERR_RETRIES_EXHAUSTED'
  /** The server does not offer a resumable upload in any interop version the client tried. */
  | 'ERR_NOT_RESUMABLE'
  /** The server broke the protocol (e.g. an offset retrieval without `Upload-Offset`). */
  | 'ERR_PROTOCOL'
  /** The source cannot supply the bytes the server asks for (a stream cannot rewind, a file changed). */
  | 'ERR_SOURCE'
  | 'ERR_ABORTED'

const knownCodes: ReadonlySet<string> = new Set<ClientErrorCode>([
  'ERR_OFFSET_MISMATCH',
  'ERR_INCONSISTENT_LENGTH',
  'ERR_UPLOAD_COMPLETED',
  'ERR_UPLOAD_NOT_FOUND',
  'ERR_UPLOAD_GONE',
  'ERR_LIMIT_EXCEEDED',
  'ERR_UNSUPPORTED_VERSION',
  'ERR_UNSUPPORTED_MEDIA_TYPE',
  'ERR_INVALID_FIELD',
])

export class UploadError extends Error {
  readonly code: ClientErrorCode
  constructor(code: ClientErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** RFC 9457 problem details as received (members are untrusted input). */
export interface Problem {
  type: string
  title?: string
  status?: number
  detail?: string
  code?: string
  [extension: string]: unknown
}

export class HttpError extends UploadError {
  constructor(
    code: ClientErrorCode,
    message: string,
    readonly status: number,
    readonly problem: Problem | undefined,
    readonly method: string,
    readonly url: string,
  ) {
    super(code, message)
  }
}

/** A limit announced in `Upload-Limit` rules the upload out (found before sending, or reported by the server). */
export class LimitExceededError extends UploadError {
  constructor(
    readonly limit: string,
    readonly value: number,
    readonly bound: number,
  ) {
    super('ERR_LIMIT_EXCEEDED', `${value} bytes exceeds the server's ${limit}=${bound}`)
  }
}

export class RetriesExhaustedError extends UploadError {
  constructor(
    readonly attempts: number,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause)
    super('ERR_RETRIES_EXHAUSTED', `gave up after ${attempts} attempts: ${why}`, { cause })
  }
}

export class NetworkError extends UploadError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_NETWORK', message, options)
  }
}

export class AbortedError extends UploadError {
  constructor(message = 'the upload was aborted') {
    super('ERR_ABORTED', message)
  }
}

/** Parses an `application/problem+json` body; anything else (or invalid JSON) gives undefined. */
export function parseProblem(contentType: string | undefined, body: string): Problem | undefined {
  if (contentType?.split(';', 1)[0]?.trim().toLowerCase() !== PROBLEM_JSON) return undefined
  try {
    const v: unknown = JSON.parse(body)
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined
    const p = v as Record<string, unknown>
    return { ...p, type: typeof p['type'] === 'string' ? p['type'] : 'about:blank' }
  } catch {
    return undefined
  }
}

function codeOf(status: number, problem: Problem | undefined): ClientErrorCode {
  if (problem) {
    if (problem.type === ProblemType.mismatchingOffset) return 'ERR_OFFSET_MISMATCH'
    if (problem.type === ProblemType.completedUpload) return 'ERR_UPLOAD_COMPLETED'
    if (problem.type === ProblemType.inconsistentLength) return 'ERR_INCONSISTENT_LENGTH'
    if (typeof problem.code === 'string' && knownCodes.has(problem.code)) return problem.code as ClientErrorCode
  }
  if (status === 404) return 'ERR_UPLOAD_NOT_FOUND'
  if (status === 410) return 'ERR_UPLOAD_GONE'
  if (status === 413) return 'ERR_LIMIT_EXCEEDED'
  if (status === 409) return 'ERR_OFFSET_MISMATCH'
  return 'ERR_HTTP_STATUS'
}

export function httpError(
  method: string,
  url: string,
  status: number,
  problem: Problem | undefined,
  override?: ClientErrorCode,
): HttpError {
  const detail = problem?.detail ?? problem?.title
  const message = `${method} ${url} answered ${status}${detail ? `: ${detail}` : ''}`
  return new HttpError(override ?? codeOf(status, problem), message, status, problem, method, url)
}
