/**
 * Interop 6, drafts -04 and -05: appends MUST use `application/partial-upload` (draft-04 §4.3), `Upload-Limit` with the
 * `expires` key (draft-04 §4.1.4), problem types (draft-04 §9), and from -05 `Upload-Length` and OPTIONS discovery.
 */
import type { InteropVersion, ResponseContext, UploadView } from '../codec.js'
import { type RufhError, UnsupportedMediaTypeError } from '../errors.js'
import { Field, type Fields, type HeaderReader, PARTIAL_UPLOAD } from '../fields.js'
import type { Limits } from '../limits.js'
import { ProblemType } from '../problem.js'
import { readInteger, readIntegerDictionary, writeInteger, writeIntegerDictionary } from '../sf.js'
import { Interop5 } from './interop-5.js'

export class Interop6 extends Interop5 {
  override readonly interop: InteropVersion = 6

  override readonly announcesLimits: boolean = true

  /** The `Upload-Limit` key for the remaining lifetime in seconds. */
  protected expiryKey = 'expires'

  protected override readLength(h: HeaderReader): number | undefined {
    return readInteger(h.get(Field.length))
  }

  /** draft-04 §4.3: "The request MUST use the media type application/partial-upload". */
  protected override checkAppendMediaType(h: HeaderReader): void {
    const ct = h.get(Field.contentType)
    const mediaType = ct?.split(';', 1)[0]?.trim().toLowerCase()
    if (mediaType !== PARTIAL_UPLOAD) throw new UnsupportedMediaTypeError(PARTIAL_UPLOAD, ct ?? undefined)
  }

  /** draft-05 §4.2: HEAD must not carry Upload-Length either. */
  protected override forbiddenOnRetrieval(): readonly string[] {
    return [Field.offset, Field.complete, Field.length]
  }

  protected limitEntries(limits: Limits, upload?: UploadView, now = Date.now()): [string, number][] {
    const out: [string, number][] = []
    if (limits.maxSize !== undefined) out.push(['max-size', limits.maxSize])
    if (limits.minSize !== undefined) out.push(['min-size', limits.minSize])
    if (limits.maxAppendSize !== undefined) out.push(['max-append-size', limits.maxAppendSize])
    if (limits.minAppendSize !== undefined) out.push(['min-append-size', limits.minAppendSize])
    const lifetime =
      upload?.expiresAt !== undefined ? Math.max(0, Math.floor((upload.expiresAt - now) / 1000)) : limits.maxAge
    if (lifetime !== undefined) out.push([this.expiryKey, lifetime])
    return out
  }

  /** draft-05 §4.1.4: "no limits" is sent as `min-size=0`, never as an empty field. */
  protected override limitFields(ctx: ResponseContext, upload?: UploadView): Fields {
    const entries = this.limitEntries(ctx.limits, upload, ctx.now)
    return { [Field.limit]: writeIntegerDictionary(entries.length ? entries : [['min-size', 0]]) }
  }

  /** draft-05 §4.2: offset retrieval echoes the recorded Upload-Length. */
  protected override lengthFields(upload: UploadView): Fields {
    return upload.length === undefined ? {} : { [Field.length]: writeInteger(upload.length) }
  }

  override announce(location: string, upload: UploadView, ctx: ResponseContext): Fields {
    return { ...super.announce(location, upload, ctx), ...this.limitFields(ctx, upload) }
  }

  protected override requestLength(length: number | undefined): Fields {
    return length === undefined ? {} : { [Field.length]: writeInteger(length) }
  }

  protected override appendMediaType(): Fields {
    return { [Field.contentType]: PARTIAL_UPLOAD }
  }

  /** The keys this version defines, with the `Limits` member each one sets. */
  protected limitKeys(): [string, keyof Limits][] {
    return [
      ['max-size', 'maxSize'],
      ['min-size', 'minSize'],
      ['max-append-size', 'maxAppendSize'],
      ['min-append-size', 'minAppendSize'],
      [this.expiryKey, 'maxAge'],
    ]
  }

  /**
   * Unknown keys MUST be ignored (draft-04 §4.1.4). A known key whose value is not an Integer drops that key, or the
   * whole field where `invalidLimitVoidsField` (draft-10 §4.1.4).
   */
  protected override readLimits(h: HeaderReader): Limits | undefined {
    const d = readIntegerDictionary(h.get(Field.limit))
    if (!d) return undefined
    const keys = this.limitKeys()
    if (this.invalidLimitVoidsField && d.invalid.some((k) => keys.some(([key]) => key === k))) return undefined
    const limits: Limits = {}
    for (const [key, member] of keys) {
      const v = d.values.get(key)
      if (v !== undefined) limits[member] = v
    }
    return limits
  }

  protected override problemType(err: RufhError): string | undefined {
    if (err.code === 'ERR_OFFSET_MISMATCH') return ProblemType.mismatchingOffset
    if (err.code === 'ERR_UPLOAD_COMPLETED') return ProblemType.completedUpload
    return undefined
  }

  protected override failureFields(
    err: RufhError,
    procedure: Parameters<Interop5['failure']>[1],
    ctx: ResponseContext,
  ): Fields {
    // draft-10 §4.1.4 and -12: a rejection caused by a limit SHOULD carry every limit; harmless for -04 on.
    return err.code === 'ERR_LIMIT_EXCEEDED' ? this.limitFields(ctx) : super.failureFields(err, procedure, ctx)
  }
}
