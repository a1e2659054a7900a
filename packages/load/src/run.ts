/**
 * `runLoad`: probe the target, run the scenario (uploads with interruptions and resumption), verify what completed,
 * and build the report. Throws `UnreachableError` when the target does not answer HTTP at all.
 */
import { setMaxListeners } from 'node:events'
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { speakerFor } from './codec.js'
import { Metrics, PROCEDURES, sortedRecord, summarize } from './metrics.js'
import { DEFAULTS, type LoadOptions } from './options.js'
import { PayloadSource } from './payload.js'
import { probe, type Target } from './procedures.js'
import type { Report } from './report/model.js'
import { ResourceSampler } from './resources.js'
import { deriveSeed, Rng } from './rng.js'
import { describeModel, runScenario } from './scenario.js'
import { diff, type ServerMetrics, scrape } from './server-metrics.js'
import { describeDistribution, formatBytes, sampleSize } from './sizes.js'
import { runUpload, type UploadResult } from './upload.js'
import { describeVerify, Verifier } from './verify.js'

export class UnreachableError extends Error {
  readonly code = 'ERR_UNREACHABLE'
}

/** The size of upload `index` of a run: fixed by the seed, whatever the timing. */
export function planOf(seed: number, index: number, size: LoadOptions['size']) {
  const uploadSeed = deriveSeed(seed, index)
  return { index, seed: uploadSeed, size: sampleSize(size, new Rng(deriveSeed(seed, index, 7))) }
}

export async function runLoad(o: LoadOptions): Promise<Report> {
  const url = new URL(o.url)
  const speaker = o.speaker ?? speakerFor(o.protocol, o.interop)
  const metrics = new Metrics()
  const agent = url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true })
  const stop = new AbortController()
  // Every running request listens to it.
  setMaxListeners(0, stop.signal)
  const target: Target = {
    url,
    speaker,
    agent,
    timeoutMs: o.timeoutMs ?? DEFAULTS.timeoutMs,
    headers: o.headers ?? {},
    metrics,
    signal: stop.signal,
  }
  const startedAt = new Date().toISOString()
  try {
    const p = await probe(target)
    if (p.status === 0) throw new UnreachableError(`cannot reach ${url.href}: ${p.error}`)

    const metricsUrl = o.serverMetricsUrl ? new URL(o.serverMetricsUrl) : undefined
    let before: Map<string, number> | undefined
    let serverMetrics: ServerMetrics | undefined
    if (metricsUrl) {
      try {
        before = await scrape(target, metricsUrl)
      } catch (e) {
        serverMetrics = { url: metricsUrl.href, error: (e as Error).message, series: {} }
      }
    }

    const payload = new PayloadSource(o.seed)
    const settings = {
      payload,
      chunkSize: o.chunkSize ?? Number.POSITIVE_INFINITY,
      creation: o.creation ?? DEFAULTS.creation,
      headBetweenAppends: o.headBetweenAppends ?? false,
      interrupt: o.interrupt ?? DEFAULTS.interrupt,
      maxCutsPerUpload: o.maxCutsPerUpload ?? DEFAULTS.maxCutsPerUpload,
      maxFailures: o.maxFailures ?? DEFAULTS.maxFailures,
    }
    const done: UploadResult[] = []
    const failures: Report['failures'] = []
    const note = (r: { index: number; size: number; url: URL | undefined }, reason: string) => {
      if (failures.length < 50) failures.push({ index: r.index, size: r.size, url: r.url?.href, reason })
    }
    let unfinished = 0

    const resources = new ResourceSampler()
    let lastSent = 0
    const progressMs = o.progressIntervalMs ?? DEFAULTS.progressIntervalMs
    const ticker = o.onProgress
      ? setInterval(() => {
          const rate = ((metrics.bytesSent - lastSent) * 1000) / progressMs
          lastSent = metrics.bytesSent
          o.onProgress?.({
            elapsedSeconds: metrics.now() / 1000,
            started: metrics.started,
            completed: metrics.completed,
            failed: metrics.failed,
            inFlight: metrics.inFlight,
            bytesSent: metrics.bytesSent,
            sendRate: rate,
            cuts: metrics.injectedCuts,
            errors: [...metrics.errors.values()].reduce((a, b) => a + b, 0),
          })
        }, progressMs)
      : undefined

    const scenario = await runScenario(
      o.model,
      { durationMs: o.durationMs, graceMs: o.graceMs ?? DEFAULTS.graceMs },
      async (index) => {
        metrics.started++
        metrics.inFlight++
        try {
          const r = await runUpload(target, settings, planOf(o.seed, index, o.size))
          if (r.status === 'completed') {
            metrics.completed++
            done.push(r)
          } else if (r.status === 'failed') {
            metrics.failed++
            note(r, r.reason ?? 'failed')
          } else unfinished++
        } finally {
          metrics.inFlight--
        }
      },
      stop,
    )
    clearInterval(ticker)
    const client = resources.stop()
    const timeline = metrics.timeline()

    // Verification, after the load phase so that downloads do not compete with it.
    const v0 = performance.now()
    const verifier = new Verifier(o.verify, payload, { ...target, signal: undefined })
    let verified = 0
    let corrupt = 0
    let unverified = 0
    let verifiedBytes = 0
    const queue = [...done]
    const worker = async () => {
      for (let r = queue.shift(); r; r = queue.shift()) {
        const v = await verifier.verify(r)
        if (v.ok === true) {
          verified++
          verifiedBytes += r.size
        } else if (v.ok === false) {
          corrupt++
          note(r, `integrity: ${v.detail}`)
        } else unverified++
      }
    }
    await Promise.all(Array.from({ length: o.verifyConcurrency ?? DEFAULTS.verifyConcurrency }, worker))
    const verifySeconds = (performance.now() - v0) / 1000

    if (metricsUrl && before) {
      try {
        serverMetrics = diff(metricsUrl.href, before, await scrape(target, metricsUrl))
      } catch (e) {
        serverMetrics = { url: metricsUrl.href, error: (e as Error).message, series: {} }
      }
    }

    const wallSeconds = scenario.wallMs / 1000
    const payloadBytes = done.reduce((a, r) => a + r.size, 0)
    const basis = o.verify.kind === 'none' ? 'completed' : 'verified'
    const latency = Object.fromEntries(PROCEDURES.map((p) => [p, summarize(metrics.latency[p])])) as Report['latency']
    return {
      tool: 'rufh load',
      startedAt,
      target: url.href,
      protocol: speaker.name,
      settings: {
        model: describeModel(o.model),
        size: describeDistribution(o.size, formatBytes),
        chunkSize: Number.isFinite(settings.chunkSize) ? settings.chunkSize : null,
        creation: settings.creation,
        headBetweenAppends: settings.headBetweenAppends,
        interrupt: settings.interrupt,
        seed: o.seed,
        verify: describeVerify(o.verify),
        durationSeconds: o.durationMs !== undefined ? o.durationMs / 1000 : null,
      },
      wallSeconds,
      verifySeconds,
      uploads: {
        started: scenario.started,
        completed: done.length,
        verified,
        corrupt,
        unverified,
        failed: metrics.failed,
        unfinished,
        skippedArrivals: scenario.skipped,
        restarts: metrics.restarts,
      },
      bytes: {
        payload: payloadBytes,
        sent: metrics.bytesSent,
        accepted: metrics.bytesAccepted,
        resent: metrics.bytesResent,
        verified: verifiedBytes,
      },
      throughput: {
        goodputBytesPerSecond:
          wallSeconds > 0 ? (basis === 'verified' ? verifiedBytes : payloadBytes) / wallSeconds : 0,
        goodputBasis: basis,
        rawBytesPerSecond: wallSeconds > 0 ? metrics.bytesSent / wallSeconds : 0,
      },
      latency,
      timeToResume: summarize(metrics.resume),
      interruptions: {
        injected: metrics.injectedCuts,
        networkErrors: metrics.networkErrors,
        resumed: metrics.resumed,
      },
      interim: sortedRecord(metrics.interim),
      statusCodes: sortedRecord(metrics.statusCodes),
      errors: sortedRecord(metrics.errors),
      client,
      serverMetrics,
      failures,
      timeline,
      ok: done.length > 0 && metrics.failed === 0 && corrupt === 0,
    }
  } finally {
    agent.destroy()
  }
}
