/** Upload creation: any content-carrying request to the target with a completeness field (draft-05 §4.2). */
import { NotResumableError, readContentLength, representationMetadata, type Selection } from '@rufh/protocol'
import { type Ctx, responseContext, view } from '../context.js'
import { TransferFailure } from '../failure.js'
import { newUploadId } from '../ids.js'
import { checkCreation, creationEnd, invalidates, ORDINARY } from '../rules/upload-rules.js'
import type { HandlerReply, InterimSink, UploadRequest } from '../types.js'
import { concatenate } from './concatenate.js'
import { transfer } from './transfer.js'

export async function create(
  ctx: Ctx,
  req: UploadRequest,
  sel: Selection,
  interim: InterimSink | undefined,
  locationOf: (id: string) => string,
): Promise<HandlerReply> {
  if (sel.unsupported) return ordinary(ctx, req, sel, locationOf)
  const { codec } = sel
  const { limits, store, locker, events } = ctx.cfg
  const c = codec.readCreation(req.headers)
  if (!c) throw new NotResumableError()
  if (c.concat?.kind === 'final') return concatenate(ctx, req, sel, c, locationOf)

  // Checked before anything is stored, so that a refused request changes nothing (rules/upload-rules.ts).
  const bound = checkCreation(c, limits, codec)

  const now = Date.now()
  const init = {
    id: newUploadId(),
    length: c.length,
    expiresAt: limits.maxAge !== undefined ? now + limits.maxAge * 1000 : undefined,
    metadata: c.metadata ?? {},
    concat: c.concat,
    ...(c.completesAtLength ? { completesAtLength: true } : {}),
  }
  // Hooks may refuse the upload (403) before anything is stored, or choose its id and metadata.
  await events.preCreate(init, req)
  const { id } = init
  // The lease before the upload exists: no other request (the 104 below gives its location away) can change it
  // between its creation and our transfer, so what the store answers here stays true while we hold the lease.
  const lease = await locker.acquire(id, { timeoutMs: ctx.cfg.lockTimeoutMs })
  try {
    let info = await store.create(init)
    events.emit('created', info)
    const location = locationOf(id)
    // Location identical in every response of this creation (draft-10 §4.2).
    if (interim && sel.interimAllowed) interim.send(codec.announce(location, view(info), responseContext(ctx)))

    const progress = { codec, interim, allowed: sel.interimAllowed }
    const t = await transfer(ctx, { req, lease, id, offset: 0, bound, progress, known: info })
    if (t.failure) {
      if (invalidates(t.failure, codec)) await store.update(id, { invalid: t.failure.message })
      throw new TransferFailure(t.failure, location)
    }
    // We hold the lease: the store's answer to the append is the offset (no need to read the upload again).
    info = { ...info, offset: t.offset }
    // tus: an upload is complete when its offset reaches its length (which may be 0 at creation).
    if (c.completesAtLength && info.length !== undefined && info.offset === info.length && !c.complete) {
      await events.preFinish(info, req)
      info = await store.update(id, { complete: true }, info)
      events.emit('finished', info)
    }
    if (c.complete) {
      const error = creationEnd(c, info.offset, info.length)
      if (error) throw new TransferFailure(error, location)
      await events.preFinish(info, req)
      // A complete creation with a chunked body learns its length at the end (draft-12 §4.1.2).
      info = await store.update(id, { complete: true, length: info.offset }, info)
      events.emit('finished', info)
    }
    return { ...codec.created(location, view(info), responseContext(ctx)) }
  } finally {
    await lease.release()
  }
}

/**
 * A creation naming an interop version this server does not speak is handled as by a server without resumable
 * uploads (every draft's interop appendix: no 104): its content is the whole representation, stored complete, and
 * answered with a plain 201 carrying none of the draft's fields. Only `max-size` binds it (the client cannot have
 * learnt other limits in a version we do not speak); `Location` names the stored representation (GET serves it).
 */
async function ordinary(
  ctx: Ctx,
  req: UploadRequest,
  sel: Selection,
  locationOf: (id: string) => string,
): Promise<HandlerReply> {
  const { limits, store, locker, events } = ctx.cfg
  const c = { complete: true, length: undefined, contentLength: readContentLength(req.headers) }
  const bound = checkCreation(c, limits, ORDINARY)
  const init = {
    id: newUploadId(),
    length: undefined,
    expiresAt: undefined,
    metadata: representationMetadata(req.headers),
  }
  await events.preCreate(init, req)
  const { id } = init
  const created = await store.create(init)
  events.emit('created', created)
  const location = locationOf(id)
  const lease = await locker.acquire(id, { timeoutMs: ctx.cfg.lockTimeoutMs })
  try {
    const progress = { codec: sel.codec, interim: undefined, allowed: false }
    const t = await transfer(ctx, { req, lease, id, offset: 0, bound, progress })
    if (t.failure) {
      // Nothing resumable was offered: what was stored of a failed ordinary upload is of no use to anyone.
      await store.remove(id)
      events.emit('terminated', id)
      throw new TransferFailure(t.failure)
    }
    try {
      await events.preFinish({ ...created, offset: t.offset }, req)
    } catch (e) {
      // Refused: as for a cut ordinary upload, nothing resumable was offered, so nothing is kept.
      await store.remove(id)
      events.emit('terminated', id)
      throw e
    }
    events.emit('finished', await store.update(id, { complete: true, length: t.offset }))
    return { status: 201, headers: { location } }
  } finally {
    await lease.release()
  }
}
