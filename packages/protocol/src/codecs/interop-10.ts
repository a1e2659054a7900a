/**
 * Interop 10, draft -13 (only known second-hand, spec notes §1 and §2.13). What is known (PR #3493: offset retrieval
 * need not carry `Upload-Complete`/`Upload-Length`) only relaxes what a server must send, so rufh keeps sending both
 * and otherwise behaves as in interop 9.
 */
import type { InteropVersion } from '../codec.js'
import { Interop9 } from './interop-9.js'

export class Interop10 extends Interop9 {
  override readonly interop: InteropVersion = 10
  override readonly drafts: readonly string[] = ['-13', '-14', '-15']
}
