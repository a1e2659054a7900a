/** tus 1.0.0 extensions termination and expiration: how an upload ends. */
import type { ExchangeResult } from '@rufh/wire'
import { header } from '@rufh/wire'
import type { TusCheck } from '../types.js'
import type { TusContext } from './context.js'
import { expectAppended, expectStatus, S } from './util.js'

/** RFC 7231 §7.1.1.1 IMF-fixdate, e.g. `Wed, 25 Jun 2014 16:00:00 GMT`. */
const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/

/** Checks the Upload-Expires of a response, when it has one; returns whether it had one. */
function expiresOk(ctx: TusContext, ex: ExchangeResult, what: string): boolean {
  const v = ex.final ? header(ex.final, 'upload-expires') : undefined
  if (v === undefined) return false
  ctx.assert(IMF_FIXDATE.test(v.trim()), `${what}: Upload-Expires ${JSON.stringify(v)} is not an IMF-fixdate`, ex)
  const t = Date.parse(v)
  ctx.assert(Number.isFinite(t) && new Date(t).toUTCString() === v.trim(), `${what}: ${v} is not a real date`, ex)
  ctx.assert(t > Date.now() - 2000, `${what}: an unfinished upload already expired at ${v}`, ex)
  return true
}

export const tusLifecycleChecks: TusCheck[] = [
  {
    id: 'T-16',
    protocol: 'tus',
    title: 'DELETE on an upload is answered 204',
    group: 'termination',
    needs: ['creation', 'termination'],
    source: [S.termination],
    level: 'MUST',
    async run(ctx: TusContext) {
      const up = await ctx.upload({ length: 8 })
      expectAppended(ctx, await ctx.patch(up.url, { offset: 0, body: ctx.bytes(4) }), 4, 'PATCH at 0')
      expectStatus(ctx, await ctx.terminate(up.url), [204], 'DELETE of an unfinished upload')
      return undefined
    },
  },
  {
    id: 'T-17',
    protocol: 'tus',
    title: 'After DELETE, HEAD and PATCH on the upload are answered 404 or 410',
    group: 'termination',
    needs: ['creation', 'termination'],
    source: [S.termination],
    level: 'SHOULD',
    async run(ctx: TusContext) {
      const up = await ctx.upload({ length: 8 })
      expectStatus(ctx, await ctx.terminate(up.url), [204], 'DELETE')
      expectStatus(ctx, await ctx.head(up.url), [404, 410], 'HEAD after DELETE')
      const p = await ctx.patch(up.url, { offset: 0, body: ctx.bytes(4) })
      expectStatus(ctx, p, [404, 410], 'PATCH after DELETE')
      return undefined
    },
  },
  {
    id: 'T-18',
    protocol: 'tus',
    title: 'Upload-Expires is an IMF-fixdate, sent on creation and on every PATCH of an upload that will expire',
    group: 'expiration',
    needs: ['creation', 'expiration'],
    source: [S.expires],
    level: 'MUST',
    async run(ctx: TusContext) {
      const up = await ctx.upload({ length: 12 })
      const atCreation = expiresOk(ctx, up.ex, 'creation response')
      const p = await ctx.patch(up.url, { offset: 0, body: ctx.bytes(4) })
      expectAppended(ctx, p, 4, 'PATCH at 0')
      const onPatch = expiresOk(ctx, p, 'PATCH response')
      ctx.assert(
        !atCreation || onPatch,
        'the creation response announced Upload-Expires, the response to a PATCH of the unfinished upload has none',
        p,
      )
      const h = await ctx.head(up.url)
      expiresOk(ctx, h, 'HEAD response')
      if (!atCreation && !onPatch) ctx.note('no Upload-Expires was sent: this upload does not expire')
      return undefined
    },
  },
]
