/**
 * One upload, as a loop over three steps (draft §4: creation → append … → complete, with offset retrieval after any
 * interruption). `steps.ts` performs one step; this file owns the lifecycle: retries with backoff, pause/resume/abort,
 * persisted state, events.
 */
import type { ProtocolCodec } from '@rufh/protocol'
import { AbortedError, NetworkError, RetriesExhaustedError, UploadError } from '../errors.js'
import { Emitter } from './emitter.js'
import { Paused, Transient } from './exchange.js'
import type { Progress, UploadEvents, UploadOptions, UploadResult, UploadStatus } from './options.js'
import { defaultRetryPolicy, type RetryPolicy, retryDelay } from './retry.js'
import { Session } from './steps.js'
import type { Source, StateStore, Transport } from './types.js'
import { codecByName, interopOf } from './versions.js'

export interface UploadEnv {
  transport: Transport
  /** Overridable for tests. */
  now?: () => number
  random?: () => number
}

/** Default request size for sources that cannot rewind (their unacknowledged bytes stay in memory). */
export const STREAM_CHUNK_SIZE = 8 * 1024 * 1024
/** How long a version found by `auto` is trusted before it is found again (a server may be upgraded). */
export const VERSION_TTL_MS = 24 * 60 * 60 * 1000
/** Resync (409), shrink (413) and version steps that may follow each other without progress. */
const MAX_FREE_RETRIES = 24

export class Upload {
  private readonly events = new Emitter<UploadEvents>()
  private readonly policy: RetryPolicy
  private readonly store: StateStore | undefined
  private readonly session: Session
  private state: UploadStatus = 'idle'
  private running: Promise<UploadResult> | undefined
  /** Aborting it interrupts the current request or backoff wait (pause, abort). */
  private ctl = new AbortController()
  private wake: (() => void) | undefined
  private attempts = 0
  private free = 0

  constructor(
    readonly source: Source,
    readonly options: UploadOptions,
    private readonly env: UploadEnv,
  ) {
    this.policy =
      options.retry === false ? { ...defaultRetryPolicy, retries: 0 } : { ...defaultRetryPolicy, ...options.retry }
    this.store = options.store || undefined
    const chunkSize = options.chunkSize ?? (source.seekable ? Number.POSITIVE_INFINITY : STREAM_CHUNK_SIZE)
    this.session = new Session(source, options, env.transport, chunkSize, {
      now: env.now ?? Date.now,
      progress: (p) => this.progress(p),
      url: (url) => this.events.emit('url', { url }),
      version: (c) => this.events.emit('version', { interop: interopOf(c), protocol: c.name }),
      resumed: (url, offset) => this.events.emit('resumed', { url, offset }),
      persist: (rec) => this.persist(rec),
      learned: (codec) => this.learned(codec),
    })
    options.signal?.addEventListener('abort', () => void this.abort().catch(() => {}), { once: true })
  }

  on<K extends keyof UploadEvents>(name: K, fn: (e: UploadEvents[K]) => void): () => void {
    return this.events.on(name, fn)
  }

  get status(): UploadStatus {
    return this.state
  }
  /** The upload resource, once known. */
  get url(): string | undefined {
    return this.session.url
  }
  /** The offset the server confirmed last. */
  get offset(): number {
    return this.session.offset
  }
  /** The interop version in use (undefined for tus 1.0). */
  get interop(): number | undefined {
    return interopOf(this.session.codec)
  }
  /** The protocol in use: `interop-10`, …, `tus-1.0.0`. */
  get protocol(): string {
    return this.session.codec.name
  }

  /** Starts (or joins) the upload; resolves when the server has the whole representation. */
  start(): Promise<UploadResult> {
    this.running ??= this.run()
    return this.running
  }

  /** Stops sending; `resume()` continues from the server's offset. */
  pause(): void {
    if (this.state !== 'running') return
    this.setStatus('paused')
    this.ctl.abort(new Paused())
  }

  resume(): void {
    if (this.state !== 'paused') return
    this.setStatus('running')
    this.wake?.()
  }

  /**
   * Stops for good: `start()` rejects with `ERR_ABORTED`. With `cancel`, the upload resource is deleted on the server
   * (draft §4.5) and the persisted state dropped; without it, a later run can still resume.
   */
  async abort(opts: { cancel?: boolean } = {}): Promise<void> {
    if (this.state === 'completed' || this.state === 'aborted' || this.state === 'failed') return
    this.setStatus('aborted')
    this.ctl.abort(new AbortedError())
    this.wake?.()
    if (opts.cancel) {
      await this.session.cancel().catch(() => {})
      await this.forget()
    }
  }

  private async run(): Promise<UploadResult> {
    this.setStatus('running')
    try {
      await this.restore()
      await this.recallVersion()
      if (this.options.discover ?? this.options.interop === undefined) await this.guard(() => this.session.discover())
      for (;;) {
        await this.whilePaused()
        const result = await this.guard(() => this.session.step())
        if (result) {
          await this.forget()
          this.setStatus('completed')
          await this.source.close().catch(() => {})
          return result
        }
      }
    } catch (e) {
      if (this.state !== 'aborted') this.setStatus('failed')
      await this.source.close().catch(() => {})
      if (e instanceof UploadError && (e.code === 'ERR_UPLOAD_GONE' || e.code === 'ERR_UPLOAD_NOT_FOUND'))
        await this.forget()
      throw e
    }
  }

  /** Runs one step; transient failures are retried after a backoff, pauses are waited out. */
  private async guard<T>(fn: () => Promise<T>): Promise<T | undefined> {
    if (this.state === 'aborted') throw new AbortedError()
    this.ctl = new AbortController()
    this.session.signal = this.ctl.signal
    const before = this.session.offset
    try {
      const r = await fn()
      if (this.session.offset > before) this.progressed()
      if (this.session.freeRetry) {
        this.session.freeRetry = false
        if (++this.free > MAX_FREE_RETRIES)
          throw this.session.lastError ?? new UploadError('ERR_PROTOCOL', 'no progress')
      }
      return r
    } catch (e) {
      if (this.session.offset > before) this.progressed()
      const state = this.status
      if (state === 'aborted') throw new AbortedError()
      if (e instanceof Paused || state === 'paused') {
        this.session.interrupted()
        return undefined
      }
      const transient = e instanceof Transient ? e : e instanceof NetworkError ? new Transient(e) : undefined
      if (!transient) throw e
      this.session.interrupted()
      if (this.attempts >= this.policy.retries) throw new RetriesExhaustedError(this.attempts + 1, transient.error)
      const delay = retryDelay(this.policy, this.attempts, transient.retryAfter, this.env.random)
      this.attempts++
      this.events.emit('retry', { attempt: this.attempts, delay, error: transient.error })
      await this.sleep(delay)
      return undefined
    }
  }

  private progressed(): void {
    this.attempts = 0
    this.free = 0
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.ctl.signal
    return new Promise((resolve) => {
      const t = setTimeout(done, ms)
      function done() {
        clearTimeout(t)
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done, { once: true })
    })
  }

  private async whilePaused(): Promise<void> {
    while (this.state === 'paused') await new Promise<void>((r) => (this.wake = r))
    this.wake = undefined
    if (this.status === 'aborted') throw new AbortedError()
  }

  private setStatus(status: UploadStatus): void {
    if (this.state === status) return
    this.state = status
    this.events.emit('status', { status })
  }

  private progress(p: Progress): void {
    this.events.emit('progress', p)
    this.options.onProgress?.(p)
  }

  // ---- persisted state ----

  private key: string | undefined
  private persisting: Promise<void> = Promise.resolve()

  private async restore(): Promise<void> {
    if (!this.store) return
    const fp = this.options.fingerprint ?? (await this.source.fingerprint())
    if (!fp) return
    this.key = `${this.session.endpoint} ${fp}`
    const rec = await this.store.get(this.key).catch(() => undefined)
    if (!rec) return
    const codec = codecByName(rec.protocol)
    const usable =
      rec.endpoint === this.session.endpoint &&
      codec !== undefined &&
      this.session.accepts(codec) &&
      rec.size === this.source.size &&
      (rec.expiresAt === undefined || rec.expiresAt > (this.env.now ?? Date.now)())
    if (usable) this.session.adopt(rec.url, codec)
    else await this.store.remove(this.key).catch(() => {})
  }

  /** `auto`: the version found at this endpoint by an earlier upload, if fresh and still acceptable. */
  private async recallVersion(): Promise<void> {
    const { store, session } = this
    if (!store?.getVersion || !session.choice.auto || session.url !== undefined) return
    const known = await store.getVersion(session.endpoint).catch(() => undefined)
    const now = (this.env.now ?? Date.now)()
    if (!known || known.checkedAt > now || now - known.checkedAt > VERSION_TTL_MS) return
    const codec = codecByName(known.protocol)
    if (codec && session.accepts(codec)) session.choice.useKnown(codec)
  }

  private learned(codec: ProtocolCodec | undefined): void {
    const { store } = this
    if (!store?.setVersion) return
    const value = codec && { protocol: codec.name, checkedAt: (this.env.now ?? Date.now)() }
    const endpoint = this.session.endpoint
    this.persisting = this.persisting.then(() => store.setVersion?.(endpoint, value)).catch(() => {})
  }

  private persist(rec: Parameters<StateStore['set']>[1]): void {
    const { store, key } = this
    if (!store || key === undefined) return
    this.persisting = this.persisting.then(() => store.set(key, rec)).catch(() => {})
  }

  private async forget(): Promise<void> {
    const { store, key } = this
    if (!store || key === undefined) return
    await this.persisting
    await store.remove(key).catch(() => {})
  }
}
