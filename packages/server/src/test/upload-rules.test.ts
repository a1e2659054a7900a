/** The upload rules (rules/upload-rules.ts) as a table: one upload state and one request per row, and the verdict. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AppendRequest, CreationRequest, Limits, RufhError } from '@rufh/protocol'
import {
  type AppendPlan,
  appendEnd,
  assertUsable,
  checkCreation,
  invalidates,
  ORDINARY,
  passedBound,
  planAppend,
  requestBound,
  type UploadState,
  type VersionRules,
} from '../rules/upload-rules.js'

/** Version properties as the codecs have them (I5: no limits; I6: limits; I7/I8: + invalidation; I9: + creation). */
const I5: VersionRules = { ...ORDINARY }
const I6: VersionRules = { ...I5, announcesLimits: true }
const I8: VersionRules = { ...I6, invalidatesPastLength: true }
const I9: VersionRules = { ...I8, appendLimitsBindCreation: true, replaysCompletion: true }
const TUS: VersionRules = { ...I5, invalidatesPastLength: true }

const LIMITS: Limits = { maxSize: 1000, minSize: 10, maxAppendSize: 300, minAppendSize: 50 }
const NOW = 1_000_000

const state = (s: Partial<UploadState> = {}): UploadState => ({
  offset: 100,
  length: undefined,
  complete: false,
  invalid: undefined,
  expiresAt: undefined,
  ...s,
})
const req = (r: Partial<AppendRequest> = {}): AppendRequest => ({
  offset: 100,
  complete: false,
  length: undefined,
  contentLength: 100,
  ...r,
})

/** A verdict as a short string: `proceed <bound kind>:<bytes>[ declare N]`, `replay`, or `<code>[ <limit>][ invalidate]`. */
function verdict(p: AppendPlan): string {
  if (p.kind === 'replay') return 'replay'
  if (p.kind === 'proceed')
    return `proceed ${p.bound ? `${p.bound.kind}:${p.bound.bytes}` : 'unbound'}${p.declareLength !== undefined ? ` declare ${p.declareLength}` : ''}`
  return `${errorText(p.error)}${p.invalidate ? ' invalidate' : ''}`
}
function errorText(e: RufhError): string {
  const limit = (e as { limit?: string }).limit
  return limit ? `${e.code} ${limit}` : e.code
}

describe('append: what an append may carry', { timeout: 10_000 }, () => {
  const rows: [string, UploadState, AppendRequest, VersionRules, string][] = [
    ['a usable upload, an append within every bound', state(), req(), I9, 'proceed max-append-size:300'],
    ['invalidated', state({ invalid: 'x' }), req(), I9, 'ERR_UPLOAD_GONE'],
    ['expired', state({ expiresAt: NOW - 1 }), req(), I9, 'ERR_UPLOAD_GONE'],
    [
      'completed uploads do not expire',
      state({ complete: true, expiresAt: NOW - 1, offset: 100, length: 100 }),
      req({ complete: true, contentLength: 0 }),
      I9,
      'replay',
    ],
    [
      'a repeated completing append is replayed (I9)',
      state({ complete: true, length: 100 }),
      req({ complete: true, contentLength: 0 }),
      I9,
      'replay',
    ],
    [
      '... not before I9',
      state({ complete: true, length: 100 }),
      req({ complete: true, contentLength: 0 }),
      I8,
      'ERR_UPLOAD_COMPLETED',
    ],
    ['content to a completed upload', state({ complete: true, length: 100 }), req(), I9, 'ERR_UPLOAD_COMPLETED'],
    [
      'a final concatenation takes no appends',
      state({ concat: { kind: 'final', parts: [] } }),
      req(),
      TUS,
      'ERR_FORBIDDEN',
    ],
    ['a wrong offset', state(), req({ offset: 99 }), I9, 'ERR_OFFSET_MISMATCH'],
    ['a changed length', state({ length: 500 }), req({ length: 600 }), I9, 'ERR_INCONSISTENT_LENGTH'],
    [
      'content past the length invalidates (draft-08)',
      state({ length: 150 }),
      req(),
      I8,
      'ERR_INCONSISTENT_LENGTH invalidate',
    ],
    ['... draft-05 stops at the length instead', state({ length: 150 }), req(), I6, 'proceed length:50'],
    ['a late length below the offset', state(), req({ length: 50 }), I9, 'ERR_INCONSISTENT_LENGTH'],
    ['a late length above max-size', state(), req({ length: 1001 }), I9, 'ERR_LIMIT_EXCEEDED max-size'],
    [
      'a late length is recorded and bounds the append',
      state(),
      req({ length: 150, contentLength: 50 }),
      I9,
      'proceed length:50 declare 150',
    ],
    ['above max-append-size', state(), req({ contentLength: 301 }), I9, 'ERR_LIMIT_EXCEEDED max-append-size'],
    ['... binds no version that cannot announce it', state(), req({ contentLength: 301 }), I5, 'proceed max-size:900'],
    ['below min-append-size', state(), req({ contentLength: 49 }), I9, 'ERR_LIMIT_EXCEEDED min-append-size'],
    [
      '... the final append is exempt (draft-12 §4.1.4)',
      state(),
      req({ contentLength: 49, complete: true }),
      I9,
      'proceed max-append-size:300',
    ],
    [
      '... and so is an empty one (draft-12 §4.1.4)',
      state(),
      req({ contentLength: 0 }),
      I9,
      'proceed max-append-size:300',
    ],
    ['... binds no version that cannot announce it', state(), req({ contentLength: 1 }), I5, 'proceed max-size:900'],
    [
      'past max-size',
      state({ offset: 900 }),
      req({ offset: 900, contentLength: 101 }),
      I5,
      'ERR_LIMIT_EXCEEDED max-size',
    ],
    [
      'chunked: only the bound stops it',
      state({ offset: 900 }),
      req({ offset: 900, contentLength: undefined }),
      I9,
      'proceed max-size:100',
    ],
  ]
  for (const [name, s, a, v, expected] of rows)
    test(name, () => assert.equal(verdict(planAppend(s, a, LIMITS, v, NOW)), expected))

  test('usability alone (retrieval, download)', () => {
    assert.doesNotThrow(() => assertUsable(state(), NOW))
    assert.throws(() => assertUsable(state({ invalid: 'x' }), NOW), { code: 'ERR_UPLOAD_GONE' })
    assert.throws(() => assertUsable(state({ expiresAt: NOW }), NOW), { code: 'ERR_UPLOAD_GONE' })
  })

  test('how an append ends: only ?1 completes a draft upload; tus completes at its length', () => {
    assert.deepEqual(appendEnd(req(), 200, 200), { complete: false })
    assert.deepEqual(appendEnd(req({ complete: true }), 200, undefined), { complete: true })
    assert.deepEqual(appendEnd(req({ completesAtLength: true }), 200, 200), { complete: true })
    assert.equal(appendEnd(req({ complete: true }), 150, 200).error?.code, 'ERR_INCONSISTENT_LENGTH')
  })
})

describe('creation: what a creation may carry', { timeout: 10_000 }, () => {
  const c = (r: Partial<CreationRequest> = {}): CreationRequest => ({
    complete: false,
    length: undefined,
    contentLength: 0,
    ...r,
  })
  const outcome = (r: CreationRequest, v: VersionRules): string => {
    try {
      const b = checkCreation(r, LIMITS, v)
      return b ? `ok ${b.kind}:${b.bytes}` : 'ok unbound'
    } catch (e) {
      return errorText(e as RufhError)
    }
  }
  const rows: [string, CreationRequest, VersionRules, string][] = [
    ['an empty careful creation (exempt from min-append-size)', c(), I9, 'ok max-append-size:300'],
    ['a declared length above max-size', c({ length: 1001 }), I9, 'ERR_LIMIT_EXCEEDED max-size'],
    ['content above max-size', c({ contentLength: 1001 }), I6, 'ERR_LIMIT_EXCEEDED max-size'],
    ['incomplete, declaring a length below min-size: refused', c({ length: 5 }), I9, 'ERR_LIMIT_EXCEEDED min-size'],
    ['... not where no limit is announced (tus, I3-I5)', c({ length: 5 }), ORDINARY, 'ok length:5'],
    [
      'complete below min-size: accepted (draft-12 §4.1.4)',
      c({ complete: true, length: 5, contentLength: 5 }),
      I9,
      'ok length:5',
    ],
    [
      'creation content above max-append-size (I9)',
      c({ contentLength: 301 }),
      I9,
      'ERR_LIMIT_EXCEEDED max-append-size',
    ],
    ['... before I9 creation content is no append', c({ contentLength: 301 }), I6, 'ok max-size:1000'],
    ['creation content below min-append-size (I9)', c({ contentLength: 20 }), I9, 'ERR_LIMIT_EXCEEDED min-append-size'],
    ['... exempt when complete', c({ complete: true, contentLength: 20, length: 20 }), I9, 'ok length:20'],
  ]
  for (const [name, r, v, expected] of rows) test(name, () => assert.equal(outcome(r, v), expected))
})

describe('the bound on one request and what passing it means', { timeout: 10_000 }, () => {
  test('the tightest bound wins', () => {
    assert.deepEqual(requestBound(0, undefined, {}, true), undefined)
    assert.deepEqual(requestBound(900, 2000, LIMITS, true), { kind: 'max-size', bytes: 100, value: 1000 })
    assert.deepEqual(requestBound(0, 200, LIMITS, true), { kind: 'length', bytes: 200, value: 200 })
    assert.deepEqual(requestBound(0, 500, LIMITS, false), { kind: 'length', bytes: 500, value: 500 })
    assert.deepEqual(requestBound(0, 500, LIMITS, true), { kind: 'max-append-size', bytes: 300, value: 300 })
  })
  test('passing it: the length is an inconsistency, a limit a 413-kind limit error', () => {
    assert.equal(passedBound({ kind: 'length', bytes: 10, value: 10 }, 0, 10).code, 'ERR_INCONSISTENT_LENGTH')
    const size = passedBound({ kind: 'max-size', bytes: 100, value: 1000 }, 900, 100)
    assert.deepEqual(
      [size.code, (size as { limit?: string }).limit, size.extensions['bound']],
      ['ERR_LIMIT_EXCEEDED', 'max-size', 1000],
    )
    const append = passedBound({ kind: 'max-append-size', bytes: 300, value: 300 }, 0, 300)
    assert.equal((append as { limit?: string }).limit, 'max-append-size')
  })
  test('only data past the length invalidates, and only where draft-08 rules', () => {
    const past = passedBound({ kind: 'length', bytes: 10, value: 10 }, 0, 10)
    assert.equal(invalidates(past, I8), true)
    assert.equal(invalidates(past, I6), false)
    assert.equal(invalidates(passedBound({ kind: 'max-size', bytes: 1, value: 1 }, 0, 1), I8), false)
  })
})
