/**
 * tus 1.0.0 (https://tus.io/protocols/resumable-upload) with the extensions creation, creation-with-upload,
 * creation-defer-length, termination, expiration, checksum and concatenation, as one more codec: the server's
 * procedures are the same as for the IETF drafts; only the wire differs. An upload completes when its offset reaches
 * its length (tus has no completeness field).
 */
import type {
  AppendRequest,
  ChecksumAlgorithm,
  CreationRequest,
  Procedure,
  ProtocolCodec,
  Representation,
  ResponseContext,
  ResponseInfo,
  TusExtension,
  UploadView,
} from '../codec.js'
import {
  InvalidFieldError,
  LimitError,
  MethodNotAllowedError,
  OffsetMismatchError,
  type RufhError,
  statusOf,
  UnauthorizedError,
  UnsupportedChecksumError,
  UnsupportedMediaTypeError,
} from '../errors.js'
import { Field, type Fields, type HeaderReader, PROBLEM_JSON, type Reply } from '../fields.js'
import type { Limits } from '../limits.js'
import { problemBody, problemOf } from '../problem.js'
import { representationMetadata } from '../representation-metadata.js'
import { formatTusMetadata, parseTusMetadata } from '../tus-metadata.js'
import { readContentLength } from './interop-3.js'

export const TUS_VERSION = '1.0.0'
export const OFFSET_OCTET_STREAM = 'application/offset+octet-stream'
export const TUS_EXTENSIONS: readonly TusExtension[] = [
  'creation',
  'creation-with-upload',
  'creation-defer-length',
  'termination',
  'expiration',
  'checksum',
  'concatenation',
]
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['sha1', 'md5', 'sha256', 'sha512']

/** tus numbers are plain decimal integers. */
function readDecimal(h: HeaderReader, name: string): number | undefined {
  const v = h.get(name)
  if (v === null || v === undefined) return undefined
  if (!/^\d{1,15}$/.test(v.trim())) throw new InvalidFieldError(name, `${name} must be a non-negative integer`)
  return Number(v.trim())
}

/**
 * Strict base64 (RFC 4648 §4, padded): whole 4-character groups, padding only at the end and only where the last
 * group is short. Anything else is a malformed field (400), never a decoder exception that would end as a 500.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function decodeBase64(b64: string): Uint8Array | undefined {
  if (b64.length === 0 || !BASE64.test(b64)) return undefined
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
  } catch {
    return undefined
  }
}

function mediaType(h: HeaderReader): string | undefined {
  return h.get(Field.contentType)?.split(';', 1)[0]?.trim().toLowerCase()
}

export class TusV1 implements ProtocolCodec {
  readonly protocol = 'tus-v1' as const
  readonly name = 'tus-1.0.0'
  readonly progressInterim = false
  readonly retrievalMethods: readonly string[] = ['HEAD']
  readonly appendLimitsBindCreation = false
  readonly announcesLimits = false
  readonly replaysCompletion = false
  /** tus has no rule for it; rufh treats data past the length as the drafts from -08 do. */
  readonly invalidatesPastLength = true
  readonly targetSemantics = false
  readonly completesAtLength = true

  readCreation(h: HeaderReader): CreationRequest {
    const concat = this.readConcat(h.get('upload-concat'))
    const tusMetadata = parseTusMetadata(h.get('upload-metadata'))
    const contentLength = readContentLength(h)
    // creation-with-upload: a body must be an offset+octet-stream.
    if (contentLength !== undefined && contentLength > 0 && mediaType(h) !== OFFSET_OCTET_STREAM)
      throw new UnsupportedMediaTypeError(OFFSET_OCTET_STREAM, h.get(Field.contentType) ?? undefined)
    if (concat?.kind === 'final')
      return {
        complete: true,
        completesAtLength: true,
        length: undefined,
        contentLength,
        metadata: tusMetadata,
        concat,
      }
    // tus's own field wins over what Content-Type/Content-Disposition say.
    const metadata = { ...representationMetadata(h), ...tusMetadata }
    const length = readDecimal(h, 'upload-length')
    const deferred = h.get('upload-defer-length')
    if (deferred !== null && deferred !== undefined && deferred.trim() !== '1')
      throw new InvalidFieldError('upload-defer-length', 'Upload-Defer-Length must be 1')
    if ((length === undefined) === (deferred === null || deferred === undefined))
      throw new InvalidFieldError(
        'upload-length',
        'a creation needs exactly one of Upload-Length and Upload-Defer-Length: 1',
      )
    return { complete: false, completesAtLength: true, length, contentLength, metadata, ...(concat ? { concat } : {}) }
  }

  private readConcat(raw: string | null | undefined): CreationRequest['concat'] {
    if (raw === null || raw === undefined) return undefined
    const v = raw.trim()
    if (v === 'partial') return { kind: 'partial' }
    if (v.startsWith('final;')) {
      const parts = v.slice('final;'.length).trim().split(/ +/).filter(Boolean)
      if (parts.length > 0) return { kind: 'final', parts }
    }
    throw new InvalidFieldError('upload-concat', "Upload-Concat must be 'partial' or 'final;URL URL...'")
  }

  readAppend(h: HeaderReader): AppendRequest {
    const offset = readDecimal(h, Field.offset)
    if (offset === undefined) throw new InvalidFieldError(Field.offset, 'PATCH needs Upload-Offset')
    if (mediaType(h) !== OFFSET_OCTET_STREAM)
      throw new UnsupportedMediaTypeError(OFFSET_OCTET_STREAM, h.get(Field.contentType) ?? undefined)
    const checksum = this.readChecksum(h.get('upload-checksum'))
    return {
      offset,
      complete: false,
      completesAtLength: true,
      length: readDecimal(h, 'upload-length'),
      contentLength: readContentLength(h),
      ...(checksum ? { checksum } : {}),
    }
  }

  private readChecksum(raw: string | null | undefined): AppendRequest['checksum'] {
    if (raw === null || raw === undefined) return undefined
    const [algorithm, b64, extra] = raw.trim().split(/ +/)
    const digest = b64 === undefined ? undefined : decodeBase64(b64)
    if (!algorithm || !digest || extra !== undefined)
      throw new InvalidFieldError('upload-checksum', "Upload-Checksum must be 'ALGORITHM BASE64'")
    const algo = algorithm.toLowerCase() as ChecksumAlgorithm
    if (!CHECKSUM_ALGORITHMS.includes(algo)) throw new UnsupportedChecksumError(algorithm, CHECKSUM_ALGORITHMS)
    return { algorithm: algo, digest }
  }

  checkRetrieval(_h: HeaderReader): void {}
  checkCancellation(_h: HeaderReader): void {}

  private base(upload?: UploadView): Fields {
    const f: Fields = { 'tus-resumable': TUS_VERSION }
    if (upload?.expiresAt !== undefined && !upload.complete)
      f['upload-expires'] = new Date(upload.expiresAt).toUTCString()
    return f
  }

  /** tus sends no interim responses. */
  announce(): Fields {
    return {}
  }
  progress(): Fields {
    return {}
  }

  created(location: string, upload: UploadView): Reply {
    return { status: 201, headers: { ...this.base(upload), location, [Field.offset]: String(upload.offset) } }
  }

  appended(upload: UploadView): Reply {
    return { status: 204, headers: { ...this.base(upload), [Field.offset]: String(upload.offset) } }
  }

  retrieved(upload: UploadView): Reply {
    const f: Fields = { ...this.base(upload), [Field.offset]: String(upload.offset), [Field.cacheControl]: 'no-store' }
    if (upload.length !== undefined) f[Field.length] = String(upload.length)
    else f['upload-defer-length'] = '1'
    const meta = upload.metadata ? formatTusMetadata(upload.metadata) : ''
    if (meta) f['upload-metadata'] = meta
    if (upload.concat)
      f['upload-concat'] = upload.concat.kind === 'partial' ? 'partial' : `final;${upload.concat.parts.join(' ')}`
    return { status: 200, headers: f }
  }

  cancelled(): Reply {
    return { status: 204, headers: this.base() }
  }

  discovery(ctx: ResponseContext): Reply {
    const extensions = ctx.tusExtensions ?? TUS_EXTENSIONS
    const f: Fields = { ...this.base(), 'tus-version': TUS_VERSION, 'tus-extension': extensions.join(',') }
    if (extensions.includes('checksum')) f['tus-checksum-algorithm'] = CHECKSUM_ALGORITHMS.join(',')
    if (ctx.limits.maxSize !== undefined) f['tus-max-size'] = String(ctx.limits.maxSize)
    return { status: 204, headers: f }
  }

  failure(err: RufhError, _procedure: Procedure, _ctx: ResponseContext, upload?: UploadView): Reply {
    const status =
      err instanceof LimitError && !err.tooLarge ? 400 : err.code === 'ERR_UPLOAD_COMPLETED' ? 400 : statusOf(err)
    const { body } = problemBody(problemOf(err, status))
    const headers: Fields = { ...this.base(), [Field.contentType]: PROBLEM_JSON }
    if (err.code === 'ERR_TUS_VERSION') headers['tus-version'] = TUS_VERSION
    if (err instanceof OffsetMismatchError) headers[Field.offset] = String(err.expected)
    else if (upload) headers[Field.offset] = String(upload.offset)
    if (err instanceof MethodNotAllowedError) headers['allow'] = err.allow.join(', ')
    // RFC 9110 §11.6.1: a 401 carries a challenge.
    if (err instanceof UnauthorizedError) headers['www-authenticate'] = err.challenge
    return { status, headers, body }
  }

  // ---- the client's side ----

  creationFields(req: { complete: boolean; length?: number | undefined }): Fields {
    return {
      'tus-resumable': TUS_VERSION,
      ...(req.length !== undefined ? { 'upload-length': String(req.length) } : { 'upload-defer-length': '1' }),
    }
  }

  appendFields(req: { offset: number; complete: boolean; length?: number | undefined }): Fields {
    const f: Fields = {
      'tus-resumable': TUS_VERSION,
      [Field.offset]: String(req.offset),
      [Field.contentType]: OFFSET_OCTET_STREAM,
    }
    // A deferred length is declared by the request that knows it: the last one. Callers pass `length` only while the
    // upload's length is still unknown: tus servers (e.g. @tus/server) reject a PATCH repeating a declared length.
    if (req.complete && req.length !== undefined) f['upload-length'] = String(req.length)
    return f
  }

  requestFields(): Fields {
    return { 'tus-resumable': TUS_VERSION }
  }

  /** Core protocol, OPTIONS: a tus server answers with `Tus-Version`. */
  advertisedBy(h: HeaderReader): boolean {
    return !!h.get('tus-version')
  }

  /** The `filename` and `filetype` keys of `Upload-Metadata`, as tus clients (tus-js-client, Uppy) send them. */
  representationFields(r: Representation): Fields {
    const meta: Record<string, string> = {}
    if (r.filename) meta['filename'] = r.filename
    if (r.contentType) meta['filetype'] = r.contentType
    return Object.keys(meta).length ? { 'upload-metadata': formatTusMetadata(meta) } : {}
  }

  /** creation-with-upload: content in a creation request is an offset+octet-stream. */
  creationContentFields(): Fields {
    return { [Field.contentType]: OFFSET_OCTET_STREAM }
  }

  readResponse(h: HeaderReader): ResponseInfo {
    const num = (name: string) => {
      const v = h.get(name)?.trim()
      return v && /^\d{1,15}$/.test(v) ? Number(v) : undefined
    }
    const offset = num(Field.offset)
    const length = num(Field.length)
    const maxSize = num('tus-max-size')
    const limits: Limits | undefined = maxSize !== undefined ? { maxSize } : undefined
    return {
      location: h.get(Field.location) ?? undefined,
      offset,
      complete: offset !== undefined && length !== undefined ? offset === length : undefined,
      length,
      limits,
      interopMatches: false,
    }
  }
}

export const tusV1 = new TusV1()
