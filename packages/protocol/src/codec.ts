/**
 * A codec is everything one interop version says about the wire: which header fields a request carries and how they
 * are read, and which status and fields each response carries. Handlers speak only in the version-independent terms
 * below (`CreationRequest`, `UploadView`, `Reply`), so adding a version means adding one codec.
 */
import type { RufhError } from './errors.js'
import type { Fields, HeaderReader, Reply } from './fields.js'
import type { Limits } from './limits.js'

export type InteropVersion = 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10

/** What a codec needs to know of an upload to describe it. */
export interface UploadView {
  offset: number
  /** The representation's length once known (declared, or fixed by completion). */
  length: number | undefined
  complete: boolean
  /** Epoch milliseconds after which the upload is removed. */
  expiresAt: number | undefined
  /** Stored metadata (tus reports it on HEAD; the drafts do not). */
  metadata?: Record<string, string>
  /** tus concatenation: 'partial', or 'final' with the URLs of its parts. */
  concat?: { kind: 'partial' } | { kind: 'final'; parts: string[] }
}

export interface CreationRequest {
  /** The request carries the whole representation (`Upload-Complete: ?1`, or no `Upload-Incomplete: ?1` in I3). */
  complete: boolean
  /** tus 1.0: the upload completes when its offset reaches its length (IETF drafts: only `?1` completes). */
  completesAtLength?: boolean
  /**
   * Metadata carried by the request itself: tus `Upload-Metadata` pairs merged with `filetype`/`filename` from
   * `Content-Type`/`Content-Disposition` (each codec says which wins).
   */
  metadata?: Record<string, string>
  /** tus concatenation: a partial upload, or a final one made of earlier partial uploads (their URLs). */
  concat?: { kind: 'partial' } | { kind: 'final'; parts: string[] }
  /** The representation's length, when the request tells it. */
  length: number | undefined
  /** The request content's length, when `Content-Length` tells it (chunked bodies: undefined). */
  contentLength: number | undefined
}

export interface AppendRequest extends CreationRequest {
  /** `Upload-Offset`: where the request's content starts. */
  offset: number
  /** tus `Upload-Checksum`: the request content's digest; a mismatch stores nothing. */
  checksum?: { algorithm: ChecksumAlgorithm; digest: Uint8Array }
}

export type ChecksumAlgorithm = 'sha1' | 'md5' | 'sha256' | 'sha512'

export interface ResponseContext {
  limits: Limits
  /** Epoch milliseconds when the response is generated (for `max-age`). */
  now: number
  /** tus discovery: the extensions the server can honour with its store (default: every one the codec knows). */
  tusExtensions?: readonly TusExtension[]
}

export type TusExtension =
  | 'creation'
  | 'creation-with-upload'
  | 'creation-defer-length'
  | 'termination'
  | 'expiration'
  | 'checksum'
  | 'concatenation'

export type Procedure = 'creation' | 'append' | 'retrieval' | 'cancellation' | 'discovery'

/** A wire protocol's codec: one per IETF interop version, and one for tus 1.0. */
export interface ProtocolCodec {
  readonly protocol: 'ietf-draft' | 'tus-v1'
  /** A short name for logs and reports, e.g. `interop-6` or `tus-1.0.0`. */
  readonly name: string
  /** Whether 104 responses may report progress with `Upload-Offset` (from I5). */
  readonly progressInterim: boolean
  /** Methods that retrieve the offset (HEAD; GET from I9). */
  readonly retrievalMethods: readonly string[]
  /** Whether `max-append-size`/`min-append-size` bind the content of a creation request too (from I9). */
  readonly appendLimitsBindCreation: boolean
  /**
   * Whether the version can announce `Upload-Limit` (from I6). Where it cannot, `min-append-size` is not enforced: a
   * client has no way to learn it (size caps are still enforced; 413 needs no announcement).
   */
  readonly announcesLimits: boolean
  /** Whether a repeated completing append on a completed upload is answered with the final response again (I9). */
  readonly replaysCompletion: boolean
  /**
   * Whether data past the upload's length invalidates the upload (draft-08 §4.4: I7 on, and tus). Where not (I6,
   * draft-05 §4.4), the append stops at the length, is answered 400, and the upload stays usable at that offset.
   */
  readonly invalidatesPastLength: boolean

  /** Reads a creation request; `undefined` when the request is not a resumable upload (no valid completeness field). */
  readCreation(h: HeaderReader): CreationRequest | undefined
  /** Reads an append request; throws a `RufhError` when it is not a valid one. */
  readAppend(h: HeaderReader): AppendRequest
  checkRetrieval(h: HeaderReader): void
  checkCancellation(h: HeaderReader): void

  /** Fields of the 104 that announces a new upload. */
  announce(location: string, upload: UploadView, ctx: ResponseContext): Fields
  /** Fields of a progress 104 (only sent when `progressInterim`). */
  progress(offset: number): Fields
  created(location: string, upload: UploadView, ctx: ResponseContext): Reply
  appended(upload: UploadView, ctx: ResponseContext): Reply
  retrieved(upload: UploadView, ctx: ResponseContext): Reply
  cancelled(): Reply
  discovery(ctx: ResponseContext): Reply
  failure(err: RufhError, procedure: Procedure, ctx: ResponseContext, upload?: UploadView): Reply

  // ---- the client's side of the same version ----

  /** Fields of a creation request (interop version, completeness, and `Upload-Length` where the version has it). */
  creationFields(req: { complete: boolean; length?: number | undefined }): Fields
  /** Fields of an append request (adds `Upload-Offset`, and the partial-upload media type from I6). */
  appendFields(req: { offset: number; complete: boolean; length?: number | undefined }): Fields
  /** Fields of an offset retrieval or cancellation request. */
  requestFields(): Fields
  /** What a response (interim or final) says about the upload; absent or invalid fields are undefined. */
  readResponse(h: HeaderReader): ResponseInfo
  /**
   * Whether `Upload-Complete: ?1` on a creation or append response means the target resource answered, so that the
   * upload is over even when that response is an error or arrives early (I9, draft-12 §4.2, §4.4).
   */
  readonly targetSemantics: boolean
  /** Whether an upload completes when its offset reaches its length (tus 1.0); the drafts complete only on `?1`. */
  readonly completesAtLength: boolean
  /**
   * Whether a response (to OPTIONS, or a refusal) shows that the server speaks this protocol in some version: tus by
   * `Tus-Version`, the draft by `Upload-Limit` (from I6) or `application/partial-upload` in `Accept-Patch` (-10, -11).
   */
  advertisedBy(h: HeaderReader): boolean
  /** Fields describing the representation on a creation request (drafts: `Content-Type`, `Content-Disposition`). */
  representationFields(r: Representation): Fields
  /** Fields a creation request needs when it carries content (tus creation-with-upload: its media type). */
  creationContentFields(): Fields
}

/** What a client says about the representation it uploads. */
export interface Representation {
  contentType?: string | undefined
  filename?: string | undefined
}

/** One interop version of the IETF draft. */
export interface Codec extends ProtocolCodec {
  readonly protocol: 'ietf-draft'
  readonly interop: InteropVersion
  /** Draft revisions that use this interop version, e.g. `['-04', '-05']` (from the table in `drafts.ts`). */
  readonly drafts: readonly string[]
  /**
   * How `Upload-Limit` is read when a known key has a value of the wrong type: `true`, the whole field is ignored
   * (draft-10 §4.1.4 and later); `false`, only that key is (draft-09; earlier drafts say nothing, and rufh drops the
   * key). Unknown keys are always ignored.
   */
  readonly invalidLimitVoidsField: boolean
}

/** What a client learns from one response. */
export interface ResponseInfo {
  location: string | undefined
  offset: number | undefined
  complete: boolean | undefined
  length: number | undefined
  limits: Limits | undefined
  /** Whether a 104 is meant for this version (its `Upload-Draft-Interop-Version` matches). */
  interopMatches: boolean
}
