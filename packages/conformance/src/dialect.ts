/**
 * What the tester needs to know about one interop version (and draft revision) to speak it: header names, the media
 * type of appends, which statuses each draft demands. Written from the spec notes independently of the server's
 * codecs, so that a bug shared by a codec and the server is not hidden; only the Structured Field readers and writers
 * of `@rufh/protocol` are reused, and its table of which draft revisions each interop version covers (a fact, not a
 * behaviour: the two must agree).
 */
import {
  draftRevision,
  draftsOfInterop,
  Field,
  PARTIAL_UPLOAD,
  readBoolean,
  readInteger,
  readIntegerDictionary,
  supportedInterop,
  writeBoolean,
  writeInteger,
} from '@rufh/protocol'
import { header, type RawResponse } from '@rufh/wire'

/**
 * Draft revisions per interop version, oldest first: the protocol package's table (`draftRevisions`), so that the
 * tester and the codecs never disagree on which revisions a version covers. -14 and -15 have no known interop version
 * and are not listed.
 */
export const draftsOf: Record<number, readonly string[]> = Object.fromEntries(
  supportedInterop.map((v) => [v, draftsOfInterop(v)]),
)

export const knownInterop: readonly number[] = Object.keys(draftsOf).map(Number)

/** The newest draft revision of an interop version: the default when `--draft` does not say. */
export function defaultDraft(interop: number): string {
  const d = draftsOf[interop]
  if (!d?.length) throw new RangeError(`unknown interop version ${interop}`)
  return d[d.length - 1]!
}

/** The interop version of a draft revision (`05`, `-05` or `draft-...-05`); undefined when none is known. */
export function interopOfDraft(draft: string): { interop: number; draft: string } | undefined {
  const r = draftRevision(draft)
  return r?.interop === undefined ? undefined : { interop: r.interop, draft: r.draft }
}

export function draftNumber(draft: string): number {
  return Number(draft.replace(/^-/, ''))
}

export class Dialect {
  readonly draftNo: number
  constructor(
    readonly interop: number,
    readonly draft: string,
  ) {
    this.draftNo = draftNumber(draft)
  }

  /** I3 uses the inverted `Upload-Incomplete`; I4 on `Upload-Complete`. */
  get completeField(): string {
    return this.interop === 3 ? Field.incomplete : Field.complete
  }

  /** The request field that says whether this request ends the upload. */
  completeness(complete: boolean): [string, string] {
    return this.interop === 3
      ? ['Upload-Incomplete', writeBoolean(!complete)]
      : ['Upload-Complete', writeBoolean(complete)]
  }

  /** What a response says about completeness; for I3 an absent `Upload-Incomplete` means complete. */
  readComplete(r: RawResponse): boolean | undefined {
    if (this.interop === 3) {
      const raw = header(r, Field.incomplete)
      if (raw === undefined) return true
      const v = readBoolean(raw)
      return v === undefined ? undefined : !v
    }
    return readBoolean(header(r, Field.complete))
  }

  readOffset(r: RawResponse): number | undefined {
    return readInteger(header(r, Field.offset))
  }

  readLength(r: RawResponse): number | undefined {
    return readInteger(header(r, Field.length))
  }

  /** `Upload-Limit` as key → Integer (non-Integer members dropped), or undefined when absent or unparseable. */
  readLimits(r: RawResponse): Map<string, number> | undefined {
    return readIntegerDictionary(header(r, Field.limit))?.values
  }

  get hasLength(): boolean {
    return this.interop > 6 || (this.interop === 6 && this.draftNo >= 5)
  }

  get hasLimits(): boolean {
    return this.interop >= 6
  }

  /** OPTIONS discovery exists from draft -05. */
  get hasDiscovery(): boolean {
    return this.hasLength
  }

  get expiryKey(): string {
    return this.interop === 6 ? 'expires' : 'max-age'
  }

  get partialUpload(): boolean {
    return this.interop >= 6
  }

  get progressInterim(): boolean {
    return this.interop >= 5
  }

  /** Offset retrieval methods (GET from I9). */
  get retrievalMethods(): string[] {
    return this.interop >= 9 ? ['HEAD', 'GET'] : ['HEAD']
  }

  /** Whether append-size limits bind creation requests too (I9). */
  get appendLimitsBindCreation(): boolean {
    return this.interop >= 9
  }

  /** Draft -01..-05 (I3-I6) fix exact status codes for protocol errors; later drafts leave "any 4xx". */
  get strictStatuses(): boolean {
    return this.interop <= 6
  }

  /** Whether `status` is a successful offset retrieval for this version. */
  retrievalOk(status: number): boolean {
    if (this.interop <= 4) return status === 204
    if (this.interop <= 6) return status === 200 || status === 204
    return status >= 200 && status < 300
  }

  /** Fields of a creation request. `interop: null` leaves out the interop version field. */
  creationFields(o: { complete: boolean; length?: number; interop?: number | null }): [string, string][] {
    const out: [string, string][] = []
    const v = o.interop === undefined ? this.interop : o.interop
    if (v !== null) out.push(['Upload-Draft-Interop-Version', writeInteger(v)])
    out.push(this.completeness(o.complete))
    if (o.length !== undefined) out.push(['Upload-Length', writeInteger(o.length)])
    return out
  }

  /** Fields of an append: the offset, completeness, and from I6 the partial-upload media type. */
  appendFields(o: { offset: number | string; complete: boolean | null; length?: number }): [string, string][] {
    const out: [string, string][] = [['Upload-Draft-Interop-Version', writeInteger(this.interop)]]
    out.push(['Upload-Offset', typeof o.offset === 'number' ? writeInteger(o.offset) : o.offset])
    if (o.complete !== null) out.push(this.completeness(o.complete))
    if (o.length !== undefined) out.push(['Upload-Length', writeInteger(o.length)])
    if (this.partialUpload) out.push(['Content-Type', PARTIAL_UPLOAD])
    return out
  }

  requestFields(): [string, string][] {
    return [['Upload-Draft-Interop-Version', writeInteger(this.interop)]]
  }
}
