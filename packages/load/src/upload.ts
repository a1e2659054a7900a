/**
 * One upload, driven the way a real client must drive it: create (carefully with an empty request, or optimistically
 * with content), append in chunks, and after any interruption (an injected cut or a network error) retrieve the
 * offset and continue from there. A creation cut before the server said where the upload lives (no 104 with
 * Location) cannot be resumed: it starts again, and everything it sent counts as re-sent.
 */
import type { PayloadSource } from './payload.js'
import { append, type Body, create, type Outcome, retrieve, type Target } from './procedures.js'
import { deriveSeed, Rng } from './rng.js'

export interface UploadPlan {
  index: number
  /** Seeds the payload and this upload's cut points. */
  seed: number
  size: number
}

export interface UploadSettings {
  payload: PayloadSource
  /**
   * Bytes per request (creation with content, and appends); Infinity: everything in one request. Lowered to the
   * server's `max-append-size` when a response announces one, as a client must.
   */
  chunkSize: number
  creation: 'careful' | 'optimistic'
  headBetweenAppends: boolean
  /** Probability that a request carrying content is cut at a random point of its content. */
  interrupt: number
  maxCutsPerUpload: number
  /** Failures in a row (not counting injected cuts) after which the upload is given up. */
  maxFailures: number
}

export type UploadStatus = 'completed' | 'failed' | 'unfinished'

export interface UploadResult extends UploadPlan {
  status: UploadStatus
  reason: string | undefined
  url: URL | undefined
  /** Request-content bytes written for this upload. */
  sent: number
  /** Of those, bytes the server never acknowledged (lost to interruptions) or that went into an abandoned upload. */
  resent: number
  cuts: number
  restarts: number
}

const RETRYABLE = new Set([408, 423, 429, 500, 502, 503, 504])

function describe(proc: string, r: Outcome): string {
  if (r.status === 0) return `${proc}: ${r.error ?? 'no response'}`
  const detail = r.text.trim().replace(/\s+/g, ' ').slice(0, 200)
  return `${proc}: HTTP ${r.status}${detail ? ` ${detail}` : ''}`
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

export async function runUpload(t: Target, s: UploadSettings, plan: UploadPlan): Promise<UploadResult> {
  const { metrics, speaker } = t
  const rng = new Rng(deriveSeed(plan.seed, 1))
  const size = plan.size
  let url: URL | undefined
  let offset = 0
  let sent = 0
  let cuts = 0
  let restarts = 0
  let failures = 0
  let needOffset = false
  let interruptedAt: number | undefined
  /** The chunk size, lowered to the server's `max-append-size` once a response announces it. */
  let chunkSize = s.chunkSize
  const obeyLimits = (r: Outcome) => {
    const max = r.info.limits?.maxAppendSize
    if (max !== undefined && max > 0 && max < chunkSize) chunkSize = max
  }

  const body = (from: number, n: number): Body => ({ length: n, chunks: s.payload.chunks(plan.seed, from, from + n) })
  const cutFor = (n: number): number | undefined =>
    n >= 2 && cuts < s.maxCutsPerUpload && rng.chance(s.interrupt) ? rng.int(1, n - 1) : undefined
  const end = (status: UploadStatus, reason?: string): UploadResult => {
    const resent = Math.max(0, sent - offset)
    metrics.bytesResent += resent
    return { ...plan, status, reason, url, sent, resent, cuts, restarts }
  }
  /** A failure that is not an injected cut: give up after too many in a row, else wait a little. */
  const failed = async (reason: string): Promise<UploadResult | undefined> => {
    if (++failures > s.maxFailures) return end('failed', `${reason} (after ${failures} attempts)`)
    await sleep(Math.min(1000, 25 * 2 ** failures), t.signal)
    return undefined
  }
  const interrupted = (r: Outcome) => {
    if (r.cut) cuts++
    needOffset = true
    interruptedAt ??= metrics.now()
  }

  for (;;) {
    if (t.signal?.aborted) return end('unfinished', 'stopped at the run time limit')

    if (!url) {
      const n = s.creation === 'careful' ? 0 : Math.min(chunkSize, size)
      const complete = s.creation === 'optimistic' && n === size
      const cutAfter = cutFor(n)
      const r = await create(t, { length: size, complete, body: body(0, n), ...(cutAfter ? { cutAfter } : {}) })
      sent += r.sent
      obeyLimits(r)
      if (r.ok) {
        url = r.location ?? r.interimLocation
        offset = r.info.offset ?? n
        metrics.accepted(offset)
        failures = 0
        if (complete || (speaker.completesAtLength && offset === size)) return end('completed')
        if (!url) return end('failed', 'creation: the response carried no Location')
        continue
      }
      if (r.status === 0) {
        if (t.signal?.aborted) return end('unfinished', 'stopped at the run time limit')
        if (r.interimLocation) {
          // The 104 told us where the upload lives: resume it.
          url = r.interimLocation
          interrupted(r)
          continue
        }
        if (r.cut) cuts++
        restarts++
        metrics.restarts++
        if (!r.cut) {
          const gaveUp = await failed(describe('creation', r))
          if (gaveUp) return gaveUp
        }
        continue
      }
      metrics.error(`creation: HTTP ${r.status}`)
      // 413 with the limits: try again within them (draft-12: creation content obeys max-append-size).
      const smaller = r.status === 413 && chunkSize < n
      if (!RETRYABLE.has(r.status) && !smaller) return end('failed', describe('creation', r))
      const gaveUp = await failed(describe('creation', r))
      if (gaveUp) return gaveUp
      continue
    }

    if (needOffset || (s.headBetweenAppends && offset < size)) {
      const r = await retrieve(t, url)
      if (!r.ok || r.info.offset === undefined) {
        if (r.status === 0 && t.signal?.aborted) return end('unfinished', 'stopped at the run time limit')
        if (r.status !== 0) metrics.error(`retrieval: HTTP ${r.status}`)
        if (r.ok) metrics.error('retrieval: no valid Upload-Offset')
        if (r.status === 404 || r.status === 410) return end('failed', describe('retrieval', r))
        const gaveUp = await failed(describe('retrieval', r))
        if (gaveUp) return gaveUp
        continue
      }
      obeyLimits(r)
      if (interruptedAt !== undefined) metrics.resumedAfter(metrics.now() - interruptedAt)
      interruptedAt = undefined
      needOffset = false
      failures = 0
      const now = r.info.offset
      if (now < offset) metrics.error('retrieval: offset went backwards')
      metrics.accepted(now - offset)
      offset = now
      if (offset > size) return end('failed', `retrieval: offset ${offset} is past the upload's ${size} bytes`)
      if (r.info.complete === true || (speaker.completesAtLength && offset === size)) {
        if (offset !== size) return end('failed', `retrieval: complete at ${offset} of ${size} bytes`)
        return end('completed')
      }
    }

    const n = Math.min(chunkSize, size - offset)
    const complete = offset + n === size
    const cutAfter = cutFor(n)
    const r = await append(t, url, { offset, complete, body: body(offset, n), ...(cutAfter ? { cutAfter } : {}) })
    sent += r.sent
    obeyLimits(r)
    if (r.ok) {
      const now = r.info.offset ?? offset + n
      metrics.accepted(now - offset)
      offset = now
      failures = 0
      if (offset === size && (complete || speaker.completesAtLength)) return end('completed')
      if (offset > size) return end('failed', `append: offset ${offset} is past the upload's ${size} bytes`)
      continue
    }
    if (r.status === 0) {
      if (t.signal?.aborted) return end('unfinished', 'stopped at the run time limit')
      interrupted(r)
      if (!r.cut) {
        const gaveUp = await failed(describe('append', r))
        if (gaveUp) return gaveUp
      }
      continue
    }
    metrics.error(`${complete ? 'completion' : 'append'}: HTTP ${r.status}`)
    if (r.status === 409) {
      // Offsets disagree: ask the server where it stands, then carry on from there.
      needOffset = true
      const gaveUp = await failed(describe('append', r))
      if (gaveUp) return gaveUp
      continue
    }
    const smaller = r.status === 413 && chunkSize < n
    if (!RETRYABLE.has(r.status) && !smaller) return end('failed', describe(complete ? 'completion' : 'append', r))
    needOffset = true
    const gaveUp = await failed(describe('append', r))
    if (gaveUp) return gaveUp
  }
}
