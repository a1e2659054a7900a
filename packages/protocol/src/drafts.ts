/**
 * Which draft revisions each interop version covers: the one table that the codecs (`Codec.drafts`), the conformance
 * tester (`--draft`) and the docs read. Evidence as in the spec notes §1 and §5: -01..-11 are read in the draft text,
 * -12 is reconstructed from the text and its merged PRs, -13 = interop 10 rests on two third-party sources (a review
 * of the datatracker copy; Apple's Swift HTTP API proposal code), and nothing known says which interop version -14 and
 * -15 use: they are listed, with no interop version, so that nothing claims them.
 */
import type { InteropVersion } from './codec.js'

export type DraftEvidence = 'draft text' | 'reconstructed' | 'third-party' | 'unknown'

export interface DraftRevision {
  /** `-01` … `-15`. */
  readonly draft: string
  /** The interop version the revision uses; undefined when no source says. */
  readonly interop: InteropVersion | undefined
  readonly evidence: DraftEvidence
}

export const draftRevisions: readonly DraftRevision[] = [
  { draft: '-01', interop: 3, evidence: 'draft text' },
  { draft: '-02', interop: 4, evidence: 'draft text' },
  { draft: '-03', interop: 5, evidence: 'draft text' },
  { draft: '-04', interop: 6, evidence: 'draft text' },
  { draft: '-05', interop: 6, evidence: 'draft text' },
  { draft: '-06', interop: 7, evidence: 'draft text' },
  { draft: '-07', interop: 7, evidence: 'draft text' },
  { draft: '-08', interop: 7, evidence: 'draft text' },
  { draft: '-09', interop: 8, evidence: 'draft text' },
  { draft: '-10', interop: 8, evidence: 'draft text' },
  { draft: '-11', interop: 8, evidence: 'draft text' },
  { draft: '-12', interop: 9, evidence: 'reconstructed' },
  { draft: '-13', interop: 10, evidence: 'third-party' },
  { draft: '-14', interop: undefined, evidence: 'unknown' },
  { draft: '-15', interop: undefined, evidence: 'unknown' },
]

/** The draft revisions known to use `interop`, oldest first (empty for a version no revision is known to use). */
export function draftsOfInterop(interop: number): readonly string[] {
  return draftRevisions.filter((r) => r.interop === interop).map((r) => r.draft)
}

/** The revision named by `05`, `-05` or `draft-ietf-httpbis-resumable-upload-05`; undefined when not in the table. */
export function draftRevision(name: string): DraftRevision | undefined {
  const m = /(\d{1,2})$/.exec(name.trim())
  if (!m) return undefined
  const draft = `-${m[1]!.padStart(2, '0')}`
  return draftRevisions.find((r) => r.draft === draft)
}
