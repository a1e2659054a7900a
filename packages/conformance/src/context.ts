/**
 * What an IETF-draft check works with: one interop version's dialect, the target URL, the limits learned from OPTIONS,
 * and the draft's requests (creation, append, offset retrieval, cancellation) on top of the budgeted, recorded and
 * origin-bound requests of `RequestContext`.
 */
import type { BodyPlan, ExchangeResult, RawResponse } from '@rufh/wire'
import { header } from '@rufh/wire'
import type { Dialect } from './dialect.js'
import { RequestContext, type RequestContextOptions } from './request-context.js'

export { BudgetExceeded, type SendOptions } from './request-context.js'

export interface ContextOptions extends RequestContextOptions {
  dialect: Dialect
  /** Limits the target announced in its OPTIONS response (empty when it announced none or has no discovery). */
  limits: Map<string, number>
}

export interface Upload {
  url: URL
  /** The offset after creation (bytes sent with it). */
  offset: number
  ex: ExchangeResult
}

export class CheckContext extends RequestContext {
  constructor(readonly opts: ContextOptions) {
    super(opts)
  }

  get d(): Dialect {
    return this.opts.dialect
  }
  get v(): number {
    return this.opts.dialect.interop
  }
  get limits(): Map<string, number> {
    return this.opts.limits
  }
  /** Whether the target announced any limit (`min-size=0` alone means none). */
  get hasLimits(): boolean {
    return [...this.opts.limits].some(([k, v]) => !(k === 'min-size' && v === 0))
  }

  protected cleanupFields(): [string, string][] {
    return this.d.requestFields()
  }

  /** An upload creation request to the target. */
  async create(
    o: {
      complete?: boolean
      body?: Uint8Array | string
      length?: number
      interop?: number | null
      headers?: [string, string][]
      plan?: BodyPlan
    } = {},
  ): Promise<{ ex: ExchangeResult; location: URL | undefined }> {
    const headers = [
      ...this.d.creationFields({
        complete: o.complete ?? false,
        ...(o.length !== undefined ? { length: o.length } : {}),
        ...(o.interop !== undefined ? { interop: o.interop } : {}),
      }),
      ...(o.headers ?? []),
    ]
    const ex = await this.send('POST', this.target, {
      headers,
      ...(o.body !== undefined ? { body: o.body } : {}),
      ...(o.plan ? { plan: o.plan } : {}),
    })
    const loc = firstLocation(ex)
    const location = loc === undefined ? undefined : this.resolve(loc, ex)
    if (location) this.track(location)
    return { ex, location }
  }

  /** Creates an incomplete upload with `bytes` bytes of content (sized to the announced limits); fails otherwise. */
  async upload(o: { bytes?: number; length?: number; headers?: [string, string][] } = {}): Promise<Upload> {
    const n = o.bytes === undefined ? 0 : this.partSize(o.bytes, true)
    const { ex, location } = await this.create({
      body: this.bytes(n),
      ...(o.length !== undefined ? { length: o.length } : {}),
      ...(o.headers ? { headers: o.headers } : {}),
    })
    const f = ex.final
    if (!f || f.status < 200 || f.status > 299 || !location)
      throw this.fail(`could not create an upload: ${describe(ex)} (a 2xx with Location was expected)`, ex)
    return { url: location, offset: n, ex }
  }

  async append(
    u: URL,
    o: {
      offset: number | string
      complete: boolean | null
      body?: Uint8Array | string
      length?: number
      headers?: [string, string][]
      contentType?: string | null
      plan?: BodyPlan
    },
  ): Promise<ExchangeResult> {
    let headers = this.d.appendFields({
      offset: o.offset,
      complete: o.complete,
      ...(o.length !== undefined ? { length: o.length } : {}),
    })
    if (o.contentType !== undefined) {
      headers = headers.filter(([k]) => k.toLowerCase() !== 'content-type')
      if (o.contentType !== null) headers.push(['Content-Type', o.contentType])
    }
    return this.send('PATCH', u, {
      headers: [...headers, ...(o.headers ?? [])],
      ...(o.body !== undefined ? { body: o.body } : {}),
      ...(o.plan ? { plan: o.plan } : {}),
    })
  }

  async retrieve(u: URL, method = 'HEAD', extra: [string, string][] = [], timeoutMs?: number): Promise<ExchangeResult> {
    return this.send(method, u, {
      headers: [...this.d.requestFields(), ...extra],
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    })
  }

  /** Offset retrieval that must succeed; returns what the response says. */
  async state(u: URL, method = 'HEAD', timeoutMs?: number): Promise<UploadState> {
    const ex = await this.retrieve(u, method, [], timeoutMs)
    const f = ex.final
    if (!f || !this.d.retrievalOk(f.status))
      throw this.fail(`offset retrieval (${method}) did not succeed: ${describe(ex)}`, ex)
    return {
      ex,
      res: f,
      offset: this.d.readOffset(f),
      complete: this.d.readComplete(f),
      length: this.d.readLength(f),
      limits: this.d.readLimits(f),
    }
  }

  async cancel(u: URL, extra: [string, string][] = [], timeoutMs?: number): Promise<ExchangeResult> {
    const ex = await this.send('DELETE', u, {
      headers: [...this.d.requestFields(), ...extra],
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    })
    const s = ex.final?.status
    if (s !== undefined && s >= 200 && s < 300) this.forget(u)
    return ex
  }

  async options(which: 'target' | '*'): Promise<ExchangeResult> {
    return this.send('OPTIONS', this.target, which === '*' ? { target: '*' } : {})
  }

  /**
   * A content size near `n` that the announced limits allow: at least `min-append-size` for a non-final request (and
   * for creation only from I9), at most `max-append-size`.
   */
  partSize(n: number, creation = false): number {
    const binds = !creation || this.d.appendLimitsBindCreation
    if (!binds) return n
    const min = this.limits.get('min-append-size')
    const max = this.limits.get('max-append-size')
    let s = n
    if (min !== undefined && s > 0 && s < min) s = min
    if (max !== undefined && s > max) s = max
    return s
  }
}

export interface UploadState {
  ex: ExchangeResult
  res: RawResponse
  offset: number | undefined
  complete: boolean | undefined
  length: number | undefined
  limits: Map<string, number> | undefined
}

/** The `Location` of the first 104 that has one, else of the final response. */
export function firstLocation(ex: ExchangeResult): string | undefined {
  for (const r of ex.interim) {
    const l = header(r, 'location')
    if (r.status === 104 && l) return l
  }
  return ex.final ? header(ex.final, 'location') : undefined
}

export function is2xx(r: RawResponse | undefined): r is RawResponse {
  return r !== undefined && r.status >= 200 && r.status < 300
}

export function is4xx(r: RawResponse | undefined): r is RawResponse {
  return r !== undefined && r.status >= 400 && r.status < 500
}

/** One-line description of how an exchange ended, for messages. */
export function describe(ex: ExchangeResult): string {
  const i = ex.interim.length ? `${ex.interim.map((r) => r.status).join(', ')} then ` : ''
  if (ex.final) return `${i}${ex.final.status} ${ex.final.reason}`.trim()
  if (ex.cutByClient) return `${i}cut by the tester`
  if (ex.error) return `${i}no final response (${ex.error.message})`
  return `${i}no final response`
}
