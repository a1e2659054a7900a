/**
 * `createGateway`: a node:http handler that speaks every interop version (3-10) and tus 1.0 to clients, on any path,
 * and hands each completed upload to a plain HTTP backend as one ordinary request. The protocol itself is the server
 * core (`UploadHandler`), unchanged: the gateway only decides which requests are uploads, moves creations from their
 * path to the upload path, and, after a 2xx that left the upload complete, replaces the answer with the backend's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import { Field, readInteger } from '@rufh/protocol'
import {
  createNodeHandler,
  DiskStore,
  type HandlerReply,
  type InterimSink,
  isReadable,
  MemoryLocker,
  type Store,
  UploadHandler,
  type UploadRequest,
} from '@rufh/server'
import { capturingStore } from './capture-store.js'
import { isResumable } from './classify.js'
import { CompanionJournal, hasCompanions } from './companion-journal.js'
import { fileHead, tieHeads } from './context.js'
import { type Delivery, SpoolDelivery } from './delivery.js'
import { GatewayError, problemReply } from './errors.js'
import { headOf } from './head.js'
import { DiskJournal } from './journal.js'
import { type GatewayOptions, journalDir, type Resolved, resolve, storeDir } from './options.js'
import { proxy } from './proxy.js'
import { relayed } from './relay.js'
import { StreamDelivery, StreamStore } from './stream-store.js'

type NodeRequest = IncomingMessage | Http2ServerRequest
type NodeResponse = ServerResponse | Http2ServerResponse

/** A node:http or node:http2 (compatibility API) request handler. */
export type GatewayHandler = ((req: NodeRequest, res: NodeResponse) => void) & {
  core: UploadHandler
  delivery: Delivery
  /** Resolves once uploads a previous process left undelivered have been handed to delivery (spool mode). */
  ready: Promise<void>
  close(): Promise<void>
}

const MiB = 1024 * 1024

/** Methods after which an upload may have just completed (creation and append, tus's POST-as-PATCH included). */
const READ_ONLY = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE'])

class GatewayCore extends UploadHandler {
  constructor(
    options: ConstructorParameters<typeof UploadHandler>[0],
    private readonly delivery: Delivery,
    private readonly store: Store,
  ) {
    super(options)
  }

  override async handle(req: UploadRequest, interim?: InterimSink): Promise<HandlerReply> {
    const base = this.config.basePath
    const own = req.url.pathname.startsWith(base)
    // A creation on any path: the core's creation resource is the upload path; the backend gets the original path.
    const routed = own ? req : { ...req, url: new URL(base, req.url.origin) }
    const method = methodOf(req)
    if (own && method === 'GET' && !this.isRetrieval(req)) {
      // A GET of a delivered upload is the backend's kept answer: how a client of any version recovers a lost one.
      const kept = await this.delivery.delivered(req.url.pathname.slice(base.length)).catch(() => undefined)
      if (kept) return relayed(kept)
    }
    const reply = await super.handle(routed, interim)
    if (reply.status < 200 || reply.status > 299) return reply
    // A cancellation removed the upload and a discovery names none: there is nothing to deliver or look up.
    if (method === 'DELETE' || method === 'OPTIONS') return reply
    const id = own ? req.url.pathname.slice(base.length) : idFromLocation(reply.headers['location'], base)
    if (!id) return reply
    try {
      const info = await this.store.get(id)
      if (!info.complete || info.concat?.kind === 'partial') return reply
      if (READ_ONLY.has(method)) {
        // A retrieval of a complete upload that was never delivered (a crash): deliver it now, in the background.
        if (method === 'HEAD' || method === 'GET') this.delivery.kick(id)
        return reply
      }
      return relayed(await this.delivery.deliver(id), reply)
    } catch (e) {
      if (e instanceof GatewayError) return problemReply(e, protocolFields(reply))
      throw e
    }
  }

  /** A GET that retrieves the offset (a version whose codec retrieves with GET, named by the request). */
  private isRetrieval(req: UploadRequest): boolean {
    const v = readInteger(req.headers.get(Field.interopVersion))
    const codec = this.config.codecs.find((c) => c.interop === v)
    return codec?.retrievalMethods.includes('GET') === true
  }
}

function methodOf(req: UploadRequest): string {
  const m = req.method.toUpperCase()
  const override = req.headers.get('x-http-method-override')
  return m === 'POST' && override && req.headers.get('tus-resumable') ? override.trim().toUpperCase() : m
}

function idFromLocation(location: string | undefined, base: string): string | undefined {
  if (!location) return undefined
  const path = new URL(location, 'http://x').pathname
  return path.startsWith(base) ? path.slice(base.length) : undefined
}

/** The upload's state stays visible on a 502/504 (offset, completeness, Location of a creation). */
function protocolFields(reply: HandlerReply): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(reply.headers))
    if (k.startsWith('upload-') || k.startsWith('tus-') || k === 'location' || k.startsWith('access-control-'))
      out[k] = v
  return out
}

export function createGateway(options: GatewayOptions): GatewayHandler {
  const r = resolve(options)
  const locker = options.locker ?? new MemoryLocker()
  const { store, delivery } = r.mode === 'stream' ? streamParts(r, options) : spoolParts(r, options, locker)
  const core = new GatewayCore(
    {
      store,
      locker,
      basePath: r.uploadPath,
      limits: options.limits ?? {},
      idleTimeoutMs: r.idleTimeoutMs,
      lockTimeoutMs: r.lockTimeoutMs,
      ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
      ...(options.cors ? { cors: options.cors } : {}),
      trustProxy: options.trustProxy ?? false,
      ...(options.logger ? { logger: options.logger } : {}),
    },
    delivery,
    store,
  )
  tieHeads(core.config.events)
  const upload = createNodeHandler(core)
  const fn = (req: NodeRequest, res: NodeResponse): void => {
    const head = headOf(req)
    if (!isResumable(head.path, head.method, req.headers, r.uploadPath, core.config.codecs)) {
      // Creation works on any path, so an OPTIONS anywhere is also discovery (draft-05 §4.1.4 ff.: the target's
      // OPTIONS MUST carry Upload-Limit; tus clients send OPTIONS without Tus-Resumable): the backend answers it, and
      // the gateway adds its protocol fields to that answer, or answers itself when the backend has no OPTIONS there.
      const discovery = head.method === 'OPTIONS' ? discoveryFields(core, req) : Promise.resolve(undefined)
      discovery
        .then((extra) => proxy(r.backend, head, req, res, r.forward.timeoutMs, extra))
        .catch((err: unknown) => {
          options.logger?.error({ err }, 'proxy failed')
          res.destroy()
        })
      return
    }
    fileHead(req, head)
    upload(req, res)
  }
  const ready = delivery.recover().then(
    (n) => {
      if (n > 0) options.logger?.info({ uploads: n }, 'delivering uploads left undelivered')
    },
    (err: unknown) => options.logger?.error({ err }, 'recovery failed'),
  )
  return Object.assign(fn, {
    core,
    delivery,
    ready,
    close: async () => {
      await core.close()
      await delivery.close()
    },
  })
}

function spoolParts(r: Resolved, o: GatewayOptions, locker: GatewayOptions['locker'] & object) {
  // 1 MiB reads: a 1 GiB forward in 64 KiB reads made 16384 round trips through libuv's thread pool.
  const inner =
    o.store ?? new DiskStore({ directory: storeDir(r.directory), fsync: o.fsync ?? false, readChunkSize: MiB })
  if (!isReadable(inner)) throw new TypeError('spool mode needs a store that can read back its bytes (ReadableStore)')
  // A store that keeps objects with each upload (S3) keeps the journal too: every gateway on it then shares it.
  const journal =
    o.journal ?? (hasCompanions(inner) ? new CompanionJournal(inner) : new DiskJournal(journalDir(r.directory)))
  const store = capturingStore(inner, journal)
  const delivery = new SpoolDelivery({
    backend: r.backend,
    store,
    journal,
    locker,
    forward: r.forward,
    lockTimeoutMs: r.lockTimeoutMs,
    redeliverIntervalMs: r.redeliverIntervalMs,
    logger: o.logger,
  })
  return { store, delivery }
}

function streamParts(r: Resolved, o: GatewayOptions) {
  const store = new StreamStore({
    backend: r.backend,
    idleTimeoutMs: r.idleTimeoutMs,
    forward: r.forward,
    logger: o.logger,
  })
  return { store, delivery: new StreamDelivery(store) }
}

/** The protocol fields the gateway's own discovery answer carries (Upload-Limit, Accept-Patch, Tus-*). */
async function discoveryFields(core: UploadHandler, req: NodeRequest): Promise<Record<string, string>> {
  const reply = await core.handle({
    method: 'OPTIONS',
    url: new URL(core.config.basePath, 'http://gateway'),
    headers: { get: (name) => one(req.headers[name.toLowerCase()]) },
    body: undefined,
    signal: new AbortController().signal,
  })
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(reply.headers))
    if (k.startsWith('upload-') || k.startsWith('tus-') || k === 'accept-patch') out[k] = v
  return out
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v
}
