/** The client-facing facts each codec carries (issue 11): what the client and the load tester used to hard-code. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { codecFor, codecs, isDraftCodec } from './codecs/index.js'
import { tusV1 } from './codecs/tus-v1.js'

const h = (o: Record<string, string>) => ({ get: (n: string) => o[n] ?? null })

test('targetSemantics from interop 9 (draft-12 §4.2), never for tus', { timeout: 5000 }, () => {
  assert.deepEqual(
    codecs.map((c) => [c.interop, c.targetSemantics]),
    [3, 4, 5, 6, 7, 8, 9, 10].map((v) => [v, v >= 9]),
  )
  assert.equal(tusV1.targetSemantics, false)
})

test('completion at the length is tus only', { timeout: 5000 }, () => {
  assert.ok(codecs.every((c) => !c.completesAtLength))
  assert.equal(tusV1.completesAtLength, true)
})

test('advertisedBy: Tus-Version for tus; Upload-Limit or partial-upload in Accept-Patch for the draft', {
  timeout: 5000,
}, () => {
  const draft = codecFor(10)!
  assert.equal(tusV1.advertisedBy(h({ 'tus-version': '1.0.0' })), true)
  assert.equal(tusV1.advertisedBy(h({ 'upload-limit': 'min-size=0' })), false)
  assert.equal(draft.advertisedBy(h({ 'upload-limit': 'min-size=0' })), true)
  assert.equal(draft.advertisedBy(h({ 'accept-patch': 'text/plain, Application/Partial-Upload' })), true)
  assert.equal(draft.advertisedBy(h({ 'tus-version': '1.0.0', 'accept-patch': 'text/plain' })), false)
  assert.equal(codecFor(3)!.advertisedBy(h({})), false)
})

test('representation fields: Content-Type/Content-Disposition for the drafts, Upload-Metadata for tus', {
  timeout: 5000,
}, () => {
  const r = { contentType: 'image/png', filename: 'ä b.png' }
  for (const c of codecs)
    assert.deepEqual(c.representationFields(r), {
      'content-type': 'image/png',
      'content-disposition': `inline; filename="_ b.png"; filename*=UTF-8''%C3%A4%20b.png`,
    })
  assert.deepEqual(tusV1.representationFields(r), {
    'upload-metadata': `filename ${btoa(String.fromCharCode(...new TextEncoder().encode('ä b.png')))},filetype ${btoa('image/png')}`,
  })
  assert.deepEqual(tusV1.representationFields({}), {})
  assert.deepEqual(codecFor(6)!.representationFields({ filename: 'a.txt' }), {
    'content-disposition': 'inline; filename="a.txt"',
  })
})

test('a creation carrying content: offset+octet-stream for tus, nothing extra for the drafts', {
  timeout: 5000,
}, () => {
  assert.deepEqual(tusV1.creationContentFields(), { 'content-type': 'application/offset+octet-stream' })
  for (const c of codecs) assert.deepEqual(c.creationContentFields(), {})
  assert.ok(codecs.every(isDraftCodec))
  assert.equal(isDraftCodec(tusV1), false)
})
