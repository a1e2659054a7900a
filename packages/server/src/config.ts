import { type Codec, codecs, type Limits, type ProtocolCodec, tusV1, validateLimits } from '@rufh/protocol'
import { Authorization, type AuthorizationOptions, type Authorize } from './auth/authorize.js'
import type { CorsOptions } from './cors.js'
import { type Locker, MemoryLocker } from './lockers/locker.js'
import { UploadEvents } from './observe/events.js'
import { type Hooks, listenHooks } from './observe/hooks.js'
import type { Logger } from './observe/logger.js'
import type { Metrics } from './observe/metrics.js'
import { DiskStore } from './stores/disk-store.js'
import type { Store } from './stores/store.js'

export interface ServerOptions {
  /** Where uploads are stored. Default: a DiskStore in `directory`. */
  store?: Store
  /** Folder for the default disk store. Default `./uploads`. */
  directory?: string
  /** Flush to stable storage before acknowledging (disk store only). Default false. */
  fsync?: boolean
  /** Path of the upload-creation resource; uploads live below it. Default `/files/`. */
  basePath?: string
  limits?: Limits
  /** Interop versions served, oldest first. Default: every codec (3–10). */
  codecs?: readonly Codec[]
  /** Serve tus 1.0 on the same endpoint. Default true; a codec instance replaces the built-in one (tests). */
  tus?: boolean | ProtocolCodec
  locker?: Locker
  /** How long a request waits for the upload's previous request to let go. Default 10 s. */
  lockTimeoutMs?: number
  /** A request body with no data for this long is treated as interrupted. Default 60 s. */
  idleTimeoutMs?: number
  /** Minimum time between progress 104s. Default 1 s. */
  progressIntervalMs?: number
  /**
   * How often expired uploads are removed, and files that crashes left reclaimed (stores that reclaim, e.g. the disk
   * store). Default 60 s; 0 disables the sweeper.
   */
  expiryIntervalMs?: number
  cors?: CorsOptions
  /** Build `Location` from `Forwarded` / `X-Forwarded-*`. Only behind a proxy you trust. Default false. */
  trustProxy?: boolean
  /** Structured logging; a pino logger fits as it is. Default: none. */
  logger?: Logger
  /**
   * Count requests, uploads and bytes, and serve them at `metrics.path`. Default: none. `ServerMetrics` from
   * `@rufh/server/prometheus` serves them in Prometheus format.
   */
  metrics?: Metrics
  /** Run code before creation, completion and deletion (and refuse or shape them) and after them. */
  hooks?: Hooks
  /**
   * Asked before every procedure (creation, append, offset retrieval, cancellation, download, discovery) and again
   * before completion; it may name the request's principal, who then owns the uploads it creates (auth/authorize.ts).
   * `httpAuthorizer(url)` asks an HTTP endpoint; `jwtAuthorizer` from `@rufh/server/jwt` checks bearer tokens.
   */
  authorize?: Authorize
  /** Whether discovery is authorized too (default true) and uploads are their creator's alone (default true). */
  authorization?: AuthorizationOptions
  // -- connection bounds (startServer only; see adapters/guard.ts and docs/security.md) --
  connections?: ConnectionOptions
}

/** Bounds on connections: against idle, slow-head (Slowloris) and connection-flooding clients. */
export interface ConnectionOptions {
  /** A connection must send its first byte within this. Default 10 s. */
  idleTimeoutMs?: number
  /**
   * A connection with no request in progress (just opened, or its last response sent) must deliver a complete request
   * head within this; a body that keeps moving is never cut by it (bodies have `idleTimeoutMs` of ServerOptions).
   * Default 30 s.
   */
  headTimeoutMs?: number
  /** Open connections, all clients together; more are closed at once. Default 16384. */
  maxConnections?: number
  /** Open connections from one client address. Default 1024 (carrier NAT puts many clients on one). */
  maxConnectionsPerAddress?: number
}

export interface Config {
  store: Store
  basePath: string
  limits: Limits
  codecs: readonly Codec[]
  tus: ProtocolCodec | undefined
  locker: Locker
  lockTimeoutMs: number
  idleTimeoutMs: number
  progressIntervalMs: number
  expiryIntervalMs: number
  cors: CorsOptions | undefined
  trustProxy: boolean
  logger: Logger | undefined
  metrics: Metrics | undefined
  /** Where the procedures announce what happens to uploads; hooks and metrics listen here. */
  events: UploadEvents
  /** Present when `authorize` was given. */
  auth: Authorization | undefined
}

export function resolveConfig(o: ServerOptions): Config {
  const limits = o.limits ?? {}
  validateLimits(limits)
  let basePath = o.basePath ?? '/files/'
  if (!basePath.startsWith('/')) basePath = `/${basePath}`
  if (!basePath.endsWith('/')) basePath = `${basePath}/`
  const store = o.store ?? new DiskStore({ directory: o.directory ?? './uploads', fsync: o.fsync ?? false })
  const events = new UploadEvents(o.logger)
  const auth = o.authorize ? new Authorization(o.authorize, o.authorization) : undefined
  // Authorization's gates first: no hook sees a creation or completion that authorization refuses.
  auth?.listen(events)
  if (o.hooks) listenHooks(events, o.hooks, o.logger)
  o.metrics?.listen(events)
  return {
    store,
    basePath,
    limits,
    codecs: o.codecs ?? codecs,
    tus: o.tus === false ? undefined : o.tus === true || o.tus === undefined ? tusV1 : o.tus,
    locker: o.locker ?? new MemoryLocker(),
    lockTimeoutMs: o.lockTimeoutMs ?? 10_000,
    idleTimeoutMs: o.idleTimeoutMs ?? 60_000,
    progressIntervalMs: o.progressIntervalMs ?? 1_000,
    expiryIntervalMs: o.expiryIntervalMs ?? 60_000,
    cors: o.cors,
    trustProxy: o.trustProxy ?? false,
    logger: o.logger,
    metrics: o.metrics,
    events,
    auth,
  }
}
