/**
 * Interop 9, draft -12 (reconstructed, spec notes §1): GET retrieves the offset like HEAD; append-size limits bind the
 * creation request too; `completed-upload` is gone and the server may replay the final response to a repeated
 * completing append (lost-response recovery); `Accept-Patch` is no longer required (rufh keeps sending it).
 */
import type { InteropVersion } from '../codec.js'
import { CompletedUploadError, type RufhError } from '../errors.js'
import { ProblemType } from '../problem.js'
import { Interop8 } from './interop-8.js'

export class Interop9 extends Interop8 {
  override readonly interop: InteropVersion = 9
  override readonly drafts: readonly string[] = ['-12']
  override readonly retrievalMethods: readonly string[] = ['HEAD', 'GET']
  override readonly appendLimitsBindCreation: boolean = true
  override readonly replaysCompletion: boolean = true

  protected override statusOf(err: RufhError): number {
    if (err instanceof CompletedUploadError) return 400
    return super.statusOf(err)
  }

  protected override problemType(err: RufhError): string | undefined {
    if (err instanceof CompletedUploadError) return ProblemType.inconsistentLength
    return super.problemType(err)
  }
}
