/** Upload creation: any content-carrying request to the target with a completeness field (draft-05 §4.2). */
import {
  Field,
  type HeaderReader,
  InconsistentLengthError,
  LimitError,
  NotResumableError,
  PARTIAL_UPLOAD,
  type Selection,
} from '@rufh/protocol'
import { type Ctx, responseContext, view } from '../context.js'
import { TransferFailure } from '../failure.js'
import { newUploadId } from '../ids.js'
import type { HandlerReply, InterimSink, UploadRequest } from '../types.js'
import { concatenate } from './concatenate.js'
import { type Bound, tightest, transfer } from './transfer.js'

export async function create(
  ctx: Ctx,
  req: UploadRequest,
  sel: Selection,
  interim: InterimSink | undefined,
  locationOf: (id: string) => string,
): Promise<HandlerReply> {
  const { codec } = sel
  const { limits, store, locker, events } = ctx.cfg
  const c = codec.readCreation(req.headers)
  if (!c) throw new NotResumableError()
  if (c.concat?.kind === 'final') return concatenate(ctx, req, sel, c, locationOf)

  // Limits that can be checked before anything is stored, so that a rejected request changes nothing.
  if (c.length !== undefined && limits.maxSize !== undefined && c.length > limits.maxSize)
    throw new LimitError('max-size', c.length, limits.maxSize)
  if (c.contentLength !== undefined && limits.maxSize !== undefined && c.contentLength > limits.maxSize)
    throw new LimitError('max-size', c.contentLength, limits.maxSize)
  if (c.length !== undefined && limits.minSize !== undefined && c.length < limits.minSize)
    throw new LimitError('min-size', c.length, limits.minSize)
  if (codec.appendLimitsBindCreation && c.contentLength !== undefined) {
    // draft-12 §4.1.4: append-size limits bind creation content; a complete or empty request is exempt from the minimum.
    if (limits.maxAppendSize !== undefined && c.contentLength > limits.maxAppendSize)
      throw new LimitError('max-append-size', c.contentLength, limits.maxAppendSize)
    if (
      limits.minAppendSize !== undefined &&
      !c.complete &&
      c.contentLength > 0 &&
      c.contentLength < limits.minAppendSize
    )
      throw new LimitError('min-append-size', c.contentLength, limits.minAppendSize)
  }

  const id = newUploadId()
  const now = Date.now()
  const init = {
    id,
    length: c.length,
    expiresAt: limits.maxAge !== undefined ? now + limits.maxAge * 1000 : undefined,
    metadata: { ...metadataOf(req.headers), ...c.metadata },
    concat: c.concat,
  }
  // Hooks may refuse the upload (403) before anything is stored.
  await events.preCreate(init)
  let info = await store.create(init)
  events.emit('created', info)
  const location = locationOf(id)
  // Location identical in every response of this creation (draft-10 §4.2).
  if (interim && sel.interimAllowed) interim.send(codec.announce(location, view(info), responseContext(ctx)))

  const lease = await locker.acquire(id, { timeoutMs: ctx.cfg.lockTimeoutMs })
  try {
    const bound = tightest([
      c.length !== undefined ? { kind: 'length', bytes: c.length, value: c.length } : undefined,
      limits.maxSize !== undefined ? { kind: 'max-size', bytes: limits.maxSize, value: limits.maxSize } : undefined,
      codec.appendLimitsBindCreation && limits.maxAppendSize !== undefined
        ? { kind: 'max-append-size', bytes: limits.maxAppendSize, value: limits.maxAppendSize }
        : undefined,
    ] satisfies (Bound | undefined)[])
    const t = await transfer(ctx, req, lease, id, 0, bound, { codec, interim, allowed: sel.interimAllowed })
    if (t.failure) {
      if (t.failure instanceof InconsistentLengthError) await store.update(id, { invalid: t.failure.message })
      throw new TransferFailure(t.failure, location)
    }
    info = await store.get(id)
    // tus: an upload is complete when its offset reaches its length (which may be 0 at creation).
    if (c.completesAtLength && info.length !== undefined && info.offset === info.length && !c.complete) {
      info = await store.update(id, { complete: true })
      events.emit('finished', info)
    }
    if (c.complete) {
      if (info.length !== undefined && info.offset !== info.length) {
        const e = new InconsistentLengthError(
          `the request completed the upload at ${info.offset} bytes, not ${info.length}`,
        )
        throw new TransferFailure(e, location)
      }
      // A complete creation with a chunked body learns its length at the end (draft-12 §4.1.2).
      info = await store.update(id, { complete: true, length: info.offset })
      events.emit('finished', info)
    }
    return { ...codec.created(location, view(info), responseContext(ctx)) }
  } finally {
    await lease.release()
  }
}

/** Representation metadata from the creation request (draft-11 §4.2: `Content-Type`, `Content-Disposition`). */
function metadataOf(h: HeaderReader): Record<string, string> {
  const m: Record<string, string> = {}
  const ct = h.get(Field.contentType)
  // tus-js-client's draft modes put the append media type on creation too: it says nothing about the representation.
  const type = ct?.split(';', 1)[0]?.trim().toLowerCase()
  if (ct && type !== PARTIAL_UPLOAD && type !== 'application/offset+octet-stream') m['filetype'] = ct.slice(0, 255)
  const cd = h.get(Field.contentDisposition)
  const name = cd ? filenameOf(cd) : undefined
  if (name) m['filename'] = name
  return m
}

function filenameOf(cd: string): string | undefined {
  const ext = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(cd)
  if (ext?.[1]) {
    try {
      return decodeURIComponent(ext[1].trim()).slice(0, 255)
    } catch {
      // fall through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/.exec(cd)
  const v = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2]
  return v?.slice(0, 255)
}
