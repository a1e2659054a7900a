import { type Codec, codecs, type Limits, type ProtocolCodec, tusV1, validateLimits } from '@rufh/protocol'
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
  /** How often expired uploads are removed. Default 60 s; 0 disables the sweeper. */
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
  /** Run code before creation (and refuse uploads) and after creation, completion and deletion. */
  hooks?: Hooks
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
}

export function resolveConfig(o: ServerOptions): Config {
  const limits = o.limits ?? {}
  validateLimits(limits)
  let basePath = o.basePath ?? '/files/'
  if (!basePath.startsWith('/')) basePath = `/${basePath}`
  if (!basePath.endsWith('/')) basePath = `${basePath}/`
  const store = o.store ?? new DiskStore({ directory: o.directory ?? './uploads', fsync: o.fsync ?? false })
  const events = new UploadEvents(o.logger)
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
  }
}
