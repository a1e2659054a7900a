/** tus 1.0.0 interruption: a PATCH cut mid-body, then HEAD and resumption from the offset it reports. */
import type { TusCheck } from '../types.js'
import type { TusContext } from './context.js'
import { expectAppended, S } from './util.js'

const DECLARED = 1000
const SENT = 400

/** Creates an upload of 1000 bytes, sends a PATCH of all of them but cuts it after 400, then asks HEAD. */
async function cutPatch(ctx: TusContext) {
  const up = await ctx.upload({ length: DECLARED })
  const content = ctx.bytes(DECLARED)
  await ctx.patch(up.url, { offset: 0, body: content, plan: { cutAfter: SENT, cutDelayMs: 150 } })
  const s = await ctx.state(up.url)
  return { up, content, s }
}

export const tusInterruptionChecks: TusCheck[] = [
  {
    id: 'T-27',
    protocol: 'tus',
    title: 'A PATCH cut mid-body leaves an offset no larger than what was sent; resuming there completes it byte-exact',
    group: 'interruption',
    needs: ['creation'],
    source: [S.patch, S.head],
    level: 'MUST',
    async run(ctx: TusContext) {
      const { up, content, s } = await cutPatch(ctx)
      const o = s.offset
      ctx.assert(
        o !== undefined && o <= SENT,
        `after ${SENT} of ${DECLARED} bytes and a cut, HEAD reports Upload-Offset ${o ?? '(none)'}`,
        s.ex,
      )
      const resume = await ctx.patch(up.url, { offset: o, body: content.subarray(o) })
      expectAppended(ctx, resume, DECLARED, `resuming at ${o}`)
      await ctx.expectOffset(up.url, DECLARED, 'after resuming')
      const got = await ctx.download(up.url)
      if (got === undefined) ctx.note('the server offers no GET download: the content was not compared')
      else {
        const at = got.findIndex((b, i) => b !== content[i])
        ctx.assert(
          got.length === DECLARED && at < 0,
          `GET returns ${got.length} bytes, differing from what was sent at byte ${at < 0 ? got.length : at}`,
        )
      }
      return undefined
    },
  },
  {
    id: 'T-28',
    protocol: 'tus',
    title: 'A PATCH cut mid-body keeps the bytes that arrived',
    group: 'interruption',
    needs: ['creation'],
    source: [S.patch],
    level: 'SHOULD',
    async run(ctx: TusContext) {
      const { s } = await cutPatch(ctx)
      ctx.assert(
        s.offset === SENT,
        `${SENT} bytes arrived before the cut, HEAD reports Upload-Offset ${s.offset ?? '(none)'} (expected ${SENT})`,
        s.ex,
      )
      return undefined
    },
  },
]
