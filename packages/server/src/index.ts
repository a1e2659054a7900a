// The core: no logging, metrics or Redis library. RedisLocker is `@rufh/server/redis` (ioredis) and ServerMetrics is
// `@rufh/server/prometheus` (prom-client), both optional peers.
// The errors an authorizer or hook throws to deny, so that apps need not import @rufh/protocol for them.
export { ForbiddenError, RefusedError, UnauthorizedError } from '@rufh/protocol'
export { createFetchHandler, type FetchHandler } from './adapters/fetch.js'
export {
  type ListenOptions,
  listenNode,
  type NodeEndpoint,
  type NodeListener,
  type NodeListenOptions,
  type RunningServer,
  startServer,
} from './adapters/listen.js'
export { createNodeHandler, type NodeHandler } from './adapters/node.js'
export {
  type AuthContext,
  Authorization,
  type AuthorizationOptions,
  type Authorize,
  type AuthProcedure,
  type Grant,
  principalOf,
} from './auth/authorize.js'
export { type HttpAuthorizerOptions, httpAuthorizer } from './auth/http-authorizer.js'
export type { Config, ServerOptions } from './config.js'
export type { CorsOptions } from './cors.js'
export { UploadHandler } from './handler.js'
export { isUploadId, newUploadId } from './ids.js'
export { type AcquireOptions, type Lease, type Locker, MemoryLocker } from './lockers/locker.js'
export {
  type Listener,
  type PreCreate,
  type PreFinish,
  type PreTerminate,
  type UploadEvent,
  type UploadEventMap,
  UploadEvents,
} from './observe/events.js'
export { checkFinishResponse, type FinishResponse, MAX_FINISH_BODY } from './observe/finish-response.js'
export { FORWARDED_FIELDS } from './observe/hook-http.js'
export {
  type CreationChange,
  type HookEvent,
  type Hooks,
  listenHooks,
  type Refusal,
} from './observe/hooks.js'
export { DEFAULT_HOOK_EVENTS, type HttpHooksOptions, httpHooks } from './observe/http-hooks.js'
export type { Logger } from './observe/logger.js'
export type { Metrics } from './observe/metrics.js'
export { DiskStore, type DiskStoreOptions } from './stores/disk-store.js'
export { type ChunkSink, isPushBody, type PushBody } from './stores/push-body.js'
export * from './stores/store.js'
export type { HandlerReply, InterimSink, UploadRequest } from './types.js'
