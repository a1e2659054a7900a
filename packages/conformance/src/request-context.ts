/**
 * What every check works with, whatever the protocol: request helpers that count against the check's budget, record
 * every exchange for the report, refuse to contact any origin but the target's, and clean up the uploads the check
 * created. `CheckContext` (IETF drafts) and `TusContext` (tus 1.0) add the requests of their protocol.
 */
import { type BodyPlan, type ExchangeResult, exchange, WireConnection } from '@rufh/wire'
import { CheckFailure, CheckSkip } from './types.js'

export class BudgetExceeded extends Error {
  override name = 'BudgetExceeded'
}

export interface RequestContextOptions {
  target: URL
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

export abstract class RequestContext {
  readonly exchanges: ExchangeResult[] = []
  readonly notes: string[] = []
  evidence: ExchangeResult[] = []
  requests = 0
  protected readonly created: URL[] = []
  private readonly connections: WireConnection[] = []
  private disposed = false

  constructor(readonly base: RequestContextOptions) {}

  get target(): URL {
    return this.base.target
  }

  /** Fields of the DELETE that cleans up an upload the check left behind; `undefined`: leave it. */
  protected abstract cleanupFields(): [string, string][] | undefined

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
        timeoutMs: o.timeoutMs ?? this.base.requestTimeoutMs,
        ...(this.base.tls ? { tls: this.base.tls } : {}),
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
      timeoutMs: this.base.requestTimeoutMs,
      ...(this.base.tls ? { tls: this.base.tls } : {}),
    })
    this.connections.push(c)
    return c
  }

  private charge(url: URL): void {
    if (this.disposed) throw new BudgetExceeded('the check already ended')
    if (url.origin !== this.target.origin) throw this.fail(`refusing to contact ${url.origin}`)
    if (++this.requests > this.base.maxRequests)
      throw new BudgetExceeded(`the check exceeded its budget of ${this.base.maxRequests} requests`)
  }

  /** Deterministic content: `n` bytes of a repeating pattern. */
  bytes(n: number, seed = 0): Buffer {
    const b = Buffer.alloc(n)
    for (let i = 0; i < n; i++) b[i] = 97 + ((i + seed) % 26)
    return b
  }

  /** Remembers an upload the check created, to cancel it when the check ends. */
  protected track(u: URL): void {
    this.created.push(u)
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
    const headers = this.cleanupFields()
    if (!headers) return
    await Promise.all(
      left.map((u) => exchange(u, { method: 'DELETE', headers }, { timeoutMs: 2000 }).catch(() => undefined)),
    )
  }
}
