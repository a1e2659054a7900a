/**
 * Interop 8, drafts -09 to -11: `Upload-Limit` MUST be on the announcing 104, the creation response and every offset
 * retrieval (draft-09 §4.1.4, already sent from I6 on); OPTIONS MUST list `application/partial-upload` in
 * `Accept-Patch` (draft-10 §4.1.4); an append to a completed upload is an inconsistent length, or 410 when empty
 * (draft-10 §4.4.2); a wrongly typed known `Upload-Limit` key voids the whole field (draft-10 §4.1.4).
 */
import type { InteropVersion, ResponseContext } from '../codec.js'
import { CompletedUploadError, type RufhError } from '../errors.js'
import { Field, PARTIAL_UPLOAD, type Reply } from '../fields.js'
import { ProblemType } from '../problem.js'
import { Interop7 } from './interop-7.js'

export class Interop8 extends Interop7 {
  override readonly interop: InteropVersion = 8
  /**
   * draft-10 §4.1.4 (and -11, -12): a known key with a wrongly typed value makes the receiver ignore the whole field.
   * draft-09, the first revision of interop 8, dropped only that key; interop 8 follows its later revisions, the text
   * that came out of working-group last call.
   */
  override readonly invalidLimitVoidsField: boolean = true

  override discovery(ctx: ResponseContext): Reply {
    const r = super.discovery(ctx)
    r.headers[Field.acceptPatch] = PARTIAL_UPLOAD
    return r
  }

  protected override statusOf(err: RufhError): number {
    if (err instanceof CompletedUploadError) return err.empty ? 410 : 400
    return super.statusOf(err)
  }

  protected override problemType(err: RufhError): string | undefined {
    if (err instanceof CompletedUploadError)
      return err.empty ? ProblemType.completedUpload : ProblemType.inconsistentLength
    return super.problemType(err)
  }
}
