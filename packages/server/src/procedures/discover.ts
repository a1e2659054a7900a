/** Discovery: OPTIONS on the target or `*` (draft-05 §4.1.4: `Upload-Limit`; draft-10: `Accept-Patch`). */
import type { Selection } from '@rufh/protocol'
import { type Ctx, responseContext } from '../context.js'
import type { HandlerReply } from '../types.js'

export function discover(ctx: Ctx, sel: Selection): HandlerReply {
  const r = sel.codec.discovery(responseContext(ctx))
  r.headers['allow'] = 'OPTIONS, POST, PUT, PATCH, HEAD, GET, DELETE'
  return r
}
