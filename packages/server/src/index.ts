// The core: no logging, metrics or Redis library. RedisLocker is `@rufh/server/redis` (ioredis) and ServerMetrics is
// `@rufh/server/prometheus` (prom-client), both optional peers.
export { createFetchHandler, type FetchHandler } from './adapters/fetch.js'
export { type ListenOptions, type RunningServer, startServer } from './adapters/listen.js'
export { createNodeHandler, type NodeHandler } from './adapters/node.js'
export type { Config, ServerOptions } from './config.js'
export type { CorsOptions } from './cors.js'
export { UploadHandler } from './handler.js'
export { isUploadId, newUploadId } from './ids.js'
export { type AcquireOptions, type Lease, type Locker, MemoryLocker } from './lockers/locker.js'
export {
  type Listener,
  type PreCreate,
  type UploadEvent,
  type UploadEventMap,
  UploadEvents,
} from './observe/events.js'
export { type HookEvent, type Hooks, type HttpHooksOptions, httpHooks, listenHooks } from './observe/hooks.js'
export type { Logger } from './observe/logger.js'
export type { Metrics } from './observe/metrics.js'
export { DiskStore, type DiskStoreOptions } from './stores/disk-store.js'
export * from './stores/store.js'
export type { HandlerReply, InterimSink, UploadRequest } from './types.js'
