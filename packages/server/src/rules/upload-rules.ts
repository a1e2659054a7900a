/**
 * The upload rules, in one place and without I/O: whether an upload can still be used, what a creation or an append
 * may carry (lengths, the four size limits), and the bound on the bytes one request may carry with what passing it
 * means. Creation, append, retrieval and download all ask here; the procedures only do the I/O the answers call for.
 */
import {
  type AppendRequest,
  CompletedUploadError,
  type CreationRequest,
  ForbiddenError,
  InconsistentLengthError,
  LimitError,
  type Limits,
  OffsetMismatchError,
  type ProtocolCodec,
  type RufhError,
  UploadGoneError,
} from '@rufh/protocol'

/** What the rules need to know of an interop version (or tus): codec properties, never version numbers. */
export type VersionRules = Pick<
  ProtocolCodec,
  'announcesLimits' | 'appendLimitsBindCreation' | 'replaysCompletion' | 'invalidatesPastLength'
>

/** The rules for an ordinary (non-resumable) upload: a request in a version the server does not speak. */
export const ORDINARY: VersionRules = {
  announcesLimits: false,
  appendLimitsBindCreation: false,
  replaysCompletion: false,
  invalidatesPastLength: false,
}

/** What the rules need to know of an upload. */
export interface UploadState {
  offset: number
  length: number | undefined
  complete: boolean
  invalid: string | undefined
  expiresAt: number | undefined
  concat?: { kind: 'partial' } | { kind: 'final'; parts: string[] } | undefined
}

// ---- usable or gone ----

/** Expiry applies to uploads that never completed: completed ones are the server's data, kept until deleted. */
export function isExpired(s: Pick<UploadState, 'complete' | 'expiresAt'>, now = Date.now()): boolean {
  return !s.complete && s.expiresAt !== undefined && now >= s.expiresAt
}

/** An invalidated (draft-08 §4.4) or expired upload refuses every further use. */
export function assertUsable(s: UploadState, now = Date.now()): void {
  if (s.invalid) throw new UploadGoneError(s.invalid)
  if (isExpired(s, now)) throw new UploadGoneError('expired')
}

// ---- the bound on one request's bytes ----

/** The tightest bound on the bytes one request may carry, and what passing it means. */
export interface Bound {
  kind: 'length' | 'max-size' | 'max-append-size'
  /** Bytes this request may still carry. */
  bytes: number
  /** The length's or the limit's value, for the error. */
  value: number
}

/**
 * The bound for a request whose content starts at `start` of an upload of `length` (if known). `appendLimits` says
 * whether `max-append-size` binds this request (appends of versions that announce limits; creation content from I9).
 */
export function requestBound(
  start: number,
  length: number | undefined,
  limits: Limits,
  appendLimits: boolean,
): Bound | undefined {
  const bounds: (Bound | undefined)[] = [
    length !== undefined ? { kind: 'length', bytes: length - start, value: length } : undefined,
    limits.maxSize !== undefined
      ? { kind: 'max-size', bytes: limits.maxSize - start, value: limits.maxSize }
      : undefined,
    appendLimits && limits.maxAppendSize !== undefined
      ? { kind: 'max-append-size', bytes: limits.maxAppendSize, value: limits.maxAppendSize }
      : undefined,
  ]
  let best: Bound | undefined
  for (const b of bounds) if (b && (!best || b.bytes < best.bytes)) best = b
  return best
}

/** The error for a request that carried more than `bound` allowed, after `carried` bytes from `start`. */
export function passedBound(bound: Bound | undefined, start: number, carried: number): RufhError {
  if (bound?.kind === 'length')
    return new InconsistentLengthError(`the request carried more than the upload's length (${bound.value})`)
  if (bound?.kind === 'max-size') return new LimitError('max-size', start + carried + 1, bound.value)
  return new LimitError('max-append-size', carried + 1, bound?.value ?? 0)
}

/**
 * Whether a failure invalidates the upload: data past the length does from draft-08 §4.4 (I7 on, and tus); draft-05
 * (I6) stops at the length and keeps the upload usable.
 */
export function invalidates(err: RufhError, v: VersionRules): boolean {
  return v.invalidatesPastLength && err instanceof InconsistentLengthError
}

// ---- limits on lengths and content ----

/** A length, declared at creation or later, is held to `max-size` (draft-05 §4.1.4). */
export function checkLength(length: number | undefined, limits: Limits): void {
  if (length !== undefined && limits.maxSize !== undefined && length > limits.maxSize)
    throw new LimitError('max-size', length, limits.maxSize)
}

/**
 * Limits on one request's content that can be checked before reading it. Append-size limits bind only when
 * `appendLimits` (see `requestBound`). draft-12 §4.1.4: the final append (`complete`) and requests without content are
 * exempt from `min-append-size`, at creation and append alike.
 */
export function checkContent(
  start: number,
  contentLength: number | undefined,
  complete: boolean,
  limits: Limits,
  appendLimits: boolean,
): void {
  if (contentLength === undefined) return
  if (appendLimits && limits.maxAppendSize !== undefined && contentLength > limits.maxAppendSize)
    throw new LimitError('max-append-size', contentLength, limits.maxAppendSize)
  const exempt = complete || contentLength === 0
  if (appendLimits && limits.minAppendSize !== undefined && !exempt && contentLength < limits.minAppendSize)
    throw new LimitError('min-append-size', contentLength, limits.minAppendSize)
  if (limits.maxSize !== undefined && start + contentLength > limits.maxSize)
    throw new LimitError('max-size', start + contentLength, limits.maxSize)
}

// ---- creation ----

/**
 * What a creation may carry, checked before anything is stored (so that a refused request changes nothing); returns
 * the bound on its content. `min-size` (draft-12 §4.1.4) is the size below which the server need not offer
 * resumability: a complete (`?1`) creation below it is an ordinary upload and is accepted; an incomplete one, which
 * asks for resumability, is refused with `min-size` (the client sends such a small upload in one request, §4.2.1).
 * Only a version that announces limits (`Upload-Limit`, from I6) is held to it: tus and I3–I5 have no `min-size`, so
 * their clients could neither learn nor avoid it.
 */
export function checkCreation(c: CreationRequest, limits: Limits, v: VersionRules): Bound | undefined {
  checkLength(c.length, limits)
  if (c.contentLength !== undefined && limits.maxSize !== undefined && c.contentLength > limits.maxSize)
    throw new LimitError('max-size', c.contentLength, limits.maxSize)
  if (
    v.announcesLimits &&
    !c.complete &&
    c.length !== undefined &&
    limits.minSize !== undefined &&
    c.length < limits.minSize
  )
    throw new LimitError('min-size', c.length, limits.minSize)
  checkContent(0, c.contentLength, c.complete, limits, v.appendLimitsBindCreation)
  return requestBound(0, c.length, limits, v.appendLimitsBindCreation)
}

/** How a creation's transfer ended, as far as completion goes: the error when `?1` ended short of the length. */
export function creationEnd(c: CreationRequest, offset: number, length: number | undefined): RufhError | undefined {
  if (c.complete && length !== undefined && offset !== length)
    return new InconsistentLengthError(`the request completed the upload at ${offset} bytes, not ${length}`)
  return undefined
}

// ---- append ----

export type AppendPlan =
  /** draft-12: a repeated completing append on a completed upload gets the final response again (a lost response). */
  | { kind: 'replay' }
  /** Refused before reading the content; `invalidate` when the upload must be marked invalid first. */
  | { kind: 'refuse'; error: RufhError; invalidate: boolean }
  /** Go on: record `declareLength` first if set, then read at most `bound`. */
  | { kind: 'proceed'; declareLength: number | undefined; bound: Bound | undefined }

/** What an append may do to an upload in state `s`, decided before its content is read. */
export function planAppend(
  s: UploadState,
  a: AppendRequest,
  limits: Limits,
  v: VersionRules,
  now = Date.now(),
): AppendPlan {
  const refuse = (error: RufhError, invalidate = false): AppendPlan => ({ kind: 'refuse', error, invalidate })
  if (s.invalid) return refuse(new UploadGoneError(s.invalid))
  if (isExpired(s, now)) return refuse(new UploadGoneError('expired'))
  const empty = a.contentLength === 0
  // tus concatenation: a final upload is made by the server, never appended to.
  if (s.concat?.kind === 'final')
    return refuse(new ForbiddenError('a final (concatenated) upload cannot be appended to'))
  if (s.complete) {
    if (v.replaysCompletion && a.complete && empty && a.offset === s.offset) return { kind: 'replay' }
    // draft-04 §4.4.2 ff.: a completed upload takes no more data.
    return refuse(new CompletedUploadError(empty))
  }
  if (a.offset !== s.offset) return refuse(new OffsetMismatchError(s.offset, a.offset))

  // The length, once known, never changes (draft-05 §4.1.3).
  if (s.length !== undefined && a.length !== undefined && a.length !== s.length)
    return refuse(new InconsistentLengthError(`the upload's length is ${s.length}, not ${a.length}`))
  // Content past the length: refused up front where it invalidates (draft-08 §4.4); draft-05 §4.4 stops at the
  // length instead (the bound below), keeping what fits.
  const end = a.contentLength !== undefined ? a.offset + a.contentLength : undefined
  if (s.length !== undefined && end !== undefined && end > s.length && v.invalidatesPastLength)
    return refuse(new InconsistentLengthError(`${end} bytes exceed the upload's length ${s.length}`), true)
  let declareLength: number | undefined
  if (s.length === undefined && a.length !== undefined) {
    if (a.length < s.offset)
      return refuse(new InconsistentLengthError(`length ${a.length} is below the offset ${s.offset}`))
    try {
      // A length declared late (tus defer-length, or a draft append) is held to max-size like one declared at creation.
      checkLength(a.length, limits)
    } catch (e) {
      return refuse(e as RufhError)
    }
    declareLength = a.length
  }
  try {
    checkContent(s.offset, a.contentLength, a.complete, limits, v.announcesLimits)
  } catch (e) {
    return refuse(e as RufhError)
  }
  const bound = requestBound(s.offset, s.length ?? declareLength, limits, v.announcesLimits)
  return { kind: 'proceed', declareLength, bound }
}

/**
 * Whether an append that ended at `offset` completes the upload, or the error when its `?1` ended short of the length.
 * tus (`completesAtLength`): reaching the length completes; the IETF drafts: only `Upload-Complete: ?1` does.
 */
export function appendEnd(
  a: AppendRequest,
  offset: number,
  length: number | undefined,
): { complete: boolean; error?: RufhError } {
  const reachedLength = a.completesAtLength === true && length !== undefined && offset === length
  if (!a.complete && !reachedLength) return { complete: false }
  if (length !== undefined && offset !== length)
    return {
      complete: false,
      error: new InconsistentLengthError(`the upload ended at ${offset} bytes, not at its length ${length}`),
    }
  return { complete: true }
}
