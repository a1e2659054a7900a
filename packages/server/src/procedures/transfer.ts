/**
 * Streams one request body into the store under a lease, sending progress 104s, and turns the way the body ended
 * into the outcome the protocol needs. Used by creation and append alike.
 */
import {
  Field,
  type HeaderReader,
  type ProtocolCodec,
  type RufhError,
  readContentLength,
  ShuttingDownError,
  UploadInterruptedError,
} from '@rufh/protocol'
import type { Ctx } from '../context.js'
import type { Lease } from '../lockers/locker.js'
import { type Bound, passedBound } from '../rules/upload-rules.js'
import type { UploadInfo } from '../stores/store.js'
import type { InterimSink, UploadRequest } from '../types.js'
import { BodyReader } from './body-reader.js'

export interface Progress {
  codec: ProtocolCodec
  interim: InterimSink | undefined
  /** Only when the request named a supported interop version (every draft's interop appendix). */
  allowed: boolean
}

export interface TransferOptions {
  req: UploadRequest
  /** The upload's lease: a newer request for the upload stops this transfer through it. */
  lease: Lease
  id: string
  /** Where the request's content starts. */
  offset: number
  /** The most bytes the request may carry (rules/upload-rules.ts `requestBound`). */
  bound: Bound | undefined
  progress: Progress
  /** Sees every byte on its way to the store (tus checksums). */
  tap?: ((chunk: Uint8Array) => void) | undefined
  /** The upload as the store last answered for it under `lease` (store.ts `AppendOptions.known`). */
  known?: UploadInfo | undefined
}

export interface TransferResult {
  offset: number
  /** The body ended normally with every byte passed on. */
  ended: boolean
  /** Set when the body did not end normally. */
  failure: RufhError | undefined
}

export async function transfer(ctx: Ctx, o: TransferOptions): Promise<TransferResult> {
  const { req, offset, bound } = o
  if (!req.body) return { offset, ended: true, failure: undefined }
  const reader = new BodyReader(req.body, {
    limit: bound?.bytes,
    idleMs: ctx.cfg.idleTimeoutMs,
    client: req.bodyReportsClient ? undefined : req.signal,
    preempt: o.lease.stop ?? o.lease.signal,
    held: o.lease.held?.bind(o.lease),
    shutdown: ctx.shutdown,
    tap: o.tap,
  })
  const send104 = progressSender(ctx, o.progress)
  const onProgress = (stored: number) => {
    ctx.cfg.events.emit('received', o.id, stored)
    send104?.(stored)
  }
  ctx.cfg.events.emit('transferStarted', o.id, offset)
  let end = offset // a store that throws reports nothing stored
  try {
    end = await ctx.cfg.store.append(o.id, offset, reader, {
      onProgress,
      bodyLength: bodyLengthOf(req.headers),
      known: o.known,
      // The reader passes chunks on as they came, or cut at the limit (a view the store will not free).
      release: req.bodyChunksOwned,
    })
  } finally {
    ctx.cfg.events.emit('transferEnded', o.id, end - offset)
  }
  return { offset: end, ended: reader.ended, failure: reader.ended ? undefined : failureOf(reader, bound, offset) }
}

/**
 * The bytes the body carries when it ends normally, for the store to plan by (S3 streams parts it knows will fill):
 * Content-Length, unless the body is chunked (RFC 9112 §6.3: Transfer-Encoding overrides Content-Length).
 */
function bodyLengthOf(h: HeaderReader): number | undefined {
  if (h.get(Field.transferEncoding)) return undefined
  return readContentLength(h)
}

function failureOf(reader: BodyReader, bound: Bound | undefined, start: number): RufhError {
  switch (reader.stopped) {
    case 'limit':
      return passedBound(bound, start, reader.bytes)
    case 'shutdown':
      return new ShuttingDownError()
    case 'preempted':
      return new UploadInterruptedError('a newer request for this upload took over')
    case 'lost':
      return new UploadInterruptedError("this server could not renew the upload's lock in time")
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
