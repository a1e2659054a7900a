/**
 * Streams one request body into the store under a lease, sending progress 104s, and turns the way the body ended
 * into the outcome the protocol needs. Used by creation and append alike.
 */
import {
  InconsistentLengthError,
  LimitError,
  type ProtocolCodec,
  type RufhError,
  ShuttingDownError,
  UploadInterruptedError,
} from '@rufh/protocol'
import type { Ctx } from '../context.js'
import type { Lease } from '../lockers/locker.js'
import type { InterimSink, UploadRequest } from '../types.js'
import { BodyReader } from './body-reader.js'

/** The tightest bound on the bytes this request may carry, and what passing it means. */
export interface Bound {
  kind: 'length' | 'max-size' | 'max-append-size'
  /** Bytes this request may still carry. */
  bytes: number
  /** The limit's value, for the error. */
  value: number
}

export function tightest(bounds: (Bound | undefined)[]): Bound | undefined {
  let best: Bound | undefined
  for (const b of bounds) if (b && (!best || b.bytes < best.bytes)) best = b
  return best
}

export interface Progress {
  codec: ProtocolCodec
  interim: InterimSink | undefined
  /** Only when the request named a supported interop version (every draft's interop appendix). */
  allowed: boolean
}

export interface TransferResult {
  offset: number
  /** The body ended normally with every byte passed on. */
  ended: boolean
  /** Set when the body did not end normally; `close` says the connection must be closed after answering. */
  failure: RufhError | undefined
}

export async function transfer(
  ctx: Ctx,
  req: UploadRequest,
  lease: Lease,
  id: string,
  offset: number,
  bound: Bound | undefined,
  progress: Progress,
  /** Sees every byte on its way to the store (tus checksums). */
  tap?: (chunk: Uint8Array) => void,
): Promise<TransferResult> {
  if (!req.body) return { offset, ended: true, failure: undefined }
  const reader = new BodyReader(req.body, {
    limit: bound?.bytes,
    idleMs: ctx.cfg.idleTimeoutMs,
    client: req.signal,
    preempt: lease.signal,
    shutdown: ctx.shutdown,
    tap,
  })
  const onProgress = progressSender(ctx, progress)
  ctx.cfg.events.emit('transferStarted', id, offset)
  let end = offset // a store that throws reports nothing stored
  try {
    end = await ctx.cfg.store.append(id, offset, reader, onProgress ? { onProgress } : {})
  } finally {
    ctx.cfg.events.emit('transferEnded', id, end - offset)
  }
  return { offset: end, ended: reader.ended, failure: reader.ended ? undefined : failureOf(reader, bound, offset) }
}

function failureOf(reader: BodyReader, bound: Bound | undefined, start: number): RufhError {
  switch (reader.stopped) {
    case 'limit':
      if (bound?.kind === 'length')
        return new InconsistentLengthError(`the request carried more than the upload's length (${bound.value})`)
      if (bound?.kind === 'max-size') return new LimitError('max-size', start + reader.bytes + 1, bound.value)
      return new LimitError('max-append-size', reader.bytes + 1, bound?.value ?? 0)
    case 'shutdown':
      return new ShuttingDownError()
    case 'preempted':
      return new UploadInterruptedError('a newer request for this upload took over')
    case 'idle':
      return new UploadInterruptedError('no data arrived for too long')
    default:
      return new UploadInterruptedError('the request body ended early')
  }
}

/** Progress 104s with `Upload-Offset` (draft-03 §5), at most one per interval, only ever increasing. */
function progressSender(ctx: Ctx, p: Progress): ((offset: number) => void) | undefined {
  const { interim } = p
  if (!interim || !p.allowed || !p.codec.progressInterim) return undefined
  let last = -1
  let lastAt = Date.now()
  return (offset) => {
    const now = Date.now()
    if (offset <= last || now - lastAt < ctx.cfg.progressIntervalMs) return
    last = offset
    lastAt = now
    interim.send(p.codec.progress(offset))
  }
}
