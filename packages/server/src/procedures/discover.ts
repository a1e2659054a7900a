/**
 * Discovery: OPTIONS on the target or `*` (draft-05 §4.1.4: `Upload-Limit`; draft-10: `Accept-Patch`; tus 1.0:
 * `Tus-Version`, `Tus-Extension`, `Tus-Max-Size`). tus clients send OPTIONS without `Tus-Resumable`, so a request that
 * names no protocol gets both protocols' fields.
 */
import type { HeaderReader, Selection } from '@rufh/protocol'
import { type Ctx, responseContext } from '../context.js'
import { tusExtensions } from '../rules/tus-extensions.js'
import { refuseUnsupportedVersion } from '../rules/versions.js'
import type { HandlerReply } from '../types.js'

export function discover(ctx: Ctx, sel: Selection, h: HeaderReader): HandlerReply {
  // A client on an unknown version learns the supported ones here (and steps down before spending its file).
  refuseUnsupportedVersion(sel)
  const rc = { ...responseContext(ctx), tusExtensions: tusExtensions(ctx.cfg.store) }
  const r = sel.codec.discovery(rc)
  // Without a draft version, the request may come from a tus client (whose Tus-Resumable OPTIONS must ignore).
  if (h.get('upload-draft-interop-version') == null && ctx.cfg.tus)
    Object.assign(r.headers, ctx.cfg.tus.discovery(rc).headers)
  r.headers['allow'] = 'OPTIONS, POST, PUT, PATCH, HEAD, GET, DELETE'
  return r
}
