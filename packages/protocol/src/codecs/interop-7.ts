/**
 * Interop 7, drafts -06 to -08: `expires` becomes `max-age`; every append MUST carry `Upload-Complete` and every
 * response to a non-completing append MUST carry `Upload-Complete: ?0` (draft-06 §4.4); appends are acknowledged with
 * a plain 2xx; the problem type `inconsistent-upload-length` appears (draft-06 §10.3).
 */
import type { InteropVersion, Procedure, ResponseContext, UploadView } from '../codec.js'
import { defaultStatus, InvalidFieldError, type RufhError } from '../errors.js'
import { Field, type Fields, type HeaderReader } from '../fields.js'
import { ProblemType } from '../problem.js'
import { writeBoolean } from '../sf.js'
import { Interop6 } from './interop-6.js'

export class Interop7 extends Interop6 {
  override readonly interop: InteropVersion = 7
  protected override expiryKey = 'max-age'
  /** draft-08 §4.4 (the rule of the newest draft of this interop version): data past the length invalidates. */
  override readonly invalidatesPastLength: boolean = true

  /** draft-06 §4.4: "The request MUST include the Upload-Complete header field". */
  protected override readAppendComplete(h: HeaderReader): boolean {
    const v = this.readComplete(h)
    if (v === undefined) throw new InvalidFieldError(Field.complete, 'an append must carry Upload-Complete (?0 or ?1)')
    return v
  }

  /** The 400-on-extra-fields rules for HEAD and DELETE were removed in draft-06. */
  protected override forbiddenOnRetrieval(): readonly string[] {
    return []
  }

  /** draft-06 §4.4: a non-completing append is acknowledged with a 2xx (the draft's examples use 204). */
  protected override appendStatus(_upload: UploadView): number {
    return 204
  }

  protected override statusOf(err: RufhError): number {
    // The "inactive resource MUST be 404" rule went away in draft-06; 410 says what happened.
    if (err.code === 'ERR_UPLOAD_GONE') return defaultStatus.ERR_UPLOAD_GONE
    return super.statusOf(err)
  }

  protected override problemType(err: RufhError): string | undefined {
    if (err.code === 'ERR_INCONSISTENT_LENGTH') return ProblemType.inconsistentLength
    return super.problemType(err)
  }

  protected override failureFields(err: RufhError, procedure: Procedure, ctx: ResponseContext): Fields {
    const fields = super.failureFields(err, procedure, ctx)
    // draft-06 §4.4: any response to an append that did not complete the upload carries Upload-Complete: ?0.
    if (procedure === 'append' && err.code !== 'ERR_UPLOAD_COMPLETED') fields[Field.complete] = writeBoolean(false)
    return fields
  }
}
