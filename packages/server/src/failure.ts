/** Turns anything a procedure throws into the version's error response (problem details, RFC 9457). */
import { asRufhError, type Procedure, type ProtocolCodec } from '@rufh/protocol'
import { type Ctx, responseContext, view } from './context.js'
import type { UploadInfo } from './stores/store.js'
import type { HandlerReply } from './types.js'

/** A failure during a body transfer: the rest of the body was not read, so the connection must close. */
export class TransferFailure extends Error {
  constructor(
    readonly error: Error,
    readonly location?: string,
  ) {
    super(error.message, { cause: error })
  }
}

export function failureReply(
  ctx: Ctx,
  codec: ProtocolCodec,
  thrown: unknown,
  procedure: Procedure,
  info?: UploadInfo,
): HandlerReply {
  const inner = thrown instanceof TransferFailure ? thrown.error : thrown
  const err = asRufhError(inner)
  if (err.code === 'ERR_INTERNAL') ctx.cfg.logger?.error({ err: inner }, 'internal error')
  const reply: HandlerReply = codec.failure(err, procedure, responseContext(ctx), info && view(info))
  if (thrown instanceof TransferFailure) {
    reply.close = true
    // Location on a failed creation lets clients that cannot read 104 resume what was stored (issue #3509).
    if (thrown.location) reply.headers['location'] = thrown.location
  }
  return reply
}
