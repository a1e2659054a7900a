/**
 * Every failure is an `Error` subclass with a stable `code`. Stores and handlers throw these; only codecs decide the
 * HTTP status and problem type for a given interop version (a store never picks a status code).
 */

export type ErrorCode =
  | 'ERR_OFFSET_MISMATCH'
  | 'ERR_INCONSISTENT_LENGTH'
  | 'ERR_UPLOAD_COMPLETED'
  | 'ERR_UPLOAD_NOT_FOUND'
  | 'ERR_UPLOAD_EXISTS'
  | 'ERR_UPLOAD_GONE'
  | 'ERR_INVALID_FIELD'
  | 'ERR_UNEXPECTED_FIELD'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_LIMIT_EXCEEDED'
  | 'ERR_UPLOAD_INTERRUPTED'
  | 'ERR_UPLOAD_LOCKED'
  | 'ERR_UNSUPPORTED_VERSION'
  | 'ERR_NOT_RESUMABLE'
  | 'ERR_METHOD_NOT_ALLOWED'
  | 'ERR_SHUTTING_DOWN'
  | 'ERR_CHECKSUM_MISMATCH'
  | 'ERR_UNSUPPORTED_CHECKSUM'
  | 'ERR_TUS_VERSION'
  | 'ERR_FORBIDDEN'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_REFUSED'
  | 'ERR_HOOK_FAILED'
  | 'ERR_NOT_READY'
  | 'ERR_RANGE_NOT_SATISFIABLE'
  | 'ERR_MALFORMED_REQUEST'
  | 'ERR_REQUEST_TIMEOUT'
  | 'ERR_HEADERS_TOO_LARGE'
  | 'ERR_EXPECTATION_FAILED'
  | 'ERR_INTERNAL'

/** Default HTTP status per code; a codec may override it for its version. */
export const defaultStatus: Record<ErrorCode, number> = {
  ERR_OFFSET_MISMATCH: 409,
  ERR_INCONSISTENT_LENGTH: 400,
  ERR_UPLOAD_COMPLETED: 400,
  ERR_UPLOAD_NOT_FOUND: 404,
  ERR_UPLOAD_EXISTS: 409,
  ERR_UPLOAD_GONE: 410,
  ERR_INVALID_FIELD: 400,
  ERR_UNEXPECTED_FIELD: 400,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_LIMIT_EXCEEDED: 413,
  ERR_UPLOAD_INTERRUPTED: 400,
  ERR_UPLOAD_LOCKED: 423,
  ERR_UNSUPPORTED_VERSION: 400,
  ERR_NOT_RESUMABLE: 400,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_SHUTTING_DOWN: 503,
  ERR_CHECKSUM_MISMATCH: 460,
  ERR_UNSUPPORTED_CHECKSUM: 400,
  ERR_TUS_VERSION: 412,
  ERR_FORBIDDEN: 403,
  ERR_UNAUTHORIZED: 401,
  ERR_REFUSED: 403,
  ERR_HOOK_FAILED: 500,
  ERR_NOT_READY: 409,
  ERR_RANGE_NOT_SATISFIABLE: 416,
  ERR_MALFORMED_REQUEST: 400,
  ERR_REQUEST_TIMEOUT: 408,
  ERR_HEADERS_TOO_LARGE: 431,
  ERR_EXPECTATION_FAILED: 417,
  ERR_INTERNAL: 500,
}

export class RufhError extends Error {
  readonly code: ErrorCode
  /** Extra members for the problem details body (RFC 9457 §3.2). */
  readonly extensions: Record<string, unknown>
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.extensions = extensions
  }
}

/** The request's `Upload-Offset` is not the upload's offset. */
export class OffsetMismatchError extends RufhError {
  constructor(
    readonly expected: number,
    readonly provided: number,
  ) {
    super('ERR_OFFSET_MISMATCH', `Upload-Offset ${provided} does not match the upload's offset ${expected}`, {
      'expected-offset': expected,
      'provided-offset': provided,
    })
  }
}

export class InconsistentLengthError extends RufhError {
  constructor(message: string) {
    super('ERR_INCONSISTENT_LENGTH', message)
  }
}

export class CompletedUploadError extends RufhError {
  constructor(readonly empty: boolean) {
    super('ERR_UPLOAD_COMPLETED', 'the upload is already complete; no more data can be appended')
  }
}

export class UploadNotFoundError extends RufhError {
  constructor() {
    super('ERR_UPLOAD_NOT_FOUND', 'no such upload')
  }
}

/** The upload existed but expired, was cancelled, or was invalidated after a length violation. */
export class UploadGoneError extends RufhError {
  constructor(reason: string) {
    super('ERR_UPLOAD_GONE', `the upload is no longer available: ${reason}`)
  }
}

export class InvalidFieldError extends RufhError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('ERR_INVALID_FIELD', message, { field })
  }
}

export class UnexpectedFieldError extends RufhError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('ERR_UNEXPECTED_FIELD', message, { field })
  }
}

export class UnsupportedMediaTypeError extends RufhError {
  constructor(expected: string, got: string | undefined) {
    super('ERR_UNSUPPORTED_MEDIA_TYPE', `an append must carry Content-Type: ${expected} (got ${got ?? 'none'})`)
  }
}

export type LimitName = 'max-size' | 'min-size' | 'max-append-size' | 'min-append-size'

/** A request violates one of the announced limits. Too-large requests map to 413, too-small ones to 400. */
export class LimitError extends RufhError {
  constructor(
    readonly limit: LimitName,
    readonly value: number,
    readonly bound: number,
  ) {
    super('ERR_LIMIT_EXCEEDED', `${value} bytes violates ${limit}=${bound}`, { limit, bound })
  }
  get tooLarge(): boolean {
    return this.limit.startsWith('max')
  }
}

export class UploadInterruptedError extends RufhError {
  constructor(reason: string) {
    super('ERR_UPLOAD_INTERRUPTED', `the transfer was stopped: ${reason}`)
  }
}

export class UploadLockedError extends RufhError {
  constructor() {
    super('ERR_UPLOAD_LOCKED', 'another request holds this upload and did not release it in time')
  }
}

export class UnsupportedVersionError extends RufhError {
  constructor(got: string, supported: readonly number[]) {
    super('ERR_UNSUPPORTED_VERSION', `Upload-Draft-Interop-Version ${got} is not supported`, { supported })
  }
}

export class NotResumableError extends RufhError {
  constructor(message = 'the request does not carry a valid completeness field, so it is not a resumable upload') {
    super('ERR_NOT_RESUMABLE', message)
  }
}

export class MethodNotAllowedError extends RufhError {
  constructor(
    method: string,
    readonly allow: readonly string[],
  ) {
    super('ERR_METHOD_NOT_ALLOWED', `${method} is not allowed here`, { allow })
  }
}

export class ShuttingDownError extends RufhError {
  constructor() {
    super('ERR_SHUTTING_DOWN', 'the server is shutting down')
  }
}

/** tus checksum extension: the content does not match `Upload-Checksum`; nothing was appended. */
export class ChecksumMismatchError extends RufhError {
  constructor() {
    super('ERR_CHECKSUM_MISMATCH', 'the request content does not match Upload-Checksum; nothing was appended')
  }
}

export class UnsupportedChecksumError extends RufhError {
  constructor(algorithm: string, supported: readonly string[]) {
    super('ERR_UNSUPPORTED_CHECKSUM', `checksum algorithm '${algorithm}' is not supported`, { supported })
  }
}

/** tus 1.0: `Tus-Resumable` names a version the server does not speak (answered 412 with `Tus-Version`). */
export class TusVersionError extends RufhError {
  constructor(got: string) {
    super('ERR_TUS_VERSION', `Tus-Resumable ${got} is not supported (supported: 1.0.0)`)
  }
}

export class ForbiddenError extends RufhError {
  constructor(message: string) {
    super('ERR_FORBIDDEN', message)
  }
}

/** The request carries no valid credentials (RFC 9110 §15.5.2): answered 401 with `WWW-Authenticate: challenge`. */
export class UnauthorizedError extends RufhError {
  constructor(
    message: string,
    readonly challenge = 'Bearer',
  ) {
    super('ERR_UNAUTHORIZED', message)
  }
}

/**
 * An authorizer or a hook refused the request with a status of its own choosing (a 4xx or 5xx; anything else becomes
 * 403), and its reason as the detail.
 */
export class RefusedError extends RufhError {
  readonly status: number
  constructor(status: number, reason: string) {
    super('ERR_REFUSED', reason)
    this.status = Number.isInteger(status) && status >= 400 && status <= 599 ? status : 403
  }
}

/** A blocking hook (or the authorization endpoint) could not be asked: the request fails closed, nothing is stored. */
export class HookFailedError extends RufhError {
  constructor(hook: string, options?: ErrorOptions) {
    super('ERR_HOOK_FAILED', `the ${hook} hook could not be reached or answered nonsense`, {}, options)
  }
}

/** An upload with this id exists already (a pre-create hook chose an id in use): nothing was overwritten. */
export class UploadExistsError extends RufhError {
  constructor(id: string) {
    super('ERR_UPLOAD_EXISTS', `an upload with the id '${id.slice(0, 80)}' exists already`)
  }
}

/** The status a codec starts from: the refuser's own for `RefusedError`, else the code's default. */
export function statusOf(err: RufhError): number {
  return err instanceof RefusedError ? err.status : defaultStatus[err.code]
}

/** The upload exists but cannot be used for this yet (e.g. downloading an incomplete upload). */
export class NotReadyError extends RufhError {
  constructor(message: string) {
    super('ERR_NOT_READY', message)
  }
}

export class RangeNotSatisfiableError extends RufhError {
  constructor(readonly size: number) {
    super('ERR_RANGE_NOT_SATISFIABLE', `the range is not satisfiable for ${size} bytes`)
  }
}

/** The request itself cannot be read: a malformed head, target or Host (RFC 9112 §3.2, RFC 9110 §7.2). */
export class MalformedRequestError extends RufhError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super('ERR_MALFORMED_REQUEST', message, extensions)
  }
}

/** The request head did not arrive within the server's bound (RFC 9110 §15.5.9). */
export class RequestTimeoutError extends RufhError {
  constructor(message = 'the request head did not arrive in time') {
    super('ERR_REQUEST_TIMEOUT', message)
  }
}

/** The request head is larger than the server reads (RFC 6585 §5). */
export class HeadersTooLargeError extends RufhError {
  constructor() {
    super('ERR_HEADERS_TOO_LARGE', 'the request header fields are too large')
  }
}

/** An `Expect` other than 100-continue (RFC 9110 §10.1.1): answered 417. */
export class ExpectationFailedError extends RufhError {
  constructor(expect: string) {
    super('ERR_EXPECTATION_FAILED', `Expect: ${expect.slice(0, 80)} is not supported (only 100-continue)`)
  }
}

export function asRufhError(e: unknown): RufhError {
  if (e instanceof RufhError) return e
  return new RufhError('ERR_INTERNAL', 'internal error', {}, { cause: e })
}
