/** Append: PATCH on the upload resource at `Upload-Offset` (draft-05 §4.4), completing it with `Upload-Complete: ?1`. */
import {
  ChecksumMismatchError,
  CompletedUploadError,
  ForbiddenError,
  InconsistentLengthError,
  LimitError,
  OffsetMismatchError,
  type Selection,
  UploadGoneError,
} from '@rufh/protocol'
import { type Ctx, isExpired, responseContext, view } from '../context.js'
import { failureReply, TransferFailure } from '../failure.js'
import type { UploadInfo } from '../stores/store.js'
import type { HandlerReply, InterimSink, UploadRequest } from '../types.js'
import { checksum } from './checksum.js'
import { type Bound, tightest, transfer } from './transfer.js'

export async function append(
  ctx: Ctx,
  req: UploadRequest,
  sel: Selection,
  interim: InterimSink | undefined,
  id: string,
): Promise<HandlerReply> {
  const { codec } = sel
  const { limits, store, locker } = ctx.cfg
  const a = codec.readAppend(req.headers)
  const lease = await locker.acquire(id, { timeoutMs: ctx.cfg.lockTimeoutMs })
  let info: UploadInfo | undefined
  try {
    info = await store.get(id)
    if (info.invalid) throw new UploadGoneError(info.invalid)
    if (isExpired(info)) throw new UploadGoneError('expired')
    const empty = a.contentLength === 0
    // tus concatenation: a final upload is made by the server, never appended to.
    if (info.concat?.kind === 'final') throw new ForbiddenError('a final (concatenated) upload cannot be appended to')
    if (info.complete) {
      // draft-12: the server may answer a repeated completing append with the final response (a lost response).
      if (codec.replaysCompletion && a.complete && empty && a.offset === info.offset)
        return codec.appended(view(info), responseContext(ctx))
      // draft-04 §4.4.2 ff.: a completed upload takes no more data.
      throw new CompletedUploadError(empty)
    }
    if (a.offset !== info.offset) throw new OffsetMismatchError(info.offset, a.offset)

    // The length, once known, never changes (draft-05 §4.1.3); content past it is an inconsistency.
    if (info.length !== undefined && a.length !== undefined && a.length !== info.length)
      throw new InconsistentLengthError(`the upload's length is ${info.length}, not ${a.length}`)
    if (info.length !== undefined && a.contentLength !== undefined && a.offset + a.contentLength > info.length) {
      // draft-08 §4.4: exceeding the length invalidates the upload.
      await store.update(id, { invalid: 'data past the declared length' })
      throw new InconsistentLengthError(`${a.offset + a.contentLength} bytes exceed the upload's length ${info.length}`)
    }
    if (info.length === undefined && a.length !== undefined) {
      if (a.length < info.offset)
        throw new InconsistentLengthError(`length ${a.length} is below the offset ${info.offset}`)
      // A length declared late (tus defer-length, or a draft append) is held to max-size like one declared at creation.
      if (limits.maxSize !== undefined && a.length > limits.maxSize)
        throw new LimitError('max-size', a.length, limits.maxSize)
      info = await store.update(id, { length: a.length })
    }

    checkAppendLimits(a.contentLength, a.complete, codec.announcesLimits, info.offset, ctx)
    const bound = tightest([
      info.length !== undefined ? { kind: 'length', bytes: info.length - info.offset, value: info.length } : undefined,
      limits.maxSize !== undefined
        ? { kind: 'max-size', bytes: limits.maxSize - info.offset, value: limits.maxSize }
        : undefined,
      codec.announcesLimits && limits.maxAppendSize !== undefined
        ? { kind: 'max-append-size', bytes: limits.maxAppendSize, value: limits.maxAppendSize }
        : undefined,
    ] satisfies (Bound | undefined)[])

    const start = info.offset
    const check = a.checksum ? checksum(ctx, a.checksum.algorithm) : undefined
    const t = await transfer(
      ctx,
      req,
      lease,
      id,
      start,
      bound,
      { codec, interim, allowed: sel.interimAllowed },
      check?.tap,
    )
    // tus checksum: a body that was cut, or does not match, stores nothing.
    if (check && a.checksum && (t.failure || !check.matches(a.checksum.digest))) {
      await check.truncate(id, start)
      if (!t.failure) throw new ChecksumMismatchError()
    }
    if (t.failure) {
      if (t.failure instanceof InconsistentLengthError) await store.update(id, { invalid: t.failure.message })
      info = await store.get(id)
      throw new TransferFailure(t.failure)
    }
    // We hold the lease: the store's answer to the append is the offset (no need to read the upload again).
    info = { ...info, offset: t.offset }
    const reachedLength = a.completesAtLength === true && info.length !== undefined && info.offset === info.length
    if (a.complete || reachedLength) {
      if (info.length !== undefined && info.offset !== info.length)
        throw new InconsistentLengthError(`the upload ended at ${info.offset} bytes, not at its length ${info.length}`)
      info = await store.update(id, { complete: true, length: info.offset })
      ctx.cfg.events.emit('finished', info)
    }
    return codec.appended(view(info), responseContext(ctx))
  } catch (e) {
    return failureReply(ctx, codec, e, 'append', info)
  } finally {
    await lease.release()
  }
}

/**
 * Limits on one append's content that can be checked before reading it (draft-05 §4.1.4). Append-size limits bind only
 * clients whose version can learn them (`Upload-Limit`, from I6); tus and I3–I5 clients are held to max-size alone.
 */
function checkAppendLimits(
  contentLength: number | undefined,
  complete: boolean,
  announced: boolean,
  offset: number,
  ctx: Ctx,
): void {
  const { limits } = ctx.cfg
  if (contentLength === undefined) return
  if (announced && limits.maxAppendSize !== undefined && contentLength > limits.maxAppendSize)
    throw new LimitError('max-append-size', contentLength, limits.maxAppendSize)
  // The final append is exempt from the minimum (draft-05 §4.1.4).
  if (announced && limits.minAppendSize !== undefined && !complete && contentLength < limits.minAppendSize)
    throw new LimitError('min-append-size', contentLength, limits.minAppendSize)
  if (limits.maxSize !== undefined && offset + contentLength > limits.maxSize)
    throw new LimitError('max-size', offset + contentLength, limits.maxSize)
}
