/**
 * The protocol steps of one upload: discovery (OPTIONS), creation, offset retrieval and append, each one exchange.
 * Header fields come only from the interop version's codec (`creationFields`, `appendFields`, `requestFields`,
 * `readResponse`); this file decides what to send next from what came back.
 */
import { type HeaderReader, type ProtocolCodec, type ResponseInfo, supportedVersionsOf } from '@rufh/protocol'
import { httpError, LimitExceededError, parseProblem, UploadError } from '../errors.js'
import { type Procedure, readFailure, refusedAsComplete } from './classify.js'
import { exchange, resolveUrl, Transient } from './exchange.js'
import type { Progress, UploadOptions, UploadResult } from './options.js'
import { Sizing } from './sizing.js'
import type { Body, Source, StoredUpload, Transport, TransportResponse } from './types.js'
import { VersionChoice } from './version-choice.js'
import { interopOf, isDraft } from './versions.js'

export interface SessionHooks {
  now: () => number
  progress: (p: Progress) => void
  url: (url: string) => void
  version: (codec: ProtocolCodec) => void
  resumed: (url: string, offset: number) => void
  persist: (rec: StoredUpload) => void
  /** `auto` found the endpoint's version, or found the remembered one wrong (`undefined`). */
  learned: (codec: ProtocolCodec | undefined) => void
}

const isOk = (status: number) => status >= 200 && status < 300

export class Session {
  readonly endpoint: string
  url: string | undefined
  /** The offset the server confirmed. */
  offset = 0
  /** Bytes the server confirmed through progress 104s (≥ offset while a request is running). */
  private acked = 0
  /** Which version is in use, and how sure the client is of it. */
  readonly choice: VersionChoice
  signal: AbortSignal = new AbortController().signal
  /** Set by a step that changed course without progress (409, 413, version step-down). */
  freeRetry = false
  lastError: Error | undefined
  private readonly sizing: Sizing
  private needRetrieve = false
  /** The length the server was told (at creation, or reported by offset retrieval). */
  private serverLength: number | undefined
  /** The URL came from persisted state and was not confirmed in this run yet. */
  private adopted = false
  /**
   * The last offset retrieval did not say whether the upload is complete: `Upload-Complete` is optional there after
   * -12 (PR #3493), so a completed upload whose final response was lost looks like one whose bytes all arrived.
   */
  private completionUnknown = false
  /** Create with an empty request, then append (no 104 needed to resume). Becomes true when 104s go missing. */
  private careful: boolean

  constructor(
    readonly source: Source,
    readonly options: UploadOptions,
    readonly transport: Transport,
    chunkSize: number,
    private readonly hooks: SessionHooks,
  ) {
    const base = (globalThis as { location?: { href?: string } }).location?.href
    this.endpoint = resolveUrl(options.endpoint, base ?? options.endpoint)
    this.choice = new VersionChoice(options, { version: hooks.version, learned: hooks.learned })
    this.sizing = new Sizing(chunkSize)
    const mode = options.creation ?? 'auto'
    this.careful = mode === 'careful' || (mode === 'auto' && !transport.interim)
  }

  get codec(): ProtocolCodec {
    return this.choice.codec
  }

  accepts(codec: ProtocolCodec): boolean {
    return this.choice.accepts(codec)
  }

  /** Continue an upload remembered from an earlier run. */
  adopt(url: string, codec: ProtocolCodec): void {
    this.url = url
    this.choice.adopt(codec)
    this.needRetrieve = true
    this.adopted = true
    this.hooks.url(url)
  }

  private restart(): void {
    this.adopted = false
    this.url = undefined
    this.needRetrieve = false
    this.offset = 0
    this.acked = 0
    this.choice.reset()
  }

  /** The current request was cut: the next step learns the offset again (if there is an upload resource). */
  interrupted(): void {
    this.needRetrieve = this.url !== undefined
    // A creation was cut before any 104 told us where the upload is: 104s do not reach us on this path (a proxy may
    // strip them), so sending the body again optimistically could fail the same way forever. Create carefully.
    if (this.url === undefined) this.careful = true
  }

  step(): Promise<UploadResult | undefined> {
    if (this.url === undefined) return this.create()
    if (this.needRetrieve) return this.retrieve()
    return this.append()
  }

  // ---- exchanges ----

  private baseHeaders(): Record<string, string> {
    const h: Record<string, string> = {}
    for (const [k, v] of Object.entries(this.options.headers ?? {})) h[k.toLowerCase()] = v
    return h
  }

  /** One exchange; `creation` lets its 104s announce the upload URL. */
  private send(
    method: string,
    url: string,
    headers: Record<string, string>,
    body?: Body,
    interim?: 'creation' | 'append',
  ): Promise<TransportResponse> {
    const start = this.offset
    return exchange(this.transport, this.signal, {
      method,
      url,
      headers,
      body,
      onInterim: interim && this.interimHandler(interim === 'creation'),
      onProgress: body ? (n) => this.report(start + n) : undefined,
    })
  }

  private sent = 0
  private report(sent: number): void {
    this.sent = Math.max(sent, this.acked)
    this.hooks.progress({ sent: this.sent, acked: this.acked, total: this.source.size })
  }

  private confirm(offset: number): void {
    this.offset = offset
    this.acked = offset
    this.source.release(offset)
    this.report(offset)
  }

  private interimHandler(creation: boolean) {
    return (status: number, h: HeaderReader, abort: (reason: Error) => void): void => {
      if (status !== 104) return
      const info = this.codec.readResponse(h)
      // Every draft: a client MUST ignore a 104 whose interop version does not match its own.
      if (!info.interopMatches) return
      this.choice.confirmed = true
      if (creation && info.location !== undefined && this.url === undefined) this.setUrl(info.location)
      if (info.limits) {
        this.sizing.learn(info.limits)
        try {
          this.sizing.checkSize(this.source.size)
        } catch (e) {
          this.lastError = e as Error
          abort(e as Error)
        }
      }
      if (info.offset !== undefined && info.offset > this.acked) {
        this.acked = info.offset
        this.report(this.sent)
      }
    }
  }

  private setUrl(location: string): void {
    this.url = resolveUrl(location, this.endpoint)
    this.hooks.url(this.url)
    const maxAge = this.sizing.known.maxAge
    this.hooks.persist({
      url: this.url,
      protocol: this.codec.name,
      endpoint: this.endpoint,
      size: this.source.size,
      createdAt: this.hooks.now(),
      expiresAt: maxAge === undefined ? undefined : this.hooks.now() + maxAge * 1000,
    })
  }

  /** OPTIONS: learns limits early (`max-size` fails fast) and which versions a rufh server speaks. */
  async discover(): Promise<void> {
    let res: TransportResponse
    try {
      res = await this.send('OPTIONS', this.endpoint, {
        ...this.baseHeaders(),
        ...this.codec.requestFields(),
      })
    } catch (e) {
      if (e instanceof Transient) return
      throw e
    }
    if (isOk(res.status)) {
      if (this.onlyTus(res.headers)) this.choice.toTus()
      this.sizing.learn(this.codec.readResponse(res.headers).limits)
      this.sizing.checkSize(this.source.size)
      return
    }
    const problem = parseProblem(res.headers.get('content-type') ?? undefined, res.body)
    const supported = problem?.code === 'ERR_UNSUPPORTED_VERSION' ? supportedVersionsOf(problem) : undefined
    if (supported) this.choice.stepDown(supported, true)
  }

  /** Whether a draft is in use and the response shows tus but nothing of the draft. */
  private onlyTus(h: HeaderReader): boolean {
    return isDraft(this.codec) && !this.codec.advertisedBy(h) && this.choice.tusCandidate()?.advertisedBy(h) === true
  }

  private async create(): Promise<UploadResult | undefined> {
    const codec = this.codec
    this.sizing.checkSize(this.source.size)
    let body: Body | undefined
    let complete: boolean
    // tus has no 104: a creation that carried content and was cut would leave no URL to resume, so create empty. A
    // guessed version gets an empty creation too: a server that does not speak it takes it as an ordinary request.
    // Below `min-size` the server offers no resumable upload: the file goes in one complete request (draft-12 §4.2.1).
    const empty =
      (isDraft(codec) && this.choice.guessing) || ((this.careful || !isDraft(codec)) && this.source.size !== 0)
    if (empty && !(isDraft(codec) && this.belowMinSize())) {
      complete = false
    } else {
      const max = codec.appendLimitsBindCreation ? this.sizing.appendSize : this.sizing.creationSize
      const slice = await this.source.slice(0, max)
      body = slice.body
      complete = slice.last
    }
    const headers = { ...this.baseHeaders(), ...codec.creationFields({ complete, length: this.source.size }) }
    this.serverLength = this.source.size
    Object.assign(headers, codec.representationFields(this.options))
    this.offset = 0
    this.acked = 0
    const res = await this.send(this.options.method ?? 'POST', this.endpoint, headers, body, 'creation')
    const info = codec.readResponse(res.headers)
    if (!isOk(res.status)) return this.failed('creation', res, info, body?.size ?? 0)
    this.sizing.learn(info.limits)
    // The 104's Location and the final one must be the same (draft-10 §4.2). When they differ, a proxy most likely
    // rewrote only the final response (proxies rewrite final headers, rarely interim ones): that one is reachable.
    if (info.location !== undefined && this.url !== undefined && resolveUrl(info.location, this.endpoint) !== this.url)
      this.setUrl(info.location)
    if (complete || (codec.targetSemantics && info.complete === true)) {
      if (this.url === undefined && info.location !== undefined) this.url = resolveUrl(info.location, this.endpoint)
      if (this.url !== undefined) this.choice.found()
      else this.choice.notSpoken()
      return this.done(res, body?.size ?? 0)
    }
    if (info.location !== undefined && this.url === undefined) this.setUrl(info.location)
    if (this.url === undefined) {
      // A 2xx without an upload resource: the server did not take this as a resumable upload at this version.
      const err = new UploadError('ERR_NOT_RESUMABLE', `${this.endpoint} created no upload resource (${codec.name})`)
      if (!this.choice.confirmed && this.choice.stepDown(undefined)) return this.retryFree(err)
      throw err
    }
    this.choice.found()
    this.confirm(info.offset ?? body?.size ?? 0)
    return undefined
  }

  /** The source is smaller than the server's `min-size`, below which it need not offer resumability (§4.1.4). */
  private belowMinSize(): boolean {
    const min = this.sizing.known.minSize
    const size = this.source.size
    return min !== undefined && size !== undefined && size < min
  }

  private async retrieve(): Promise<UploadResult | undefined> {
    const url = this.url!
    const method = this.codec.retrievalMethods[0] ?? 'HEAD'
    const res = await this.send(method, url, { ...this.baseHeaders(), ...this.codec.requestFields() })
    const info = this.codec.readResponse(res.headers)
    if (!isOk(res.status)) return this.failed('retrieval', res, info, 0)
    if (info.offset === undefined)
      throw new UploadError('ERR_PROTOCOL', `${method} ${url} answered ${res.status} without a valid Upload-Offset`)
    if (this.adopted) this.hooks.resumed(url, info.offset)
    this.adopted = false
    this.needRetrieve = false
    this.serverLength = info.length
    this.sizing.learn(info.limits)
    const size = this.source.size
    if (info.complete === true) return this.done(undefined, info.offset)
    this.completionUnknown = info.complete === undefined
    if (size !== undefined && info.offset > size)
      throw new UploadError('ERR_PROTOCOL', `the server holds ${info.offset} bytes but the source has only ${size}`)
    this.confirm(info.offset)
    return undefined
  }

  private async append(): Promise<UploadResult | undefined> {
    const codec = this.codec
    const offset = this.offset
    this.sizing.checkSize(this.source.size)
    const slice = await this.source.slice(offset, this.sizing.appendSize)
    const end = offset + slice.body.size
    const max = this.sizing.known.maxSize
    if (max !== undefined && end > max) throw new LimitExceededError('max-size', end, max)
    // tus: declare the length on an append only when the creation deferred it (@tus/server 2 answers 400 otherwise).
    const length = isDraft(codec) || this.serverLength === undefined ? this.source.size : undefined
    const headers = { ...this.baseHeaders(), ...codec.appendFields({ offset, complete: slice.last, length }) }
    const res = await this.send('PATCH', this.url!, headers, slice.body, 'append')
    const info = codec.readResponse(res.headers)
    // The retrieval could not tell a completed upload from one whose bytes all arrived; the empty completing append
    // asks, and a refusal because the upload is complete answers: it was completed (its final response was lost).
    if (
      !isOk(res.status) &&
      this.completionUnknown &&
      slice.last &&
      slice.body.size === 0 &&
      refusedAsComplete(res.status, parseProblem(res.headers.get('content-type') ?? undefined, res.body))
    )
      return this.done(undefined, end)
    this.completionUnknown = false
    if (!isOk(res.status)) return this.failed('append', res, info, slice.body.size)
    this.sizing.learn(info.limits)
    if (slice.last || (codec.targetSemantics && info.complete === true)) return this.done(res, end)
    this.confirm(info.offset ?? end)
    return undefined
  }

  private done(res: TransportResponse | undefined, size: number): UploadResult {
    this.offset = size
    this.acked = size
    this.report(size)
    return {
      url: this.url,
      interop: interopOf(this.codec),
      protocol: this.codec.name,
      size,
      resumable: this.url !== undefined,
      response: res && { status: res.status, headers: res.headers, body: res.body },
    }
  }

  private retryFree(err: Error): undefined {
    this.lastError = err
    this.freeRetry = true
    return undefined
  }

  /** A non-2xx final response: resync, shrink, step down a version, retry later, or fail. */
  private failed(procedure: Procedure, res: TransportResponse, info: ResponseInfo, sent: number): undefined {
    const method =
      procedure === 'append' ? 'PATCH' : procedure === 'retrieval' ? 'HEAD' : (this.options.method ?? 'POST')
    const target = procedure === 'creation' ? this.endpoint : this.url!
    const at = { method, target, now: this.hooks.now(), targetSemantics: this.codec.targetSemantics }
    const { problem, err, verdict: v } = readFailure(procedure, res, info, at)
    if (info.limits) this.sizing.learn(info.limits)
    // An empty creation refused for `min-size`: the server wants small files in one complete request (draft-12
    // §4.1.4, §4.2.1), which the next creation sends.
    if (procedure === 'creation' && sent === 0 && this.source.size !== 0 && problem?.['limit'] === 'min-size') {
      const bound = problem['bound']
      if (typeof bound === 'number' && Number.isInteger(bound) && bound >= 0) this.sizing.learn({ minSize: bound })
      if (this.belowMinSize()) return this.retryFree(err)
    }
    switch (v.kind) {
      case 'retry':
        throw new Transient(err, v.retryAfter)
      case 'resync':
        if (v.offset === undefined) this.needRetrieve = true
        else this.confirm(v.offset)
        return this.retryFree(err)
      case 'shrink':
        if (!this.sizing.shrink(sent, v.maxAppendSize)) throw err
        if (procedure === 'creation' && this.url !== undefined) this.needRetrieve = true
        return this.retryFree(err)
      case 'gone':
        // A remembered upload that expired or was removed: start a new one.
        if (!this.adopted) throw err
        this.restart()
        return this.retryFree(err)
      case 'version':
        if (this.url === undefined && this.choice.afterRefusal(res.headers, v.supported)) return this.retryFree(err)
        throw err
      case 'final':
        throw httpError(method, target, res.status, problem, 'ERR_REJECTED')
      case 'fatal':
        if (problem?.['limit'] === 'max-size' && typeof problem['bound'] === 'number')
          throw new LimitExceededError('max-size', this.source.size ?? sent, problem['bound'])
        throw err
    }
  }

  /** DELETE on the upload resource (draft §4.5). */
  async cancel(): Promise<boolean> {
    if (this.url === undefined) return false
    const res = await this.transport.request({
      method: 'DELETE',
      url: this.url,
      headers: { ...this.baseHeaders(), ...this.codec.requestFields() },
      signal: new AbortController().signal,
    })
    return isOk(res.status)
  }
}
