/** Offset retrieval: HEAD (and GET from I9) on the upload resource (draft-05 §4.3). */
import { type Selection, UploadGoneError } from '@rufh/protocol'
import { type Ctx, isExpired, responseContext, view } from '../context.js'
import type { HandlerReply, UploadRequest } from '../types.js'

export async function retrieve(ctx: Ctx, req: UploadRequest, sel: Selection, id: string): Promise<HandlerReply> {
  sel.codec.checkRetrieval(req.headers)
  // Taking the lock stops a transfer still running for this upload, so the offset reported is final and the next
  // append at that offset is accepted (draft-09 §4.4: reported offsets MUST be usable).
  const lease = await ctx.cfg.locker.acquire(id, { timeoutMs: ctx.cfg.lockTimeoutMs })
  try {
    const info = await ctx.cfg.store.get(id)
    if (info.invalid) throw new UploadGoneError(info.invalid)
    if (isExpired(info)) throw new UploadGoneError('expired')
    return sel.codec.retrieved(view(info), responseContext(ctx))
  } finally {
    await lease.release()
  }
}
