import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { codecFor, type ResponseInfo } from '@rufh/protocol'
import { StreamSource } from '../sources/stream.js'
import { classify, type Exchange } from './classify.js'
import { backoff, defaultRetryPolicy, parseRetryAfter, retryDelay } from './retry.js'
import { Sizing } from './sizing.js'
import { candidateCodecs } from './versions.js'

const info = (over: Partial<ResponseInfo> = {}): ResponseInfo => ({
  location: undefined,
  offset: undefined,
  complete: undefined,
  length: undefined,
  limits: undefined,
  interopMatches: false,
  ...over,
})
const ex = (over: Partial<Exchange>): Exchange => ({
  procedure: 'append',
  status: 500,
  info: info(),
  problem: undefined,
  retryAfter: undefined,
  targetSemantics: false,
  ...over,
})

describe('retry policy', () => {
  it('grows exponentially, is capped, and jitters within [d/2, d]', () => {
    const p = { ...defaultRetryPolicy, baseDelay: 100, maxDelay: 1000, jitter: false }
    assert.deepEqual(
      [0, 1, 2, 3, 4, 10].map((a) => backoff(p, a)),
      [100, 200, 400, 800, 1000, 1000],
    )
    const j = { ...p, jitter: true }
    assert.equal(
      backoff(j, 2, () => 0),
      200,
    )
    assert.equal(
      backoff(j, 2, () => 1),
      400,
    )
  })
  it('parses Retry-After as seconds or an HTTP-date, and honours it over a shorter backoff', () => {
    const now = Date.parse('2026-11-24T10:00:00Z')
    assert.equal(parseRetryAfter('3', now), 3000)
    assert.equal(parseRetryAfter('Tue, 24 Nov 2026 10:00:05 GMT', now), 5000)
    assert.equal(parseRetryAfter('soon', now), undefined)
    assert.equal(parseRetryAfter(null, now), undefined)
    const p = { ...defaultRetryPolicy, baseDelay: 100, jitter: false, maxRetryAfter: 10_000 }
    assert.equal(retryDelay(p, 0, 3000), 3000)
    assert.equal(retryDelay(p, 0, 60_000), 10_000)
    assert.equal(retryDelay(p, 0, undefined), 100)
  })
})

describe('classify', () => {
  it('retries 5xx, 429, 423 and 408 with Retry-After', () => {
    for (const status of [500, 502, 503, 429, 423, 408])
      assert.deepEqual(classify(ex({ status, retryAfter: 7 })), { kind: 'retry', retryAfter: 7 })
  })
  it('retries an append or creation that rufh says was interrupted (preempted or idle), not other 400s', () => {
    const problem = { type: 'about:blank', code: 'ERR_UPLOAD_INTERRUPTED' }
    assert.deepEqual(classify(ex({ status: 400, procedure: 'append', problem })), {
      kind: 'retry',
      retryAfter: undefined,
    })
    assert.equal(classify(ex({ status: 400, procedure: 'creation', problem })).kind, 'retry')
    assert.equal(
      classify(ex({ status: 400, procedure: 'append', problem: { type: 'x', code: 'ERR_X' } })).kind,
      'fatal',
    )
  })
  it('resyncs a 409 from Upload-Offset or the problem’s expected-offset', () => {
    assert.deepEqual(classify(ex({ status: 409, info: info({ offset: 42 }) })), { kind: 'resync', offset: 42 })
    const problem = { type: 'x', 'expected-offset': 9 }
    assert.deepEqual(classify(ex({ status: 409, problem })), { kind: 'resync', offset: 9 })
    assert.deepEqual(classify(ex({ status: 409 })), { kind: 'resync', offset: undefined })
  })
  it('shrinks on 413 unless max-size was hit', () => {
    const limits = { maxAppendSize: 100 }
    assert.deepEqual(classify(ex({ status: 413, info: info({ limits }) })), { kind: 'shrink', maxAppendSize: 100 })
    assert.deepEqual(classify(ex({ status: 413, problem: { type: 'x', limit: 'max-size' } })), { kind: 'fatal' })
  })
  it('treats 404/410 after creation as gone, and a refused creation as a version problem', () => {
    assert.deepEqual(classify(ex({ status: 404, procedure: 'retrieval' })), { kind: 'gone' })
    assert.deepEqual(classify(ex({ status: 410 })), { kind: 'gone' })
    const problem = { type: 'about:blank', code: 'ERR_UNSUPPORTED_VERSION', supported: [5, 6] }
    assert.deepEqual(classify(ex({ status: 400, procedure: 'creation', problem })), {
      kind: 'version',
      supported: [5, 6],
    })
    assert.deepEqual(classify(ex({ status: 412, procedure: 'creation' })), { kind: 'version', supported: undefined })
    const genuine = { type: 'x', code: 'ERR_INCONSISTENT_LENGTH' }
    assert.deepEqual(classify(ex({ status: 400, procedure: 'creation', problem: genuine })), { kind: 'fatal' })
    assert.deepEqual(classify(ex({ status: 403 })), { kind: 'fatal' })
  })
  it('stops when an I9 response carries Upload-Complete: ?1 (the target resource answered)', () => {
    const x = ex({ status: 500, info: info({ complete: true }), targetSemantics: true })
    assert.deepEqual(classify(x), { kind: 'final' })
    assert.equal(classify({ ...x, targetSemantics: false }).kind, 'retry')
  })
})

describe('sizing', () => {
  it('applies max/min-append-size and shrinks after 413', () => {
    const s = new Sizing(Number.POSITIVE_INFINITY)
    assert.equal(s.appendSize, Number.POSITIVE_INFINITY)
    s.learn({ maxAppendSize: 1000, minAppendSize: 10 })
    assert.equal(s.appendSize, 1000)
    assert.equal(s.shrink(1000, undefined), true)
    assert.equal(s.appendSize, 500)
    assert.equal(s.shrink(500, 100), true)
    assert.equal(s.appendSize, 100)
    assert.equal(s.shrink(12, undefined), false)
    const t = new Sizing(4)
    t.learn({ minAppendSize: 64 })
    assert.equal(t.appendSize, 64)
  })
  it('rejects a known size above max-size', () => {
    const s = new Sizing(10)
    s.learn({ maxSize: 100 })
    s.checkSize(100)
    assert.throws(() => s.checkSize(101), { code: 'ERR_LIMIT_EXCEEDED', limit: 'max-size' })
  })
})

describe('versions', () => {
  it('tries newest first, or exactly what was asked', () => {
    assert.deepEqual(
      candidateCodecs('auto').map((c) => c.name),
      [10, 9, 8, 7, 6, 5, 4, 3].map((n) => `interop-${n}`).concat('tus-1.0.0'),
    )
    assert.deepEqual(
      candidateCodecs([5, 'tus', 8, 6]).map((c) => c.name),
      ['interop-8', 'interop-6', 'interop-5', 'tus-1.0.0'],
    )
    assert.equal(candidateCodecs(7)[0], codecFor(7))
    assert.throws(() => candidateCodecs(2 as 3), RangeError)
  })
})

async function* chunksOf(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size)
}
const text = (parts: AsyncIterable<Uint8Array>) =>
  (async () => {
    let s = ''
    for await (const p of parts) s += Buffer.from(p).toString()
    return s
  })()

describe('stream source', () => {
  const data = new TextEncoder().encode('abcdefghijklmnopqrstuvwxyz')
  it('slices without knowing the length, and knows the last slice by reading ahead', async () => {
    const s = new StreamSource(chunksOf(data, 4)[Symbol.asyncIterator]())
    const a = await s.slice(0, 10)
    assert.equal(await text(a.body.chunks()), 'abcdefghij')
    assert.equal(a.last, false)
    assert.equal(s.size, undefined)
    s.release(10)
    const b = await s.slice(10, 16)
    assert.equal(await text(b.body.chunks()), 'klmnopqrstuvwxyz')
    assert.equal(b.last, true)
    assert.equal(s.size, 26)
  })
  it('re-serves unconfirmed bytes, skips ahead, and refuses to rewind', async () => {
    const s = new StreamSource(chunksOf(data, 3)[Symbol.asyncIterator]())
    await s.slice(0, 8)
    s.release(5)
    const again = await s.slice(5, 8)
    assert.equal(await text(again.body.chunks()), 'fghijklm')
    await assert.rejects(s.slice(2, 4), { code: 'ERR_SOURCE' })
    const ahead = await s.slice(20, 100)
    assert.equal(await text(ahead.body.chunks()), 'uvwxyz')
    assert.equal(ahead.last, true)
  })
  it('holds at most one slice plus one read-ahead chunk, whatever the stream length', async () => {
    const big = new Uint8Array(1_000_000)
    const s = new StreamSource(chunksOf(big, 1000)[Symbol.asyncIterator]())
    let offset = 0
    let peak = 0
    for (;;) {
      const slice = await s.slice(offset, 50_000)
      peak = Math.max(peak, s.buffered)
      offset += slice.body.size
      s.release(offset)
      if (slice.last) break
    }
    assert.equal(offset, big.length)
    assert.ok(peak <= 50_000 + 1000, `peak ${peak}`)
  })
  it('checks a declared length', async () => {
    const s = new StreamSource(chunksOf(data, 5)[Symbol.asyncIterator](), 30)
    await assert.rejects(s.slice(0, 100), { code: 'ERR_SOURCE' })
    const t = new StreamSource(chunksOf(data, 5)[Symbol.asyncIterator](), 26)
    const all = await t.slice(0, 26)
    assert.equal(all.last, true)
  })
})
