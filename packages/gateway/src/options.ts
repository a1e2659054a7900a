/** The gateway's options, and their defaults. */
import { join } from 'node:path'
import type { Limits } from '@rufh/protocol'
import type { CorsOptions, Locker, Logger, Store } from '@rufh/server'
import type { Journal } from './journal.js'

export type GatewayMode = 'spool' | 'stream'

export interface GatewayOptions {
  /** The plain HTTP backend, e.g. `http://127.0.0.1:3000`; a path prefix is put before every forwarded path. */
  backend: string | URL
  /** `spool` (default): store, then forward at completion. `stream`: one backend request fed as appends arrive. */
  mode?: GatewayMode
  /** Folder for the default disk store (`uploads/`) and journal (`journal/`). Default `./gateway`. */
  directory?: string
  /** Spool mode: where upload bytes are kept (must be readable). Default: a DiskStore in `directory/uploads`. */
  store?: Store
  /**
   * Spool mode: where request heads and backend answers are kept. Default: with the uploads when the store keeps
   * objects next to them (`CompanionStore`, e.g. S3Store), else a DiskJournal in `directory/journal`.
   */
  journal?: Journal
  /** Shared with other gateways on the same store (e.g. a RedisLocker). Default: in-process. */
  locker?: Locker
  limits?: Limits
  /** Where upload resources live (`Location`); creation works on any other path. Default `/.uploads/`. */
  uploadPath?: string
  /** Extra attempts to reach the backend after the first (spool mode). Default 5. */
  forwardRetries?: number
  /** First backoff delay, doubled each attempt (max 10 s). Default 200 ms. */
  retryDelayMs?: number
  /** Largest backend response body relayed and kept. Default 1 MiB. */
  responseLimit?: number
  /** A backend connection without progress for this long fails with 504. Default 60 s. */
  backendTimeoutMs?: number
  /** A client gone this long: its request body counts as interrupted; in stream mode the backend request is aborted. Default 60 s. */
  idleTimeoutMs?: number
  /** Spool mode: how often a failed delivery is tried again in the background. Default 30 s; 0: never. */
  redeliverIntervalMs?: number
  /** Fsync stored bytes before acknowledging them (default disk store). */
  fsync?: boolean
  cors?: CorsOptions
  /** Take `Location`'s origin from `Forwarded` / `X-Forwarded-*`. Default false. */
  trustProxy?: boolean
  logger?: Logger
  /** How long a request waits for an upload's previous request. Default 10 s. */
  lockTimeoutMs?: number
  /** Minimum time between progress 104s. Default 1 s. */
  progressIntervalMs?: number
}

export interface Resolved {
  backend: URL
  mode: GatewayMode
  directory: string
  uploadPath: string
  forward: { retries: number; retryDelayMs: number; responseLimit: number; timeoutMs: number }
  idleTimeoutMs: number
  redeliverIntervalMs: number
  lockTimeoutMs: number
}

export function resolve(o: GatewayOptions): Resolved {
  const backend = new URL(o.backend)
  if (backend.protocol !== 'http:' && backend.protocol !== 'https:')
    throw new TypeError(`the backend must be an http:// or https:// URL (got ${backend.href})`)
  let uploadPath = o.uploadPath ?? '/.uploads/'
  if (!uploadPath.startsWith('/')) uploadPath = `/${uploadPath}`
  if (!uploadPath.endsWith('/')) uploadPath = `${uploadPath}/`
  const directory = o.directory ?? './gateway'
  return {
    backend,
    mode: o.mode ?? 'spool',
    directory,
    uploadPath,
    forward: {
      retries: o.forwardRetries ?? 5,
      retryDelayMs: o.retryDelayMs ?? 200,
      responseLimit: o.responseLimit ?? 1024 * 1024,
      timeoutMs: o.backendTimeoutMs ?? 60_000,
    },
    idleTimeoutMs: o.idleTimeoutMs ?? 60_000,
    redeliverIntervalMs: o.redeliverIntervalMs ?? 30_000,
    lockTimeoutMs: o.lockTimeoutMs ?? 10_000,
  }
}

export function storeDir(directory: string): string {
  return join(directory, 'uploads')
}

export function journalDir(directory: string): string {
  return join(directory, 'journal')
}
