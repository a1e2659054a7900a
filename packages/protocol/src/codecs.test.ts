/** Table tests of every codec: what each reads from requests and what each writes, version by version. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { codecFor, codecs, newestCodec, supportedInterop } from './codecs/index.js'
import {
  CompletedUploadError,
  InconsistentLengthError,
  InvalidFieldError,
  LimitError,
  OffsetMismatchError,
  UnexpectedFieldError,
  UnsupportedMediaTypeError,
  UnsupportedVersionError,
  UploadGoneError,
} from './errors.js'
import { selectCodec } from './select.js'

const h = (o: Record<string, string>) => ({ get: (n: string) => o[n] })
const ctx = { limits: {}, now: 0 }
const up = { offset: 5, length: undefined, complete: false, expiresAt: undefined }

test('versions 3 to 10, one codec each, newest last', () => {
  assert.deepEqual(supportedInterop, [3, 4, 5, 6, 7, 8, 9, 10])
  assert.equal(newestCodec.interop, 10)
  assert.equal(new Set(codecs.map((c) => c.interop)).size, codecs.length)
})

test('selectCodec: named version, no header (newest, no 104), unsupported (error)', () => {
  assert.deepEqual(
    [selectCodec(h({ 'upload-draft-interop-version': '6' })).codec.name, selectCodec(h({})).interimAllowed],
    ['interop-6', false],
  )
  assert.equal(selectCodec(h({ 'upload-draft-interop-version': '6' })).interimAllowed, true)
  assert.throws(() => selectCodec(h({ 'upload-draft-interop-version': '2' })), UnsupportedVersionError)
  assert.throws(() => selectCodec(h({ 'upload-draft-interop-version': '6.0' })), UnsupportedVersionError)
})

describe('reading creation requests', () => {
  test('the completeness field per version; absent or invalid = not resumable', () => {
    assert.equal(codecFor(3)!.readCreation(h({ 'upload-incomplete': '?1' }))?.complete, false)
    assert.equal(codecFor(3)!.readCreation(h({ 'upload-complete': '?0' })), undefined)
    for (const v of [4, 5, 6, 7, 8, 9, 10]) {
      const c = codecFor(v)!
      assert.equal(c.readCreation(h({ 'upload-complete': '?0' }))?.complete, false)
      assert.equal(c.readCreation(h({ 'upload-complete': '?1' }))?.complete, true)
      assert.equal(c.readCreation(h({ 'upload-complete': 'true' })), undefined)
      assert.equal(c.readCreation(h({ 'upload-incomplete': '?1' })), undefined)
    }
  })
  test('length: from Content-Length when complete; Upload-Length from I6; contradictions throw', () => {
    assert.equal(codecFor(5)!.readCreation(h({ 'upload-complete': '?1', 'content-length': '10' }))?.length, 10)
    assert.equal(codecFor(5)!.readCreation(h({ 'upload-complete': '?0', 'upload-length': '10' }))?.length, undefined)
    assert.equal(codecFor(6)!.readCreation(h({ 'upload-complete': '?0', 'upload-length': '10' }))?.length, 10)
    assert.throws(
      () => codecFor(9)!.readCreation(h({ 'upload-complete': '?1', 'content-length': '5', 'upload-length': '6' })),
      InconsistentLengthError,
    )
    assert.throws(
      () => codecFor(9)!.readCreation(h({ 'upload-complete': '?0', 'upload-offset': '0' })),
      UnexpectedFieldError,
    )
  })
})

describe('reading appends', () => {
  const base = { 'upload-offset': '5', 'content-type': 'application/partial-upload' }
  test('Upload-Offset is required and must be an Integer', () => {
    assert.throws(() => codecFor(9)!.readAppend(h({ 'upload-complete': '?0' })), InvalidFieldError)
    assert.throws(
      () => codecFor(9)!.readAppend(h({ ...base, 'upload-offset': '-1', 'upload-complete': '?0' })),
      InvalidFieldError,
    )
  })
  test('media type from I6', () => {
    assert.equal(codecFor(5)!.readAppend(h({ 'upload-offset': '5', 'upload-complete': '?0' })).offset, 5)
    assert.throws(
      () => codecFor(6)!.readAppend(h({ 'upload-offset': '5', 'upload-complete': '?0' })),
      UnsupportedMediaTypeError,
    )
    assert.equal(
      codecFor(6)!.readAppend(
        h({ ...base, 'content-type': 'Application/Partial-Upload; x=1', 'upload-complete': '?0' }),
      ).offset,
      5,
    )
  })
  test('a missing completeness field: final in I3, not final in I4–I6, an error from I7', () => {
    assert.equal(codecFor(3)!.readAppend(h(base)).complete, true)
    for (const v of [4, 5, 6]) assert.equal(codecFor(v)!.readAppend(h(base)).complete, false)
    for (const v of [7, 8, 9, 10]) assert.throws(() => codecFor(v)!.readAppend(h(base)), InvalidFieldError)
  })
  test('a completing append fixes the length at offset + content length', () => {
    const a = codecFor(9)!.readAppend(h({ ...base, 'upload-complete': '?1', 'content-length': '3' }))
    assert.equal(a.length, 8)
  })
})

describe('writing responses', () => {
  test('append acknowledgements: 201 up to I6, 204 from I7, Upload-Offset always', () => {
    for (const c of codecs) {
      const r = c.appended(up, ctx)
      assert.equal(r.status, c.interop <= 6 ? 201 : 204)
      assert.equal(r.headers['upload-offset'], '5')
    }
  })
  test('Upload-Limit from I6 with the right lifetime key; none before', () => {
    const lctx = { limits: { maxSize: 9, maxAge: 30 }, now: 0 }
    assert.equal(codecFor(5)!.discovery(lctx).headers['upload-limit'], undefined)
    assert.equal(codecFor(6)!.discovery(lctx).headers['upload-limit'], 'max-size=9, expires=30')
    assert.equal(codecFor(7)!.discovery(lctx).headers['upload-limit'], 'max-size=9, max-age=30')
    assert.equal(
      codecFor(7)!.retrieved({ ...up, expiresAt: 10_500 }, lctx).headers['upload-limit'],
      'max-size=9, max-age=10',
    )
  })
  test('failures: status and problem type per version', () => {
    const type = (v: number, e: Error) => JSON.parse(codecFor(v)!.failure(e as never, 'append', ctx).body ?? '{}').type
    const status = (v: number, e: Error) => codecFor(v)!.failure(e as never, 'append', ctx).status
    assert.equal(status(5, new OffsetMismatchError(1, 2)), 409)
    assert.equal(type(5, new OffsetMismatchError(1, 2)), 'about:blank')
    assert.match(type(6, new OffsetMismatchError(1, 2)), /#mismatching-upload-offset$/)
    assert.equal(status(6, new UploadGoneError('x')), 404)
    assert.equal(status(7, new UploadGoneError('x')), 410)
    assert.equal(status(8, new CompletedUploadError(true)), 410)
    assert.match(type(8, new CompletedUploadError(false)), /#inconsistent-upload-length$/)
    assert.equal(status(9, new LimitError('max-size', 10, 5)), 413)
    assert.equal(status(9, new LimitError('min-append-size', 1, 5)), 400)
    assert.equal(codecFor(7)!.failure(new OffsetMismatchError(1, 2), 'append', ctx).headers['upload-complete'], '?0')
    assert.equal(
      codecFor(6)!.failure(new OffsetMismatchError(1, 2), 'append', ctx).headers['upload-complete'],
      undefined,
    )
  })
})

describe('the client side', () => {
  test('request fields per version', () => {
    assert.deepEqual(codecFor(3)!.creationFields({ complete: false }), {
      'upload-draft-interop-version': '3',
      'upload-incomplete': '?1',
    })
    assert.deepEqual(codecFor(6)!.appendFields({ offset: 4, complete: true, length: 9 }), {
      'upload-draft-interop-version': '6',
      'upload-complete': '?1',
      'upload-length': '9',
      'upload-offset': '4',
      'content-type': 'application/partial-upload',
    })
  })
  test('readResponse reads what the server side writes', () => {
    for (const c of codecs) {
      const r = c.created(
        'http://x/files/a',
        { offset: 3, length: 10, complete: false, expiresAt: undefined },
        {
          limits: { maxSize: 100 },
          now: 0,
        },
      )
      const info = c.readResponse(h(r.headers))
      assert.equal(info.location, 'http://x/files/a')
      assert.equal(info.offset, 3)
      assert.equal(info.complete, false)
      if (c.interop >= 6) {
        assert.equal(info.length, 10)
        assert.equal(info.limits?.maxSize, 100)
      }
      assert.equal(c.readResponse(h(c.announce('u', up, ctx))).interopMatches, true)
    }
  })
})
