/** End-to-end runs against rufh's own server (in process), with an instrumented store. */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import type { LoadOptions } from './options.js'
import { planOf, runLoad, UnreachableError } from './run.js'
import { startTestServer, type TestServer } from './servers.test.helper.js'

const KiB = 1024
const MiB = 1024 * 1024

const servers: TestServer[] = []
after(() => Promise.all(servers.map((s) => s.close())))

async function server(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const s = await startTestServer(options)
  servers.push(s)
  return s
}

function options(url: string, o: Partial<LoadOptions> = {}): LoadOptions {
  return {
    url,
    protocol: 'ietf',
    interop: 9,
    model: { kind: 'closed', users: 4, uploadsPerUser: 3 },
    size: { kind: 'uniform', min: 256 * KiB, max: 2 * MiB },
    chunkSize: 512 * KiB,
    seed: 11,
    verify: { kind: 'get' },
    ...o,
  }
}

describe('runLoad against rufh serve', () => {
  it('counts exactly the bytes it sends: sent = payload = bytes the server stored', async () => {
    const s = await server()
    const o = options(s.url)
    const r = await runLoad(o)
    assert.equal(r.ok, true, JSON.stringify(r.failures))
    assert.equal(r.uploads.started, 12)
    assert.equal(r.uploads.verified, 12)
    const sizes = Array.from({ length: 12 }, (_, i) => planOf(o.seed, i, o.size).size)
    const payload = sizes.reduce((a, b) => a + b, 0)
    assert.equal(r.bytes.payload, payload)
    assert.equal(r.bytes.sent, payload)
    assert.equal(s.store.appended, payload)
    assert.equal(r.bytes.accepted, payload)
    assert.equal(r.bytes.resent, 0)
    assert.equal(r.bytes.verified, payload)
    // Careful creation: one empty creation, then ceil(size / chunk) appends, the last one completing.
    const requests = sizes.map((n) => Math.ceil(n / (512 * KiB)))
    assert.equal(r.latency.creation.count, 12)
    assert.equal(r.latency.completion.count, 12)
    assert.equal(
      r.latency.append.count,
      requests.reduce((a, b) => a + b - 1, 0),
    )
    assert.equal(r.latency.download.count, 12)
    assert.equal(r.latency.retrieval.count, 0)
    // rufh announces every upload with a 104 (interop 9 named in every request).
    assert.equal(r.interim['104'], 12)
    assert.ok(
      r.throughput.goodputBytesPerSecond > 0 && r.throughput.rawBytesPerSecond >= r.throughput.goodputBytesPerSecond,
    )
    assert.ok(r.latency.creation.p50 > 0 && r.latency.creation.p50 <= r.latency.creation.max)
  })

  it('interrupted uploads resume from the retrieved offset and verify', async () => {
    const s = await server()
    const r = await runLoad(options(s.url, { interrupt: 0.5, seed: 12, verify: { kind: 'dir', path: s.dir } }))
    assert.equal(r.ok, true, JSON.stringify(r.failures))
    assert.equal(r.uploads.verified, 12)
    assert.ok(r.interruptions.injected >= 5, `${r.interruptions.injected} cuts`)
    assert.equal(r.interruptions.networkErrors, 0)
    assert.equal(r.interruptions.resumed, r.interruptions.injected)
    assert.equal(r.timeToResume.count, r.interruptions.resumed)
    assert.equal(r.latency.retrieval.count, r.interruptions.resumed)
    // What the server stored is what was sent minus what was lost in the cuts.
    assert.equal(r.bytes.sent - r.bytes.resent, s.store.appended)
    assert.equal(s.store.appended, r.bytes.payload)
    assert.ok(r.bytes.sent > r.bytes.payload)
  })

  it('optimistic creations cut mid-body resume at the Location of their 104', async () => {
    // A slow store and large uploads, so that most cut points come after the server's 104 (which follows the upload's
    // creation): the first few MiB of a body fit in the loopback socket buffers before the server reads any of it,
    // and a cut there races the 104 (with 4–8 MiB uploads, as few as 1 cut in 4 came after it).
    const s = await server({ delayMs: 3 })
    const r = await runLoad(
      options(s.url, {
        creation: 'optimistic',
        chunkSize: undefined,
        size: { kind: 'uniform', min: 12 * MiB, max: 16 * MiB },
        interrupt: 0.6,
        seed: 13,
        model: { kind: 'closed', users: 3, uploadsPerUser: 3 },
      }),
    )
    assert.equal(r.ok, true, JSON.stringify(r.failures))
    assert.equal(r.uploads.verified, 9)
    assert.ok(r.interruptions.injected >= 4, `${r.interruptions.injected} cuts`)
    // Each upload is one creation carrying everything: an append exists only where a cut creation was resumed at
    // the 104's Location. A cut that came before the 104 restarts the upload instead.
    assert.ok(r.interruptions.resumed >= 1, `${r.interruptions.resumed} resumed`)
    assert.ok(r.latency.completion.count >= 1)
    assert.ok(r.latency.creation.count < 9, 'a creation cut is not timed: its upload completes with an append')
    assert.equal(r.interruptions.injected, r.interruptions.resumed + r.uploads.restarts)
    // Restarted uploads leave their first bytes in abandoned uploads on the server.
    assert.equal(r.bytes.sent - r.bytes.resent, r.bytes.payload)
    assert.ok(s.store.appended >= r.bytes.payload)
  })

  it('retrieves the offset before every append with headBetweenAppends', async () => {
    const s = await server()
    const r = await runLoad(
      options(s.url, { headBetweenAppends: true, model: { kind: 'closed', users: 2, uploadsPerUser: 2 } }),
    )
    assert.equal(r.ok, true)
    assert.equal(r.latency.retrieval.count, r.latency.append.count + r.latency.completion.count)
  })

  it("keeps appends within the server's announced max-append-size", async () => {
    const s = await server({ limits: { maxAppendSize: 300 * KiB } })
    const o = options(s.url, { chunkSize: undefined, model: { kind: 'closed', users: 2, uploadsPerUser: 2 } })
    const r = await runLoad(o)
    assert.equal(r.ok, true, JSON.stringify(r.failures))
    const requests = Array.from({ length: 4 }, (_, i) => Math.ceil(planOf(o.seed, i, o.size).size / (300 * KiB)))
    assert.equal(
      r.latency.append.count + r.latency.completion.count,
      requests.reduce((a, b) => a + b, 0),
    )
    assert.equal(r.statusCodes['413'], undefined)
  })

  it('catches a corrupting server with --verify get and with --verify dir', async () => {
    for (const verify of ['get', 'dir'] as const) {
      const s = await server({ corruptEvery: 3 })
      const r = await runLoad(
        options(s.url, { verify: verify === 'get' ? { kind: 'get' } : { kind: 'dir', path: s.dir } }),
      )
      assert.equal(r.ok, false, verify)
      assert.equal(s.store.corrupted.size, 4)
      assert.equal(r.uploads.corrupt, 4, verify)
      assert.equal(r.uploads.verified, 8, verify)
      const bad = r.failures.map((f) => new URL(f.url!).pathname.split('/').pop())
      assert.deepEqual(new Set(bad), s.store.corrupted)
      for (const f of r.failures) assert.match(f.reason, /sha256 mismatch/)
    }
  })

  it('ends within its time bound, aborting uploads still running after the grace period', async () => {
    const s = await server({ delayMs: 40 })
    const t0 = performance.now()
    const r = await runLoad(
      options(s.url, {
        model: { kind: 'closed', users: 3, uploadsPerUser: undefined },
        size: { kind: 'fixed', size: 8 * MiB },
        durationMs: 400,
        graceMs: 300,
        verify: { kind: 'none' },
      }),
    )
    const seconds = (performance.now() - t0) / 1000
    assert.ok(r.wallSeconds < 0.4 + 0.3 + 0.5, `wall ${r.wallSeconds}`)
    assert.ok(seconds < 3, `${seconds} s in all`)
    assert.equal(r.uploads.started, 3)
    assert.equal(r.uploads.unfinished, 3)
    assert.equal(r.uploads.failed, 0)
  })

  it('the open model starts uploads at the arrival rate until its duration', async () => {
    const s = await server()
    const r = await runLoad(
      options(s.url, {
        model: { kind: 'open', ratePerSecond: 40, uploads: undefined, maxInFlight: 64 },
        size: { kind: 'fixed', size: 16 * KiB },
        durationMs: 1000,
      }),
    )
    assert.ok(r.uploads.started >= 36 && r.uploads.started <= 41, `${r.uploads.started} started`)
    assert.equal(r.uploads.verified, r.uploads.started)
    assert.equal(r.uploads.skippedArrivals, 0)
  })

  it('an open model with a count bound stops after that many uploads', async () => {
    const s = await server()
    const r = await runLoad(
      options(s.url, {
        model: { kind: 'open', ratePerSecond: 200, uploads: 7, maxInFlight: 64 },
        size: { kind: 'fixed', size: 16 * KiB },
      }),
    )
    assert.equal(r.uploads.started, 7)
    assert.equal(r.uploads.verified, 7)
  })

  it('memory does not grow with upload size', async () => {
    const s = await server()
    const r = await runLoad(
      options(s.url, {
        model: { kind: 'closed', users: 1, uploadsPerUser: 1 },
        size: { kind: 'fixed', size: 256 * MiB },
        chunkSize: undefined,
        verify: { kind: 'none' },
      }),
    )
    assert.equal(r.uploads.completed, 1)
    const growth = r.client.peakRssBytes - r.client.rssStartBytes
    assert.ok(growth < 96 * MiB, `RSS grew ${Math.round(growth / MiB)} MiB during a 256 MiB upload`)
  })

  it('scrapes a Prometheus endpoint before and after, and reports what changed', async () => {
    const s = await server()
    let scrapes = 0
    const metrics = createServer((_req, res) => {
      scrapes++
      res.end(`# TYPE scrapes counter\nscrapes_total ${scrapes}\nsteady{a="b"} 5\n`)
    })
    await new Promise<void>((r) => metrics.listen(0, '127.0.0.1', () => r()))
    after(() => new Promise((r) => metrics.close(r)))
    const port = (metrics.address() as AddressInfo).port
    const r = await runLoad(
      options(s.url, {
        model: { kind: 'closed', users: 1, uploadsPerUser: 1 },
        serverMetricsUrl: `http://127.0.0.1:${port}/metrics`,
      }),
    )
    assert.equal(scrapes, 2)
    assert.deepEqual(r.serverMetrics?.series, { scrapes_total: { before: 1, after: 2, delta: 1 } })
  })

  it("reads rufh serve's own metrics: the bytes and uploads the server counted are the ones it was sent", async () => {
    const s = await server({ metrics: true })
    const r = await runLoad(
      options(s.url, {
        model: { kind: 'closed', users: 2, uploadsPerUser: 2 },
        serverMetricsUrl: `${new URL(s.url).origin}/metrics`,
      }),
    )
    assert.equal(r.serverMetrics?.error, undefined)
    const series = r.serverMetrics?.series ?? {}
    assert.equal(series['rufh_bytes_received_total']?.delta, r.bytes.payload)
    assert.equal(series['rufh_uploads_created_total']?.delta, 4)
    assert.equal(series['rufh_uploads_finished_total']?.delta, 4)
  })

  it('refuses to start when the target does not answer', async () => {
    await assert.rejects(runLoad(options('http://127.0.0.1:1/files/')), UnreachableError)
  })
})
