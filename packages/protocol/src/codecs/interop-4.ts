/** Interop 4, draft-02: `Upload-Incomplete` becomes the inverted `Upload-Complete` (draft-02 §8.2). */
import type { InteropVersion } from '../codec.js'
import { Field, type Fields, type HeaderReader } from '../fields.js'
import { readBoolean, writeBoolean } from '../sf.js'
import { Interop3 } from './interop-3.js'

export class Interop4 extends Interop3 {
  override readonly interop: InteropVersion = 4

  protected override readComplete(h: HeaderReader): boolean | undefined {
    return readBoolean(h.get(Field.complete))
  }

  /**
   * Ambiguity (spec notes §4.1): drafts -02 to -05 say only "?0 if not the end" for appends. rufh treats an append
   * without `Upload-Complete` as *not* completing (as tusd does): an upload is never completed by a guess.
   */
  protected override readAppendComplete(h: HeaderReader): boolean {
    return this.readComplete(h) ?? false
  }

  protected override completeness(complete: boolean): Fields {
    return { [Field.complete]: writeBoolean(complete) }
  }

  protected override forbiddenOnRetrieval(): readonly string[] {
    return [Field.offset, Field.complete]
  }
}
