/**
 * The runtime-independent core: routes a request to a procedure with the codec its interop version selects, and
 * returns the response as a value. Adapters (adapters/node.ts, adapters/fetch.ts) do the I/O.
 */
import {
  type HeaderReader,
  MethodNotAllowedError,
  newestCodec,
  type Procedure,
  RangeNotSatisfiableError,
  type Selection,
  ShuttingDownError,
  selectRequest,
  UploadNotFoundError,
} from '@rufh/protocol'
import type { AuthProcedure } from './auth/authorize.js'
import { type Config, resolveConfig, type ServerOptions } from './config.js'
import type { Ctx } from './context.js'
import { corsFields, preflight } from './cors.js'
import { failureReply, TransferFailure } from './failure.js'
import { isUploadId } from './ids.js'
import type { UploadEvents } from './observe/events.js'
import { shapeReply } from './observe/finish-response.js'
import type { Metrics } from './observe/metrics.js'
import { append } from './procedures/append.js'
import { cancel } from './procedures/cancel.js'
import { create } from './procedures/create.js'
import { discover } from './procedures/discover.js'
import { download } from './procedures/download.js'
import { reclaimOrphans, sweepExpired } from './procedures/expiry.js'
import { retrieve } from './procedures/retrieve.js'
import { ShutdownSignal } from './procedures/shutdown-signal.js'
import { isReclaiming } from './stores/store.js'
import type { HandlerReply, InterimSink, UploadRequest } from './types.js'

const CREATION_METHODS_EXCLUDED = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'])

type Route = { kind: 'target' } | { kind: 'upload'; id: string } | { kind: 'asterisk' } | { kind: 'elsewhere' }

export class UploadHandler {
  readonly config: Config
  private readonly shutdown = new ShutdownSignal()
  private readonly ctx: Ctx
  private readonly inflight = new Set<Promise<unknown>>()
  private sweeper: NodeJS.Timeout | undefined

  constructor(options: ServerOptions = {}) {
    this.config = resolveConfig(options)
    this.ctx = { cfg: this.config, shutdown: this.shutdown }
    const expires = this.config.limits.maxAge !== undefined
    if (this.config.expiryIntervalMs > 0 && (expires || isReclaiming(this.config.store))) {
      this.sweeper = setInterval(() => {
        const fail = (err: unknown) => this.config.logger?.error({ err }, 'expiry sweep failed')
        if (expires) sweepExpired(this.config).catch(fail)
        reclaimOrphans(this.config).catch(fail)
      }, this.config.expiryIntervalMs)
      this.sweeper.unref()
    }
  }

  /** What happens to uploads (created, finished, terminated, transfers): subscribe here to observe them. */
  get events(): UploadEvents {
    return this.config.events
  }

  /** Removes uploads whose lifetime (`max-age`) ran out; returns how many. */
  sweepExpired(): Promise<number> {
    return sweepExpired(this.config)
  }

  async handle(req: UploadRequest, interim?: InterimSink): Promise<HandlerReply> {
    const started = Date.now()
    const { metrics } = this.config
    if (metrics && req.url.pathname === metrics.path && req.method === 'GET') return this.metricsReply(metrics, started)
    const seen: { procedure: Procedure } = { procedure: 'discovery' }
    const p = this.dispatch(req, interim, seen)
    this.inflight.add(p)
    try {
      // A pre-finish hook may have supplied the completing response (observe/finish-response.ts).
      const reply = shapeReply(req, await p)
      Object.assign(reply.headers, corsFields(req.headers, this.config.cors))
      const ms = Date.now() - started
      this.config.logger?.info({ method: req.method, path: req.url.pathname, status: reply.status, ms }, 'request')
      metrics?.request(req.method, seen.procedure, reply.status, ms / 1000)
      return reply
    } finally {
      this.inflight.delete(p)
    }
  }

  private async metricsReply(metrics: Metrics, started: number): Promise<HandlerReply> {
    const { contentType, body } = await metrics.render()
    metrics.request('GET', 'metrics', 200, (Date.now() - started) / 1000)
    return { status: 200, headers: { 'content-type': contentType, 'cache-control': 'no-store' }, body }
  }

  /** Stops every running transfer (each persists what it received and answers 503) and waits for them to finish. */
  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper)
    this.shutdown.abort()
    await Promise.allSettled([...this.inflight])
  }

  private route(req: UploadRequest, asterisk: boolean): Route {
    if (asterisk) return { kind: 'asterisk' }
    const base = this.config.basePath
    const path = req.url.pathname
    if (path === base || path === base.slice(0, -1)) return { kind: 'target' }
    if (path.startsWith(base)) return { kind: 'upload', id: path.slice(base.length) }
    return { kind: 'elsewhere' }
  }

  /** `seen.procedure` tells the caller which procedure answered (for metrics). */
  private async dispatch(
    req: UploadRequest,
    interim: InterimSink | undefined,
    seen: { procedure: Procedure },
  ): Promise<HandlerReply> {
    const pre = preflight(req.method, req.headers, this.config.cors)
    if (pre) return pre
    let sel: Selection
    try {
      sel = selectRequest(withoutTusOnOptions(req), this.config.codecs, this.config.tus)
    } catch (e) {
      const codec = req.headers.get('tus-resumable') != null && this.config.tus ? this.config.tus : newestCodec
      return failureReply(this.ctx, codec, e, 'discovery')
    }
    const route = this.route(req, (req as { asterisk?: boolean }).asterisk === true)
    const method = methodOf(req, sel)
    try {
      switch (route.kind) {
        case 'elsewhere':
          throw new UploadNotFoundError()
        case 'asterisk':
          if (method !== 'OPTIONS') throw new MethodNotAllowedError(method, ['OPTIONS'])
          await this.authorized(req, 'discovery')
          return discover(this.ctx, sel, req.headers)
        case 'target':
          if (method === 'OPTIONS') {
            await this.authorized(req, 'discovery')
            return discover(this.ctx, sel, req.headers)
          }
          if (CREATION_METHODS_EXCLUDED.has(method))
            throw new MethodNotAllowedError(method, ['OPTIONS', 'POST', 'PUT', 'PATCH'])
          seen.procedure = 'creation'
          if (this.shutdown.aborted) throw new ShuttingDownError()
          await this.authorized(req, 'creation')
          return await create(this.ctx, req, sel, interim, (id) => `${req.url.origin}${this.config.basePath}${id}`)
        case 'upload': {
          if (method === 'OPTIONS') {
            await this.authorized(req, 'discovery')
            return discover(this.ctx, sel, req.headers)
          }
          if (!isUploadId(route.id)) throw new UploadNotFoundError()
          // GET retrieves the offset only for a draft request that says so (I9+); otherwise it downloads.
          if (method === 'GET' && !(sel.interimAllowed && sel.codec.retrievalMethods.includes('GET'))) {
            seen.procedure = 'retrieval'
            await this.authorized(req, 'download', route.id)
            return await download(this.ctx, req, route.id, sel)
          }
          if (sel.codec.retrievalMethods.includes(method)) {
            seen.procedure = 'retrieval'
            await this.authorized(req, 'retrieval', route.id)
            return await retrieve(this.ctx, req, sel, route.id)
          }
          if (method === 'PATCH') {
            seen.procedure = 'append'
            await this.authorized(req, 'append', route.id)
            return await append(this.ctx, req, sel, interim, route.id)
          }
          if (method === 'DELETE') {
            seen.procedure = 'cancellation'
            await this.authorized(req, 'cancellation', route.id)
            return await cancel(this.ctx, req, sel, route.id)
          }
          throw new MethodNotAllowedError(method, ['OPTIONS', ...sel.codec.retrievalMethods, 'PATCH', 'DELETE'])
        }
      }
    } catch (e) {
      const reply = failureReply(this.ctx, sel.codec, e, seen.procedure)
      if (e instanceof RangeNotSatisfiableError) reply.headers['content-range'] = `bytes */${e.size}`
      return reply
    }
  }

  /**
   * Asks authorization (auth/authorize.ts) before a procedure runs, so a denied request stores nothing. A denied
   * creation or append leaves its body unread: the connection closes after the answer, as after a cut transfer.
   */
  private async authorized(req: UploadRequest, procedure: AuthProcedure, id?: string): Promise<void> {
    const { auth, store } = this.config
    if (!auth || (procedure === 'discovery' && !auth.discovery)) return
    const upload =
      id === undefined
        ? undefined
        : await store.get(id).catch((e: unknown) => {
            if (e instanceof UploadNotFoundError) return undefined
            throw e
          })
    try {
      await auth.check(req, procedure, upload)
    } catch (e) {
      if (procedure === 'creation' || procedure === 'append') throw new TransferFailure(e as Error)
      throw e
    }
  }
}

/** tus 1.0 (core protocol, OPTIONS): "the Server MUST ignore" `Tus-Resumable` on OPTIONS, whatever its value. */
function withoutTusOnOptions(req: UploadRequest): HeaderReader {
  if (req.method.toUpperCase() !== 'OPTIONS') return req.headers
  return { get: (name) => (name.toLowerCase() === 'tus-resumable' ? undefined : req.headers.get(name)) }
}

/** tus: `X-HTTP-Method-Override` lets clients behind restrictive proxies send PATCH and DELETE as POST. */
function methodOf(req: UploadRequest, sel: Selection): string {
  const method = req.method.toUpperCase()
  const override = req.headers.get('x-http-method-override')
  if (override && method === 'POST' && sel.codec.protocol === 'tus-v1') return override.trim().toUpperCase()
  return method
}
