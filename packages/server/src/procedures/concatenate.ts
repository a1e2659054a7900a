/** tus concatenation: `Upload-Concat: final;URL URL...` makes one complete upload from complete partial uploads. */
import {
  type CreationRequest,
  InvalidFieldError,
  LimitError,
  type Selection,
  UploadNotFoundError,
} from '@rufh/protocol'
import { type Ctx, responseContext, view } from '../context.js'
import { isUploadId, newUploadId } from '../ids.js'
import { isConcatenating, type NewUpload } from '../stores/store.js'
import type { HandlerReply, UploadRequest } from '../types.js'

export async function concatenate(
  ctx: Ctx,
  req: UploadRequest,
  sel: Selection,
  c: CreationRequest,
  locationOf: (id: string) => string,
): Promise<HandlerReply> {
  const { store, basePath, limits } = ctx.cfg
  if (c.concat?.kind !== 'final') throw new InvalidFieldError('upload-concat', 'not a final concatenation')
  if (!isConcatenating(store)) throw new InvalidFieldError('upload-concat', 'this store cannot concatenate uploads')
  const ids: string[] = []
  const parts: string[] = []
  for (const ref of c.concat.parts) {
    let url: URL
    try {
      url = new URL(ref, req.url)
    } catch {
      throw new InvalidFieldError('upload-concat', `'${ref.slice(0, 80)}' is not a URL`)
    }
    // Only uploads of this server: its origin (the one its Locations carry) and its base path. A URL naming another
    // host must not resolve to the local upload that happens to share its ID.
    const here = url.origin === req.url.origin && url.pathname.startsWith(basePath)
    const id = here ? url.pathname.slice(basePath.length) : ''
    if (url.search !== '' || url.hash !== '' || !isUploadId(id))
      throw new InvalidFieldError('upload-concat', `'${ref.slice(0, 80)}' is not an upload here`)
    let part: Awaited<ReturnType<typeof store.get>>
    try {
      part = await store.get(id)
    } catch (e) {
      if (e instanceof UploadNotFoundError)
        throw new InvalidFieldError('upload-concat', `no upload at '${ref.slice(0, 80)}'`)
      throw e
    }
    ctx.cfg.auth?.checkOwner(req, part) // only one's own uploads can be read into a new one
    if (part.concat?.kind !== 'partial')
      throw new InvalidFieldError('upload-concat', `'${ref.slice(0, 80)}' is not a partial upload`)
    if (!part.complete)
      throw new InvalidFieldError('upload-concat', `the partial upload '${ref.slice(0, 80)}' is not complete`)
    ids.push(id)
    parts.push(locationOf(id))
  }
  let total = 0
  for (const id of ids) total += (await store.get(id)).offset
  if (limits.maxSize !== undefined && total > limits.maxSize) throw new LimitError('max-size', total, limits.maxSize)
  const init: NewUpload = {
    id: newUploadId(),
    length: total,
    expiresAt: undefined,
    metadata: c.metadata ?? {},
    concat: { kind: 'final', parts },
  }
  await ctx.cfg.events.preCreate(init, req)
  const { id } = init
  const info = await store.concatenate(init, ids)
  // A final upload is born complete.
  ctx.cfg.events.emit('created', info)
  ctx.cfg.events.emit('finished', info)
  return sel.codec.created(locationOf(id), view(info), responseContext(ctx))
}
