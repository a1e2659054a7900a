/**
 * How each version's client side reads `Upload-Limit` (spec notes §2.2, §5 item 1): unknown keys are ignored
 * everywhere; a known key with a wrongly typed value drops that key up to interop 7 (and in draft-09), and voids the
 * whole field from interop 8 (draft-10 §4.1.4 and later).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { codecFor } from './codecs/index.js'

const limitsOf = (interop: number, value: string) =>
  codecFor(interop)!.readResponse({ get: (n) => (n === 'upload-limit' ? value : null) }).limits

test('interop 3-5 have no Upload-Limit: nothing is read', { timeout: 5000 }, () => {
  for (const v of [3, 4, 5]) {
    assert.equal(codecFor(v)!.invalidLimitVoidsField, false)
    assert.equal(limitsOf(v, 'max-size=100'), undefined, `interop ${v}`)
  }
})

test('interop 6 and 7: a wrongly typed known key is dropped, the rest is kept', { timeout: 5000 }, () => {
  assert.equal(codecFor(6)!.invalidLimitVoidsField, false)
  assert.deepEqual(limitsOf(6, 'max-size="big", max-append-size=100, expires=60'), { maxAppendSize: 100, maxAge: 60 })
  assert.deepEqual(limitsOf(6, 'max-size=5.5, min-size=1'), { minSize: 1 })
  assert.equal(codecFor(7)!.invalidLimitVoidsField, false)
  assert.deepEqual(limitsOf(7, 'max-size=?1, max-append-size=100, max-age=60'), { maxAppendSize: 100, maxAge: 60 })
})

test('interop 6 and 7: unknown keys are ignored whatever their type', { timeout: 5000 }, () => {
  // `max-age` is unknown to interop 6 (it says `expires`), `expires` to interop 7.
  assert.deepEqual(limitsOf(6, 'max-size=100, max-age="x", future=1.5'), { maxSize: 100 })
  assert.deepEqual(limitsOf(7, 'max-size=100, expires="x", future=?0'), { maxSize: 100 })
})

test('interop 8, 9 and 10: a wrongly typed known key voids the whole field', { timeout: 5000 }, () => {
  for (const v of [8, 9, 10]) {
    assert.equal(codecFor(v)!.invalidLimitVoidsField, true, `interop ${v}`)
    assert.equal(limitsOf(v, 'max-size="big", max-append-size=100'), undefined, `interop ${v}: String`)
    assert.equal(limitsOf(v, 'max-append-size=100, min-append-size=2.0'), undefined, `interop ${v}: Decimal`)
    assert.equal(limitsOf(v, 'max-age=?1, max-size=100'), undefined, `interop ${v}: Boolean`)
    // Unknown keys of any type are still only ignored, and valid fields are read whole.
    assert.deepEqual(limitsOf(v, 'max-size=100, future="x", expires=?1'), { maxSize: 100 }, `interop ${v}`)
    assert.deepEqual(
      limitsOf(v, 'max-size=100, min-size=0, max-append-size=50, min-append-size=10, max-age=60'),
      { maxSize: 100, minSize: 0, maxAppendSize: 50, minAppendSize: 10, maxAge: 60 },
      `interop ${v}`,
    )
  }
})
