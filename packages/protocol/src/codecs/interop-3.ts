/**
 * Interop 3, draft-ietf-httpbis-resumable-upload-01. The base of every later codec: each later version subclasses the
 * one before it and overrides only what its draft changed.
 */
import type {
  AppendRequest,
  Codec,
  CreationRequest,
  InteropVersion,
  Procedure,
  Representation,
  ResponseContext,
  ResponseInfo,
  UploadView,
} from '../codec.js'
import { dispositionOf } from '../disposition.js'
import { draftsOfInterop } from '../drafts.js'
import {
  InconsistentLengthError,
  InvalidFieldError,
  LimitError,
  MethodNotAllowedError,
  OffsetMismatchError,
  type RufhError,
  statusOf,
  UnauthorizedError,
  UnexpectedFieldError,
} from '../errors.js'
import { Field, type Fields, type HeaderReader, PARTIAL_UPLOAD, type Reply } from '../fields.js'
import type { Limits } from '../limits.js'
import { problemBody, problemOf } from '../problem.js'
import { representationMetadata } from '../representation-metadata.js'
import { readBoolean, readInteger, writeBoolean, writeInteger } from '../sf.js'
import { parseTusMetadata } from '../tus-metadata.js'

/** Content-Length is not a Structured Field: 1*DIGIT (RFC 9110 §8.6). */
export function readContentLength(h: HeaderReader): number | undefined {
  const v = h.get(Field.contentLength)
  if (v === null || v === undefined || !/^\d{1,15}$/.test(v.trim())) return undefined
  return Number(v.trim())
}

export class Interop3 implements Codec {
  readonly protocol = 'ietf-draft' as const
  readonly interop: InteropVersion = 3
  get name(): string {
    return `interop-${this.interop}`
  }
  /** From the one table of draft revisions (`drafts.ts`). */
  get drafts(): readonly string[] {
    return draftsOfInterop(this.interop)
  }
  readonly progressInterim: boolean = false
  readonly retrievalMethods: readonly string[] = ['HEAD']
  readonly appendLimitsBindCreation: boolean = false
  readonly announcesLimits: boolean = false
  readonly replaysCompletion: boolean = false
  /** Before I6 a length is only known once the upload is complete, so there is never data past it. */
  readonly invalidatesPastLength: boolean = false
  readonly invalidLimitVoidsField: boolean = false
  readonly targetSemantics: boolean = false
  readonly completesAtLength = false

  // ---- completeness: I3 uses the inverted `Upload-Incomplete` (draft-01 §8.2) ----

  /** The request's completeness, or undefined when the field is absent or invalid. */
  protected readComplete(h: HeaderReader): boolean | undefined {
    const v = readBoolean(h.get(Field.incomplete))
    return v === undefined ? undefined : !v
  }

  /** draft-01 §6.3: a PATCH without `Upload-Incomplete: ?1` carries the final chunk. */
  protected readAppendComplete(h: HeaderReader): boolean {
    return this.readComplete(h) ?? true
  }

  protected completeness(complete: boolean): Fields {
    return { [Field.incomplete]: writeBoolean(!complete) }
  }

  /** Fields a retrieval or cancellation request must not carry (draft-01 §6.2, §6.4: MUST 400). */
  protected forbiddenOnRetrieval(): readonly string[] {
    return [Field.offset, Field.incomplete]
  }

  /** `Upload-Length` exists from draft-05 (I6); earlier versions learn the length only from completion. */
  protected readLength(_h: HeaderReader): number | undefined {
    return undefined
  }

  protected checkAppendMediaType(_h: HeaderReader): void {}

  // ---- requests ----

  readCreation(h: HeaderReader): CreationRequest | undefined {
    const complete = this.readComplete(h)
    if (complete === undefined) return undefined
    // draft-01 §6.1: the creation request MUST NOT carry Upload-Offset.
    if (h.get(Field.offset) != null)
      throw new UnexpectedFieldError(Field.offset, 'a creation request must not carry Upload-Offset')
    return { ...this.lengths(h, complete, 0), metadata: this.readMetadata(h) }
  }

  /**
   * The draft's own metadata fields (`Content-Type`, `Content-Disposition`, draft-11 §4.2), merged over tus's
   * `Upload-Metadata`, which tus-js-client's draft modes (and so Uppy) send on draft creations: where both name a
   * file's type or name, the draft's field wins. `Upload-Metadata` is foreign to the drafts, so a malformed one is
   * ignored rather than failing the upload.
   */
  protected readMetadata(h: HeaderReader): Record<string, string> {
    let tus: Record<string, string> = {}
    try {
      tus = parseTusMetadata(h.get('upload-metadata'))
    } catch {
      // ignored, see above
    }
    return { ...tus, ...representationMetadata(h) }
  }

  readAppend(h: HeaderReader): AppendRequest {
    const offset = readInteger(h.get(Field.offset))
    if (offset === undefined)
      throw new InvalidFieldError(Field.offset, 'an append needs Upload-Offset as a non-negative Integer')
    this.checkAppendMediaType(h)
    return { offset, ...this.lengths(h, this.readAppendComplete(h), offset) }
  }

  /** draft-02 §6.1 on: a complete request with a known content length fixes the length; a contradiction is a 400. */
  private lengths(h: HeaderReader, complete: boolean, offset: number): CreationRequest {
    const contentLength = readContentLength(h)
    let length = this.readLength(h)
    if (complete && contentLength !== undefined) {
      const derived = offset + contentLength
      if (length !== undefined && length !== derived)
        throw new InconsistentLengthError(`Upload-Length ${length} contradicts ${derived} bytes ending this request`)
      length = derived
    }
    return { complete, length, contentLength }
  }

  checkRetrieval(h: HeaderReader): void {
    for (const f of this.forbiddenOnRetrieval())
      if (h.get(f) != null) throw new UnexpectedFieldError(f, `this request must not carry ${f}`)
  }

  checkCancellation(h: HeaderReader): void {
    this.checkRetrieval(h)
  }

  // ---- responses ----

  protected interim(): Fields {
    return { [Field.interopVersion]: writeInteger(this.interop) }
  }

  /** `Upload-Limit` and `Upload-Length` do not exist before I6. */
  protected limitFields(_ctx: ResponseContext, _upload?: UploadView): Fields {
    return {}
  }

  protected lengthFields(_upload: UploadView): Fields {
    return {}
  }

  protected uploadFields(upload: UploadView, ctx: ResponseContext): Fields {
    return {
      [Field.offset]: writeInteger(upload.offset),
      ...this.completeness(upload.complete),
      ...this.lengthFields(upload),
      ...this.limitFields(ctx, upload),
    }
  }

  announce(location: string, _upload: UploadView, _ctx: ResponseContext): Fields {
    return { ...this.interim(), [Field.location]: location }
  }

  progress(offset: number): Fields {
    // Sent every second on every held upload: one object, not a copy of another (issue 17).
    const fields = this.interim()
    fields[Field.offset] = writeInteger(offset)
    return fields
  }

  /** draft-01 §6.1: 201 with Location and Upload-Offset (and `Upload-Incomplete: ?1` when more follows). */
  created(location: string, upload: UploadView, ctx: ResponseContext): Reply {
    return { status: 201, headers: { [Field.location]: location, ...this.uploadFields(upload, ctx) } }
  }

  /** draft-01 §6.3: 201 with Upload-Offset, for a chunk and for the final one alike (201 RECOMMENDED). */
  appended(upload: UploadView, ctx: ResponseContext): Reply {
    return { status: this.appendStatus(upload), headers: this.uploadFields(upload, ctx) }
  }

  protected appendStatus(_upload: UploadView): number {
    return 201
  }

  /** draft-01 §6.2: 204 with Upload-Offset; SHOULD `Cache-Control: no-store`. */
  retrieved(upload: UploadView, ctx: ResponseContext): Reply {
    return { status: 204, headers: { ...this.uploadFields(upload, ctx), [Field.cacheControl]: 'no-store' } }
  }

  /** draft-01 §6.4: 204. */
  cancelled(): Reply {
    return { status: 204, headers: {} }
  }

  discovery(ctx: ResponseContext): Reply {
    return { status: 204, headers: { ...this.limitFields(ctx) } }
  }

  protected statusOf(err: RufhError): number {
    // draft-01..-05: an unknown or inactive upload resource MUST be answered 404.
    if (err.code === 'ERR_UPLOAD_GONE') return 404
    if (err instanceof LimitError && !err.tooLarge) return 400
    return statusOf(err)
  }

  /** Problem types start with I6; before, every problem is `about:blank` with rufh's code. */
  protected problemType(_err: RufhError): string | undefined {
    return undefined
  }

  /** Fields every failure of this procedure carries. */
  protected failureFields(_err: RufhError, _procedure: Procedure, _ctx: ResponseContext): Fields {
    return {}
  }

  failure(err: RufhError, procedure: Procedure, ctx: ResponseContext, upload?: UploadView): Reply {
    const status = this.statusOf(err)
    const { contentType, body } = problemBody(problemOf(err, status, this.problemType(err)))
    const headers: Fields = { [Field.contentType]: contentType, ...this.failureFields(err, procedure, ctx) }
    // draft-01 §6.3: a 409 carries the correct Upload-Offset.
    if (err instanceof OffsetMismatchError) headers[Field.offset] = writeInteger(err.expected)
    else if (upload && procedure === 'append') headers[Field.offset] = writeInteger(upload.offset)
    if (err instanceof MethodNotAllowedError) headers['allow'] = err.allow.join(', ')
    // RFC 9110 §11.6.1: a 401 carries a challenge.
    if (err instanceof UnauthorizedError) headers['www-authenticate'] = err.challenge
    return { status, headers, body }
  }

  // ---- the client's side ----

  creationFields(req: { complete: boolean; length?: number | undefined }): Fields {
    return { ...this.interim(), ...this.completeness(req.complete), ...this.requestLength(req.length) }
  }

  appendFields(req: { offset: number; complete: boolean; length?: number | undefined }): Fields {
    return { ...this.creationFields(req), [Field.offset]: writeInteger(req.offset), ...this.appendMediaType() }
  }

  requestFields(): Fields {
    return this.interim()
  }

  protected requestLength(_length: number | undefined): Fields {
    return {}
  }

  protected appendMediaType(): Fields {
    return {}
  }

  protected readLimits(_h: HeaderReader): Limits | undefined {
    return undefined
  }

  /** Any draft version: `Upload-Limit` (from I6) or the partial-upload media type in `Accept-Patch` (-10, -11). */
  advertisedBy(h: HeaderReader): boolean {
    return !!h.get(Field.limit) || (h.get(Field.acceptPatch) ?? '').toLowerCase().includes(PARTIAL_UPLOAD)
  }

  /** The representation's own fields (draft-11 recommends `Content-Disposition: inline`). */
  representationFields(r: Representation): Fields {
    const f: Fields = {}
    if (r.contentType) f[Field.contentType] = r.contentType
    if (r.filename) f[Field.contentDisposition] = dispositionOf(r.filename)
    return f
  }

  creationContentFields(): Fields {
    return {}
  }

  readResponse(h: HeaderReader): ResponseInfo {
    return {
      location: h.get(Field.location) ?? undefined,
      offset: readInteger(h.get(Field.offset)),
      complete: this.readComplete(h),
      length: this.readLength(h),
      limits: this.readLimits(h),
      interopMatches: readInteger(h.get(Field.interopVersion)) === this.interop,
    }
  }
}
