/** The draft-revision table: every codec's drafts come from it, and it claims nothing unknown (spec notes §1, §5). */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { codecFor, codecs } from './codecs/index.js'
import { draftRevision, draftRevisions, draftsOfInterop } from './drafts.js'

test('interop 10 covers -13 only (third-party evidence); -14 and -15 have no known interop version', {
  timeout: 5000,
}, () => {
  assert.deepEqual(codecFor(10)!.drafts, ['-13'])
  assert.equal(draftRevision('-13')?.evidence, 'third-party')
  for (const d of ['-14', '-15'])
    assert.deepEqual(draftRevision(d), { draft: d, interop: undefined, evidence: 'unknown' })
  assert.equal(
    codecs.some((c) => c.drafts.includes('-14') || c.drafts.includes('-15')),
    false,
  )
})

test('every codec names exactly the revisions the table gives its version, and every known revision has a codec', {
  timeout: 5000,
}, () => {
  const expected: Record<number, string[]> = {
    3: ['-01'],
    4: ['-02'],
    5: ['-03'],
    6: ['-04', '-05'],
    7: ['-06', '-07', '-08'],
    8: ['-09', '-10', '-11'],
    9: ['-12'],
    10: ['-13'],
  }
  for (const c of codecs) assert.deepEqual(c.drafts, expected[c.interop], c.name)
  for (const r of draftRevisions) if (r.interop !== undefined) assert.ok(codecFor(r.interop)?.drafts.includes(r.draft))
  assert.deepEqual(draftsOfInterop(11), [])
})

test('revision names: 05, -05 and the full draft name', { timeout: 5000 }, () => {
  assert.equal(draftRevision('05')?.interop, 6)
  assert.equal(draftRevision('draft-ietf-httpbis-resumable-upload-09')?.interop, 8)
  assert.equal(draftRevision('-16'), undefined)
  assert.equal(draftRevision('x'), undefined)
})
