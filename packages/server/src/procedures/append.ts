/** Append: PATCH on the upload resource at `Upload-Offset` (draft-05 §4.4), completing it with `Upload-Complete: ?1`. */
import { ChecksumMismatchError, type Selection } from '@rufh/protocol'
import { type Ctx, responseContext, view } from '../context.js'
import { failureReply, TransferFailure } from '../failure.js'
import { appendEnd, invalidates, planAppend } from '../rules/upload-rules.js'
import { refuseUnsupportedVersion } from '../rules/versions.js'
import type { UploadInfo } from '../stores/store.js'
import type { HandlerReply, InterimSink, UploadRequest } from '../types.js'
import { checksum, rollBack } from './checksum.js'
import { transfer } from './transfer.js'

export async function append(
  ctx: Ctx,
  req: UploadRequest,
  sel: Selection,
  interim: InterimSink | undefined,
  id: string,
): Promise<HandlerReply> {
  refuseUnsupportedVersion(sel)
  const { codec } = sel
  const { limits, store, locker } = ctx.cfg
  const a = codec.readAppend(req.headers)
  const lease = await locker.acquire(id, { timeoutMs: ctx.cfg.lockTimeoutMs })
  let info: UploadInfo | undefined
  try {
    // A checksummed append a crash interrupted leaves unverified bytes: cut off before anything else (checksum.ts).
    info = await rollBack(store, await store.get(id))
    // What this append may do is decided by the rules (rules/upload-rules.ts); here is only the I/O it calls for.
    const plan = planAppend(info, a, limits, codec)
    if (plan.kind === 'replay') return codec.appended(view(info), responseContext(ctx))
    if (plan.kind === 'refuse') {
      if (plan.invalidate) await store.update(id, { invalid: plan.error.message })
      throw plan.error
    }
    if (plan.declareLength !== undefined) info = await store.update(id, { length: plan.declareLength })

    const start = info.offset
    const check = a.checksum ? checksum(ctx, a.checksum.algorithm, id, start) : undefined
    await check?.begin()
    const progress = { codec, interim, allowed: sel.interimAllowed }
    // `info` is the store's answer under this lease (a checkpoint written since changes no offset).
    const t = await transfer(ctx, {
      req,
      lease,
      id,
      offset: start,
      bound: plan.bound,
      progress,
      tap: check?.tap,
      known: info,
    })
    // tus checksum: a body that was cut, or does not match, stores nothing.
    if (check && a.checksum) {
      if (t.failure || !check.matches(a.checksum.digest)) {
        await check.undo()
        if (!t.failure) throw new ChecksumMismatchError()
      } else await check.commit()
    }
    if (t.failure) {
      if (invalidates(t.failure, codec)) await store.update(id, { invalid: t.failure.message })
      info = await store.get(id)
      throw new TransferFailure(t.failure)
    }
    // We hold the lease: the store's answer to the append is the offset (no need to read the upload again).
    info = { ...info, offset: t.offset }
    const end = appendEnd(a, info.offset, info.length)
    if (end.error) throw end.error
    if (end.complete) {
      // Hooks and authorization may refuse completion: the upload stays incomplete, its bytes stored.
      await ctx.cfg.events.preFinish(info, req)
      info = await store.update(id, { complete: true, length: info.offset }, info)
      ctx.cfg.events.emit('finished', info)
    }
    return codec.appended(view(info), responseContext(ctx))
  } catch (e) {
    return failureReply(ctx, codec, e, 'append', info)
  } finally {
    await lease.release()
  }
}
