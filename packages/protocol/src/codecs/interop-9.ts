/**
 * Interop 9, draft -12 (reconstructed, spec notes §1): GET retrieves the offset like HEAD; append-size limits bind the
 * creation request too; `completed-upload` is gone and the server may replay the final response to a repeated
 * completing append (lost-response recovery); `Accept-Patch` is no longer required (rufh keeps sending it);
 * `Upload-Complete` on a creation or append response says which semantics apply, so refusals carry `?0`.
 */
import type { InteropVersion, Procedure, ResponseContext } from '../codec.js'
import { CompletedUploadError, type RufhError } from '../errors.js'
import { Field, type Fields } from '../fields.js'
import { ProblemType } from '../problem.js'
import { writeBoolean } from '../sf.js'
import { Interop8 } from './interop-8.js'

export class Interop9 extends Interop8 {
  override readonly interop: InteropVersion = 9
  override readonly retrievalMethods: readonly string[] = ['HEAD', 'GET']
  override readonly appendLimitsBindCreation: boolean = true
  override readonly replaysCompletion: boolean = true
  /** draft-12 §4.2, §4.4: `Upload-Complete: ?1` on a response says the target resource answered. */
  override readonly targetSemantics: boolean = true

  protected override statusOf(err: RufhError): number {
    if (err instanceof CompletedUploadError) return 400
    return super.statusOf(err)
  }

  /**
   * `inconsistent-upload-length` is for content that contradicts the length (content past it); an empty append to a
   * completed upload contradicts nothing, and -12 has no `completed-upload` any more: `about:blank` (rufh's code says
   * what happened).
   */
  protected override problemType(err: RufhError): string | undefined {
    if (err instanceof CompletedUploadError) return err.empty ? undefined : ProblemType.inconsistentLength
    return super.problemType(err)
  }

  /**
   * draft-12 §4.2.2 and §4.4.2: the server SHOULD send `Upload-Complete` on creation and append responses; a refusal
   * is a response of the resumable-upload protocol, not of the target resource, so it says `?0` (the §7.2 example's
   * 400 does), an append refused because the upload is complete included.
   */
  protected override failureFields(err: RufhError, procedure: Procedure, ctx: ResponseContext): Fields {
    const fields = super.failureFields(err, procedure, ctx)
    if (procedure === 'creation' || procedure === 'append') fields[Field.complete] = writeBoolean(false)
    return fields
  }
}
