/** The tester and the codecs agree on which draft revisions each interop version covers (one table, spec notes §5). */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { codecs } from '@rufh/protocol'
import { defaultDraft, draftsOf, interopOfDraft, knownInterop } from '../dialect.js'
import { runConformance } from '../runner.js'

test("the tester's drafts per interop version are the codecs' drafts, version by version", { timeout: 10_000 }, () => {
  assert.deepEqual(knownInterop, [3, 4, 5, 6, 7, 8, 9, 10])
  for (const c of codecs) assert.deepEqual(draftsOf[c.interop], c.drafts, c.name)
  assert.equal(defaultDraft(10), '-13')
})

test('-14 and -15 name no interop version: --draft refuses them, saying why', { timeout: 10_000 }, async () => {
  assert.deepEqual(interopOfDraft('13'), { interop: 10, draft: '-13' })
  assert.equal(interopOfDraft('-14'), undefined)
  assert.equal(interopOfDraft('draft-ietf-httpbis-resumable-upload-15'), undefined)
  await assert.rejects(runConformance({ url: 'http://127.0.0.1:9/files/', drafts: ['-15'] }), {
    name: 'ConformanceError',
    message: /-15: no source says which interop version/,
  })
})
