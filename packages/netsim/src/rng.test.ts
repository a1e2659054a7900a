import assert from 'node:assert/strict'
import { test } from 'node:test'
import { normalizeSeed, Rng } from './rng.js'

const draw = (r: Rng, n: number): number[] => Array.from({ length: n }, () => r.nextU32())

test('the same seed and labels give the same sequence; any difference gives another', () => {
  const a = draw(Rng.derive(42, 'proxy', 3, 'latency'), 50)
  assert.deepEqual(draw(Rng.derive(42, 'proxy', 3, 'latency'), 50), a)
  assert.notDeepEqual(draw(Rng.derive(43, 'proxy', 3, 'latency'), 50), a)
  assert.notDeepEqual(draw(Rng.derive(42, 'proxy', 4, 'latency'), 50), a)
  assert.notDeepEqual(draw(Rng.derive(42, 'proxy', '3', 'latency'), 50), a)
})

test('next() is in [0, 1) and roughly uniform; int() stays within its inclusive bounds', () => {
  const r = new Rng(normalizeSeed(7))
  const buckets = new Array<number>(10).fill(0)
  for (let i = 0; i < 100_000; i++) {
    const x = r.next()
    assert.ok(x >= 0 && x < 1)
    buckets[Math.floor(x * 10)]!++
  }
  for (const b of buckets) assert.ok(b > 9_000 && b < 11_000, `bucket ${b} far from 10000`)
  const seen = new Set<number>()
  for (let i = 0; i < 10_000; i++) {
    const v = r.int(-3, 3)
    assert.ok(v >= -3 && v <= 3)
    seen.add(v)
  }
  assert.equal(seen.size, 7)
})

test('normalizeSeed keeps 32-bit seeds (a printed seed repeats its run), folds big ones, hashes strings', () => {
  assert.equal(normalizeSeed(42), 42)
  assert.equal(normalizeSeed(normalizeSeed('ci-run')), normalizeSeed('ci-run'))
  assert.equal(normalizeSeed(2 ** 40), normalizeSeed(2 ** 40))
  assert.notEqual(normalizeSeed(2 ** 40), normalizeSeed(2 ** 40 + 1))
  assert.notEqual(normalizeSeed(2 ** 32), normalizeSeed(0))
  assert.equal(normalizeSeed('ci-run'), normalizeSeed('ci-run'))
  assert.notEqual(normalizeSeed('ci-run'), normalizeSeed('ci-rum'))
  assert.throws(() => normalizeSeed(Number.NaN), RangeError)
})
