/** What both entries (Node `index.ts`, browser `browser.ts`) export. Nothing here imports `node:*`. */
export type { InteropVersion } from '@rufh/protocol'
export type { Exchange, Procedure, Verdict } from './core/classify.js'
export { classify } from './core/classify.js'
export type {
  CreationMode,
  Progress,
  UploadEvents,
  UploadOptions,
  UploadResult,
  UploadStatus,
} from './core/options.js'
export { backoff, defaultRetryPolicy, parseRetryAfter, type RetryPolicy, retryDelay } from './core/retry.js'
export { Sizing } from './core/sizing.js'
export type {
  Body,
  KnownVersion,
  Slice,
  Source,
  StateStore,
  StoredUpload,
  Transport,
  TransportRequest,
  TransportResponse,
} from './core/types.js'
export { STREAM_CHUNK_SIZE, Upload, type UploadEnv, VERSION_TTL_MS } from './core/upload.js'
export { candidateCodecs, type InteropPreference } from './core/versions.js'
export * from './errors.js'
export { BlobSource } from './sources/blob.js'
export { BytesSource } from './sources/bytes.js'
export { StreamSource } from './sources/stream.js'
export { webStreamSource } from './sources/web-stream.js'
export { MemoryStore } from './state/memory.js'
export { FetchTransport } from './transports/fetch.js'
