/** RFC 9457 problem details, and the draft's problem types (draft-04 §9.2, draft-06 §10.3). */
import type { RufhError } from './errors.js'
import { PROBLEM_JSON } from './fields.js'

export const ProblemType = {
  mismatchingOffset: 'https://iana.org/assignments/http-problem-types#mismatching-upload-offset',
  completedUpload: 'https://iana.org/assignments/http-problem-types#completed-upload',
  inconsistentLength: 'https://iana.org/assignments/http-problem-types#inconsistent-upload-length',
} as const

export interface ProblemDetails {
  type: string
  title: string
  status: number
  detail: string
  /** rufh's stable error code, so clients can branch without parsing text. */
  code: string
  [extension: string]: unknown
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  423: 'Locked',
  431: 'Request Header Fields Too Large',
  460: 'Checksum Mismatch',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/** `type` is `about:blank` unless the version defines a type for this error (RFC 9457 §4.2.1). */
export function problemOf(err: RufhError, status: number, type = 'about:blank'): ProblemDetails {
  return {
    ...err.extensions,
    type,
    title: titles[status] ?? 'Error',
    status,
    detail: err.code === 'ERR_INTERNAL' ? 'internal error' : err.message,
    code: err.code,
  }
}

export function problemBody(p: ProblemDetails): { contentType: string; body: string } {
  return { contentType: PROBLEM_JSON, body: JSON.stringify(p) }
}

/** The interop versions a rufh server lists in the `supported` member of its `ERR_UNSUPPORTED_VERSION` problem. */
export function supportedVersionsOf(problem: Record<string, unknown> | undefined): number[] | undefined {
  const s = problem?.['supported']
  if (!Array.isArray(s)) return undefined
  const nums = s.filter((n): n is number => typeof n === 'number' && Number.isInteger(n))
  return nums.length ? nums : undefined
}
