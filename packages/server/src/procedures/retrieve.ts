/** Offset retrieval: HEAD (and GET from I9) on the upload resource (draft-05 §4.3). */
import type { Selection } from '@rufh/protocol'
import { type Ctx, responseContext, view } from '../context.js'
import { assertUsable } from '../rules/upload-rules.js'
import { refuseUnsupportedVersion } from '../rules/versions.js'
import type { HandlerReply, UploadRequest } from '../types.js'
import { settle } from './settle.js'

export async function retrieve(ctx: Ctx, req: UploadRequest, sel: Selection, id: string): Promise<HandlerReply> {
  refuseUnsupportedVersion(sel)
  sel.codec.checkRetrieval(req.headers)
  // Taking the lock stops a transfer still running for this upload, so the offset reported is final and the next
  // append at that offset is accepted (draft-09 §4.4: reported offsets MUST be usable).
  const lease = await ctx.cfg.locker.acquire(id, { timeoutMs: ctx.cfg.lockTimeoutMs })
  try {
    const info = await settle(ctx, await ctx.cfg.store.get(id), req)
    assertUsable(info)
    return sel.codec.retrieved(view(info), responseContext(ctx))
  } finally {
    await lease.release()
  }
}
