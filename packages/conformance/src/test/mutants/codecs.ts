/**
 * Codec mutants: every interop codec of `@rufh/protocol`, each with one rule broken. A mutant codec is the real codec
 * with some methods replaced (`Object.create`, so the codec's own calls reach the replacements too).
 */
import {
  type Codec,
  codecs,
  Field,
  type Fields,
  type HeaderReader,
  LimitError,
  type Reply,
  type ResponseContext,
  type UploadView,
} from '@rufh/protocol'

type Overrides = Record<string, unknown>

/** Every codec (3-10) with `over(original)` applied. */
export function mutateCodecs(over: (orig: Codec) => Overrides): Codec[] {
  return codecs.map((c) => Object.assign(Object.create(c) as Codec, over(c)))
}

function without(fields: Fields, ...names: string[]): Fields {
  const out = { ...fields }
  for (const n of names) delete out[n]
  return out
}

function replyWithout(r: Reply, ...names: string[]): Reply {
  return { ...r, headers: without(r.headers, ...names) }
}

/** A header reader that rewrites one field. */
function rewrite(
  h: HeaderReader,
  name: string,
  fn: (v: string | null | undefined) => string | null | undefined,
): HeaderReader {
  return { get: (n) => (n.toLowerCase() === name ? fn(h.get(n)) : h.get(n)) }
}

type AnnounceFn = (location: string, upload: UploadView, ctx: ResponseContext) => Fields
type ReplyFn = (upload: UploadView, ctx: ResponseContext) => Reply
type CreatedFn = (location: string, upload: UploadView, ctx: ResponseContext) => Reply

export const codecMutants = {
  'no-location-104': () =>
    mutateCodecs((c) => ({
      announce(this: Codec, ...a: Parameters<AnnounceFn>) {
        return without(c.announce.apply(this, a), Field.location)
      },
    })),
  'no-location-final': () =>
    mutateCodecs((c) => ({
      created(this: Codec, ...a: Parameters<CreatedFn>) {
        return replyWithout(c.created.apply(this, a), Field.location)
      },
    })),
  'location-differs': () =>
    mutateCodecs((c) => ({
      created(this: Codec, location: string, upload: UploadView, ctx: ResponseContext) {
        const r = c.created.call(this, location, upload, ctx)
        return { ...r, headers: { ...r.headers, [Field.location]: `${location}?v=2` } }
      },
    })),
  'progress-with-location': () =>
    mutateCodecs((c) => ({
      progress(this: Codec, offset: number) {
        return { ...c.progress.call(this, offset), [Field.location]: '/files/progress' }
      },
    })),
  'progress-goes-down': () =>
    mutateCodecs((c) => ({
      progress(this: Codec, offset: number) {
        return c.progress.call(this, Math.max(0, 100_000 - offset))
      },
    })),
  'creation-no-complete-field': () =>
    mutateCodecs((c) => ({
      created(this: Codec, ...a: Parameters<CreatedFn>) {
        return replyWithout(c.created.apply(this, a), Field.complete, Field.incomplete)
      },
    })),
  'creation-no-limit': () =>
    mutateCodecs((c) => ({
      created(this: Codec, ...a: Parameters<CreatedFn>) {
        return replyWithout(c.created.apply(this, a), Field.limit)
      },
      announce(this: Codec, ...a: Parameters<AnnounceFn>) {
        return without(c.announce.apply(this, a), Field.limit)
      },
    })),
  'creation-200-no-offset': () =>
    mutateCodecs((c) => ({
      created(this: Codec, ...a: Parameters<CreatedFn>) {
        return { ...replyWithout(c.created.apply(this, a), Field.offset), status: 200 }
      },
    })),
  'complete-creation-says-incomplete': () =>
    mutateCodecs((c) => ({
      created(this: Codec, location: string, upload: UploadView, ctx: ResponseContext) {
        return c.created.call(this, location, { ...upload, complete: false }, ctx)
      },
      appended(this: Codec, upload: UploadView, ctx: ResponseContext) {
        return replyWithout(c.appended.call(this, upload, ctx), Field.complete)
      },
    })),
  'retrieval-missing-fields': () =>
    mutateCodecs((c) => ({
      retrieved(this: Codec, ...a: Parameters<ReplyFn>) {
        const r = c.retrieved.apply(this, a)
        return { ...replyWithout(r, Field.complete, Field.incomplete, Field.length, Field.limit), status: 200 }
      },
    })),
  'head-accepts-fields': () => mutateCodecs(() => ({ checkRetrieval() {}, checkCancellation() {} })),
  'append-no-complete-field': () =>
    mutateCodecs((c) => ({
      appended(this: Codec, ...a: Parameters<ReplyFn>) {
        return replyWithout(c.appended.apply(this, a), Field.complete, Field.incomplete)
      },
      failure(this: Codec, ...a: Parameters<Codec['failure']>) {
        return replyWithout(c.failure.apply(this, a), Field.complete)
      },
    })),
  'append-200-no-offset': () =>
    mutateCodecs((c) => ({
      appended(this: Codec, ...a: Parameters<ReplyFn>) {
        return { ...replyWithout(c.appended.apply(this, a), Field.offset), status: 200 }
      },
    })),
  'wrong-409': () =>
    mutateCodecs((c) => ({
      failure(this: Codec, ...a: Parameters<Codec['failure']>) {
        const r = c.failure.apply(this, a)
        return r.status === 409 ? { ...replyWithout(r, Field.offset, Field.complete), status: 400 } : r
      },
    })),
  'unknown-410': () =>
    mutateCodecs((c) => ({
      failure(this: Codec, ...a: Parameters<Codec['failure']>) {
        const r = c.failure.apply(this, a)
        return r.status === 404 ? { ...r, status: 410 } : r
      },
    })),
  'ignores-lengths': () =>
    mutateCodecs((c) => ({
      readCreation(this: Codec, h: HeaderReader) {
        const r = c.readCreation.call(
          this,
          rewrite(h, Field.length, () => undefined),
        )
        return r && { ...r, length: undefined }
      },
      readAppend(this: Codec, h: HeaderReader) {
        return {
          ...c.readAppend.call(
            this,
            rewrite(h, Field.length, () => undefined),
          ),
          length: undefined,
        }
      },
    })),
  /** Takes requests with an invalid or missing completeness field as incomplete creations. */
  'lenient-creation': () =>
    mutateCodecs((c) => ({
      readCreation(this: Codec, h: HeaderReader) {
        const r = c.readCreation.call(this, h)
        if (r) return r
        const cl = h.get(Field.contentLength)
        return { complete: false, length: undefined, contentLength: cl ? Number(cl) : undefined }
      },
    })),
  /** Reads `Upload-Offset: -5` as 5. */
  'lenient-offset': () =>
    mutateCodecs((c) => ({
      readAppend(this: Codec, h: HeaderReader) {
        return c.readAppend.call(
          this,
          rewrite(h, Field.offset, (v) => v?.replace(/^\s*-/, '')),
        )
      },
    })),
  'no-discovery-fields': () =>
    mutateCodecs((c) => ({
      discovery(this: Codec, ctx: ResponseContext) {
        return replyWithout(c.discovery.call(this, ctx), Field.limit, Field.acceptPatch)
      },
    })),
  'options-looser': () =>
    mutateCodecs((c) => ({
      discovery(this: Codec, ctx: ResponseContext) {
        return c.discovery.call(this, { ...ctx, limits: {} })
      },
    })),
  /** Announces max-append-size=64 that the server (started without limits) never enforces. */
  'announces-unenforced-limit': () =>
    mutateCodecs((c) => ({
      discovery(this: Codec, ctx: ResponseContext) {
        return c.discovery.call(this, { ...ctx, limits: { ...ctx.limits, maxAppendSize: 64 } })
      },
    })),
  /** Every response announces max-size and max-append-size one byte smaller than the one before. */
  'limits-shrink': () => {
    let n = 0
    return mutateCodecs((c) => {
      const shrink = (ctx: ResponseContext): ResponseContext => {
        n++
        const l = ctx.limits
        return {
          ...ctx,
          limits: {
            ...l,
            ...(l.maxSize !== undefined ? { maxSize: l.maxSize - n } : {}),
            ...(l.maxAppendSize !== undefined ? { maxAppendSize: l.maxAppendSize - n } : {}),
          },
        }
      }
      return {
        announce(this: Codec, location: string, upload: UploadView, ctx: ResponseContext) {
          return c.announce.call(this, location, upload, shrink(ctx))
        },
        created(this: Codec, location: string, upload: UploadView, ctx: ResponseContext) {
          return c.created.call(this, location, upload, shrink(ctx))
        },
        retrieved(this: Codec, upload: UploadView, ctx: ResponseContext) {
          return c.retrieved.call(this, upload, shrink(ctx))
        },
      }
    })
  },
  /** Names the lifetime key of the other era: `max-age` in I6, `expires` from I7. */
  'wrong-expiry-key': () => mutateCodecs((c) => ({ expiryKey: c.interop === 6 ? 'max-age' : 'expires' })),
  /** Applies min-append-size to empty creations and to completing appends. */
  'min-append-everywhere': () =>
    mutateCodecs((c) => ({
      readCreation(this: Codec, h: HeaderReader) {
        const r = c.readCreation.call(this, h)
        if (r && !r.complete && (r.contentLength ?? 0) < 4)
          throw new LimitError('min-append-size', r.contentLength ?? 0, 4)
        return r
      },
      readAppend(this: Codec, h: HeaderReader) {
        const r = c.readAppend.call(this, h)
        if (r.complete && (r.contentLength ?? 0) < 4) throw new LimitError('min-append-size', r.contentLength ?? 0, 4)
        return r
      },
    })),
} satisfies Record<string, () => Codec[]>
