/** Unit tests: seeds, payloads, size distributions, histograms and the timeline, the chart and Markdown. */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { Metrics, summarize } from './metrics.js'
import { BLOCK_SIZE, PayloadSource } from './payload.js'
import { renderMarkdown } from './report/markdown.js'
import type { Report } from './report/model.js'
import { renderChart } from './report/svg.js'
import { deriveSeed, parseSeed, Rng } from './rng.js'
import { planOf } from './run.js'
import { DistributionError, parseDistribution, sampleSize } from './sizes.js'
import { parseVerify, uploadIdOf } from './verify.js'

const parseSize = (s: string) => {
  const m = /^(\d+)(KiB|MiB)?$/.exec(s.trim())
  if (!m) throw new Error(`bad size ${s}`)
  return Number(m[1]) * (m[2] === 'MiB' ? 1024 * 1024 : m[2] === 'KiB' ? 1024 : 1)
}

describe('seeds and payloads', () => {
  it('the same seed gives the same numbers, another seed others', () => {
    const a = new Rng(42)
    const b = new Rng(42)
    const c = new Rng(43)
    const xs = Array.from({ length: 8 }, () => a.u32())
    assert.deepEqual(
      xs,
      Array.from({ length: 8 }, () => b.u32()),
    )
    assert.notDeepEqual(
      xs,
      Array.from({ length: 8 }, () => c.u32()),
    )
    assert.notEqual(deriveSeed(1, 0), deriveSeed(1, 1))
    assert.equal(parseSeed('17'), 17)
    assert.equal(parseSeed('nightly'), parseSeed('nightly'))
  })

  it('ints stay in range and floats in [0, 1)', () => {
    const r = new Rng(7)
    for (let i = 0; i < 10_000; i++) {
      const n = r.int(3, 9)
      assert.ok(n >= 3 && n <= 9 && Number.isInteger(n))
      const f = r.float()
      assert.ok(f >= 0 && f < 1)
    }
  })

  it('a payload read from any offset equals the same bytes of the whole payload', () => {
    const p = new PayloadSource(5)
    const size = 3 * BLOCK_SIZE + 1234
    const whole = Buffer.concat([...p.chunks(99, 0, size)])
    assert.equal(whole.length, size)
    const r = new Rng(1)
    for (let i = 0; i < 50; i++) {
      const a = r.int(0, size - 1)
      const b = r.int(a, size)
      assert.ok(Buffer.concat([...p.chunks(99, a, b)]).equals(whole.subarray(a, b)), `bytes ${a}-${b}`)
    }
  })

  it('blocks differ within and across uploads; the digest is the hash of the bytes', async () => {
    const p = new PayloadSource(5)
    assert.ok(!p.block(1, 0).equals(p.block(1, 1)))
    assert.ok(!p.block(1, 0).equals(p.block(2, 0)))
    assert.ok(new PayloadSource(6).block(1, 0).equals(new PayloadSource(6).block(1, 0)))
    const size = 2 * BLOCK_SIZE + 17
    const expected = createHash('sha256')
      .update(Buffer.concat([...p.chunks(3, 0, size)]))
      .digest('hex')
    assert.equal(await p.digest(3, size), expected)
  })
})

describe('size distributions', () => {
  it('parses fixed, ranges, choices and log-normal', () => {
    assert.deepEqual(parseDistribution('1MiB', parseSize), { kind: 'fixed', size: 1048576 })
    assert.deepEqual(parseDistribution('256KiB-2MiB', parseSize), { kind: 'uniform', min: 262144, max: 2097152 })
    assert.deepEqual(parseDistribution('uniform:1..10', parseSize), { kind: 'uniform', min: 1, max: 10 })
    assert.deepEqual(parseDistribution('choice:1KiB,2KiB', parseSize), { kind: 'choice', sizes: [1024, 2048] })
    assert.deepEqual(parseDistribution('lognormal:1MiB,1.5', parseSize), {
      kind: 'lognormal',
      median: 1048576,
      sigma: 1.5,
    })
    assert.throws(() => parseDistribution('2MiB-1MiB', parseSize), DistributionError)
    assert.throws(() => parseDistribution('pareto:1', parseSize), DistributionError)
    assert.throws(() => parseDistribution('lognormal:1MiB', parseSize), DistributionError)
  })

  it('samples stay within the distribution, and upload i has the same size in every run', () => {
    const d = parseDistribution('256KiB-2MiB', parseSize)
    const r = new Rng(3)
    for (let i = 0; i < 1000; i++) {
      const s = sampleSize(d, r)
      assert.ok(s >= 262144 && s <= 2097152)
    }
    assert.deepEqual(planOf(9, 4, d), planOf(9, 4, d))
    assert.notEqual(planOf(9, 4, d).seed, planOf(9, 5, d).seed)
  })
})

describe('verification specs', () => {
  it('parses get, none and dir:PATH, and finds the upload id in a URL', () => {
    assert.deepEqual(parseVerify('dir:/tmp/x'), { kind: 'dir', path: '/tmp/x' })
    assert.deepEqual(parseVerify('get'), { kind: 'get' })
    assert.throws(() => parseVerify('dir:'))
    assert.equal(uploadIdOf(new URL('http://h/files/abc-123')), 'abc-123')
    assert.equal(uploadIdOf(new URL('http://h/files/abc/')), 'abc')
    assert.equal(uploadIdOf(new URL('http://h/files/%2e%2e')), undefined)
  })
})

describe('metrics', () => {
  it('percentiles come from the histogram and never exceed the maximum', () => {
    const m = new Metrics()
    for (let i = 1; i <= 1000; i++) m.request('append', i / 10, { status: 204 })
    const s = summarize(m.latency.append)
    assert.equal(s.count, 1000)
    assert.ok(Math.abs(s.p50 - 50) < 0.1, `p50 ${s.p50}`)
    assert.ok(Math.abs(s.p99 - 99) < 0.1, `p99 ${s.p99}`)
    assert.ok(s.p999 <= s.max && s.max === 100)
    assert.equal(m.statusCodes.get('204'), 1000)
  })

  it('the timeline keeps its totals when buckets merge', () => {
    const m = new Metrics(1)
    const start = m.now()
    let sent = 0
    while (m.now() - start < 400) {
      m.sent(10)
      m.request('append', 1, { status: 204 })
      sent += 10
    }
    const t = m.timeline()
    assert.ok(t.length <= 240, `${t.length} buckets`)
    assert.equal(
      t.reduce((a, p) => a + p.sentBytes, 0),
      sent,
    )
    assert.equal(
      t.reduce((a, p) => a + p.requests, 0),
      sent / 10,
    )
  })
})

describe('reports', () => {
  const m = new Metrics(100)
  for (let i = 0; i < 50; i++) {
    m.sent(1000)
    m.accepted(900)
    m.request('append', 5 + i, { status: 204 })
  }
  const timeline = m.timeline()

  it('the chart is one SVG with latency and throughput paths and no invalid numbers', () => {
    const svg = renderChart([{ label: 'A <x>', timeline, wallSeconds: 1 }], 'title & more')
    assert.equal(svg.match(/<svg /g)?.length, 1)
    assert.ok(svg.trimEnd().endsWith('</svg>'))
    assert.ok(!/NaN|Infinity|undefined/.test(svg))
    assert.equal(svg.match(/<path d="M/g)?.length, 5)
    assert.ok(svg.includes('A &lt;x&gt;') && svg.includes('title &amp; more'))
  })

  it('a run shorter than half an interval still charts its one interval', () => {
    const one = [{ t: 0, seconds: 1, sentBytes: 4000, acceptedBytes: 4000, requests: 4, p50: 3, p90: 5, p99: 6 }]
    const svg = renderChart([{ label: 'short', timeline: one, wallSeconds: 0.2 }], 'short run')
    assert.equal(svg.match(/<path d="M/g)?.length, 5)
    assert.ok(!/NaN|Infinity|undefined/.test(svg))
  })

  it('Markdown shows the result, throughput and a latency row per procedure used', () => {
    const latency = { count: 3, mean: 2, p50: 2, p90: 3, p99: 3, p999: 3, max: 3 }
    const none = { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 }
    const report = {
      startedAt: 'now',
      target: 'http://x/files/',
      protocol: 'interop-9',
      settings: { model: 'closed', size: '1 MiB', chunkSize: null, creation: 'careful', interrupt: 0, seed: 1 },
      wallSeconds: 2,
      uploads: { started: 3, completed: 3, verified: 2, corrupt: 1, failed: 0, unfinished: 0 },
      throughput: { goodputBytesPerSecond: 2e6, goodputBasis: 'verified', rawBytesPerSecond: 3e6 },
      bytes: { payload: 3, sent: 3, resent: 0 },
      interruptions: { injected: 0, networkErrors: 0, resumed: 0 },
      interim: {},
      statusCodes: { '204': 3 },
      client: { cpuPercent: 10, peakRssBytes: 1 },
      latency: { creation: latency, append: none, completion: latency, retrieval: none, download: none },
      timeToResume: none,
      errors: {},
      failures: [{ index: 1, size: 3, reason: 'integrity: sha256 mismatch' }],
      ok: false,
    } as unknown as Report
    const md = renderMarkdown(report, 'chart.svg')
    assert.match(md, /\| result \| \*\*FAILED\*\* \|/)
    assert.match(md, /\| goodput \(verified\) \| 2\.00 MB\/s \|/)
    assert.match(md, /\| creation \| 3 \|/)
    assert.doesNotMatch(md, /\| append \|/)
    assert.match(md, /sha256 mismatch/)
    assert.match(md, /!\[.*\]\(chart\.svg\)/)
  })
})
