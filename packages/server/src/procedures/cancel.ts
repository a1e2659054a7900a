/** Cancellation: DELETE on the upload resource (draft-05 §4.5). Stops a running transfer first. */
import type { Selection } from '@rufh/protocol'
import type { Ctx } from '../context.js'
import { refuseUnsupportedVersion } from '../rules/versions.js'
import type { HandlerReply, UploadRequest } from '../types.js'

export async function cancel(ctx: Ctx, req: UploadRequest, sel: Selection, id: string): Promise<HandlerReply> {
  refuseUnsupportedVersion(sel)
  sel.codec.checkCancellation(req.headers)
  const lease = await ctx.cfg.locker.acquire(id, { timeoutMs: ctx.cfg.lockTimeoutMs })
  try {
    const info = await ctx.cfg.store.get(id) // 404 for unknown uploads (draft-05 §4.5)
    await ctx.cfg.events.preTerminate(info, req) // a hook may refuse: nothing is removed
    await ctx.cfg.store.remove(id)
    ctx.cfg.events.emit('terminated', id)
    return sel.codec.cancelled()
  } finally {
    await lease.release()
  }
}
