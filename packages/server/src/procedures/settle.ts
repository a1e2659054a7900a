/**
 * Repair on read: a tus upload whose offset reached its declared length is complete (tus 1.0 has no completeness
 * field), whatever the process did after writing the bytes. A kill -9 between storing the last byte and recording
 * completion would otherwise leave it stuck: HEAD reports the full offset (so a tus client sends nothing more) and GET
 * answers 409 for good. Completion goes through the same gates as an append's (hooks, authorization): a gate that
 * refuses leaves the upload incomplete, as it would have at its last append. The same read repairs a checksummed
 * append that a crash interrupted (its checkpoint, procedures/checksum.ts).
 */
import type { Ctx } from '../context.js'
import type { UploadInfo } from '../stores/store.js'
import type { UploadRequest } from '../types.js'
import { rollBack } from './checksum.js'

export function needsSettling(info: UploadInfo): boolean {
  return info.checkpoint !== undefined || completesNow(info)
}

function completesNow(info: UploadInfo): boolean {
  return (
    info.completesAtLength === true &&
    !info.complete &&
    info.invalid === undefined &&
    (info.expiresAt === undefined || Date.now() < info.expiresAt) &&
    info.length !== undefined &&
    info.offset === info.length
  )
}

/**
 * Cuts off what a crash left unverified (checksum.ts), then completes `info` if it is such an upload; the caller
 * holds its lease. A refusing gate leaves it as it is.
 */
export async function settle(ctx: Ctx, read: UploadInfo, req: UploadRequest): Promise<UploadInfo> {
  // First the bytes a crash left unverified (a checksummed append): they must never complete an upload.
  const info = await rollBack(ctx.cfg.store, read)
  if (!completesNow(info)) return info
  try {
    await ctx.cfg.events.preFinish(info, req)
  } catch {
    return info
  }
  const done = await ctx.cfg.store.update(info.id, { complete: true }, info)
  ctx.cfg.events.emit('finished', done)
  return done
}
