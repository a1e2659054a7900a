/**
 * Interop 10: draft -13, known only from two third-party sources (spec notes §1, §5); nothing says which interop version
 * -14 and -15 use, so this codec claims only -13 (`drafts.ts`). What is known (PR #3493: offset retrieval
 * need not carry `Upload-Complete`/`Upload-Length`) only relaxes what a server must send, so rufh keeps sending both
 * and otherwise behaves as in interop 9.
 */
import type { InteropVersion } from '../codec.js'
import { Interop9 } from './interop-9.js'

export class Interop10 extends Interop9 {
  override readonly interop: InteropVersion = 10
}
