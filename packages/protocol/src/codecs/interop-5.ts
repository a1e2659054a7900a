/** Interop 5, draft-03: 104s may report progress with `Upload-Offset` (draft-03 §5); HEAD may answer 200 too. */
import type { InteropVersion } from '../codec.js'
import { Interop4 } from './interop-4.js'

export class Interop5 extends Interop4 {
  override readonly interop: InteropVersion = 5
  override readonly progressInterim: boolean = true
}
