/**
 * What a check works with: one interop version's dialect, the target URL, the limits learned from OPTIONS, and
 * request helpers that count against the check's budget, record every exchange for the report, refuse to contact any
 * origin but the target's, and clean up the uploads the check created.
 */
import { type BodyPlan, type ExchangeResult, exchange, header, type RawResponse, WireConnection } from '@rufh/wire'
import type { Dialect } from './dialect.js'
import { CheckFailure, CheckSkip } from './types.js'

export class BudgetExceeded extends Error {
  override name = 'BudgetExceeded'
}

export interface ContextOptions {
  target: URL
  dialect: Dialect
  /** Limits the target announced in its OPTIONS response (empty when it announced none or has no discovery). */
  limits: Map<string, number>
  /** Deadline of one exchange in ms. */
  requestTimeoutMs: number
  maxRequests: number
  tls?: import('node:tls').ConnectionOptions
}

export interface SendOptions {
  headers?: [string, string][]
  body?: Uint8Array | string
  plan?: BodyPlan
  /** Request target override (e.g. `*` for `OPTIONS *`). */
  target?: string
  /** Deadline of this exchange (default: the run's per-request timeout). */
  timeoutMs?: number
}

export interface Upload {
  url: URL
  /** The offset after creation (bytes sent with it). */
  offset: number
  ex: ExchangeResult
}

export class CheckContext {
  readonly exchanges: ExchangeResult[] = []
  readonly notes: string[] = []
  evidence: ExchangeResult[] = []
  requests = 0
  private readonly created: URL[] = []
  private readonly connections: WireConnection[] = []
  private disposed = false

  constructor(readonly opts: ContextOptions) {}

  get d(): Dialect {
    return this.opts.dialect
  }
  get v(): number {
    return this.opts.dialect.interop
  }
  get target(): URL {
    return this.opts.target
  }
  get limits(): Map<string, number> {
    return this.opts.limits
  }
  /** Whether the target announced any limit (`min-size=0` alone means none). */
  get hasLimits(): boolean {
    return [...this.opts.limits].some(([k, v]) => !(k === 'min-size' && v === 0))
  }

  // ---- outcomes ----

  /** A failure to throw; `ex` (default: the last exchange) is shown in the report. */
  fail(message: string, ...ex: (ExchangeResult | undefined)[]): CheckFailure {
    const given = ex.filter((e): e is ExchangeResult => e !== undefined)
    this.evidence = given.length ? given : this.exchanges.slice(-1)
    return new CheckFailure(message)
  }

  skip(message: string): CheckSkip {
    return new CheckSkip(message)
  }

  assert(cond: unknown, message: string, ...ex: (ExchangeResult | undefined)[]): asserts cond {
    if (!cond) throw this.fail(message, ...ex)
  }

  note(message: string): void {
    this.notes.push(message)
  }

  // ---- addresses ----

  /** Resolves a `Location` against the target; any other origin is refused (only the given URL is contacted). */
  resolve(location: string, ex?: ExchangeResult): URL {
    let u: URL
    try {
      u = new URL(location, this.target)
    } catch {
      throw this.fail(`Location ${JSON.stringify(location)} is not a valid URI reference`, ex)
    }
    if (u.origin !== this.target.origin)
      throw this.fail(`Location ${u.href} points to another origin; the tester only contacts ${this.target.origin}`, ex)
    return u
  }

  /** A URI next to `u` that names no upload (its last path segment replaced by random hex). */
  unknownUpload(u: URL): URL {
    const x = new URL(u)
    const hex = Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join('')
    x.pathname = x.pathname.replace(/[^/]*$/, `rufh-conformance-${hex}`)
    x.search = ''
    return x
  }

  // ---- requests ----

  async send(method: string, url: URL, o: SendOptions = {}): Promise<ExchangeResult> {
    this.charge(url)
    const ex = await exchange(
      url,
      {
        method,
        headers: o.headers ?? [],
        ...(o.body !== undefined ? { body: o.body } : {}),
        ...(o.target ? { target: o.target } : {}),
      },
      {
        timeoutMs: o.timeoutMs ?? this.opts.requestTimeoutMs,
        ...(this.opts.tls ? { tls: this.opts.tls } : {}),
        ...o.plan,
      },
    )
    this.exchanges.push(ex)
    if (ex.error && ex.error.code !== 'TIMEOUT' && !ex.final && !ex.cutByClient && !ex.closedByPeer)
      this.note(`${method} ${url.pathname}: ${ex.error.message}`)
    return ex
  }

  /** Opens a connection for a request driven step by step (slow, held, concurrent); cut when the check ends. */
  async open(url: URL): Promise<WireConnection> {
    this.charge(url)
    const c = await WireConnection.open(url, {
      timeoutMs: this.opts.requestTimeoutMs,
      ...(this.opts.tls ? { tls: this.opts.tls } : {}),
    })
    this.connections.push(c)
    return c
  }

  private charge(url: URL): void {
    if (this.disposed) throw new BudgetExceeded('the check already ended')
    if (url.origin !== this.target.origin) throw this.fail(`refusing to contact ${url.origin}`)
    if (++this.requests > this.opts.maxRequests)
      throw new BudgetExceeded(`the check exceeded its budget of ${this.opts.maxRequests} requests`)
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
    if (location) this.created.push(location)
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

  /** Deterministic content: `n` bytes of a repeating pattern. */
  bytes(n: number, seed = 0): Buffer {
    const b = Buffer.alloc(n)
    for (let i = 0; i < n; i++) b[i] = 97 + ((i + seed) % 26)
    return b
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

  forget(u: URL): void {
    const i = this.created.findIndex((c) => c.href === u.href)
    if (i >= 0) this.created.splice(i, 1)
  }

  /** Cuts open connections and cancels uploads the check left behind (best effort, a few requests). */
  async dispose(): Promise<void> {
    for (const c of this.connections) c.cut()
    this.disposed = true
    const left = this.created.splice(0, 8)
    await Promise.all(
      left.map((u) =>
        exchange(u, { method: 'DELETE', headers: this.d.requestFields() }, { timeoutMs: 2000 }).catch(() => undefined),
      ),
    )
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
