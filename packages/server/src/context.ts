/** What every procedure shares: configuration, the shutdown signal, and small helpers over them. */
import type { ResponseContext, UploadView } from '@rufh/protocol'
import type { Config } from './config.js'
import type { StopSignal } from './lockers/locker.js'
import type { UploadInfo } from './stores/store.js'

export interface Ctx {
  cfg: Config
  /** Aborts when the server shuts down: transfers stop, persist, and answer 503. */
  shutdown: StopSignal
}

export function responseContext(ctx: Ctx): ResponseContext {
  return { limits: ctx.cfg.limits, now: Date.now() }
}

export function view(info: UploadInfo): UploadView {
  return {
    offset: info.offset,
    length: info.length,
    complete: info.complete,
    expiresAt: info.expiresAt,
    metadata: info.metadata,
    concat: info.concat,
  }
}

export { isExpired } from './rules/upload-rules.js'
