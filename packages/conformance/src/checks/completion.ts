/** Completion: the completing append, empty completing appends, and appends to an already completed upload. */
import { Field, readBoolean } from '@rufh/protocol'
import { type ExchangeResult, header } from '@rufh/wire'
import type { CheckContext } from '../context.js'
import { describe, is2xx } from '../context.js'
import { sec } from '../sources.js'
import type { Check } from '../types.js'
import { completedUpload, expect2xx, FROM7, FROM9 } from './util.js'

/**
 * The completed upload must look as before the stray append: if it was served (2xx) before, it still is, with the
 * same offset; if it was already gone (404/410, servers may forget completed uploads), there is nothing to compare.
 */
async function unmodified(ctx: CheckContext, u: URL, before: ExchangeResult, after: ExchangeResult): Promise<void> {
  const b = before.final
  if (!b || !ctx.d.retrievalOk(b.status)) {
    ctx.note(`the completed upload is no longer served (${describe(before)})`)
    return
  }
  const head = await ctx.retrieve(u)
  const f = head.final
  ctx.assert(
    f && ctx.d.retrievalOk(f.status),
    `the completed upload was served before the stray append, not after: ${describe(head)}`,
    after,
    head,
  )
  const total = ctx.d.readOffset(b)
  ctx.assert(
    ctx.d.readOffset(f) === total,
    `the completed upload now reports offset ${ctx.d.readOffset(f)}, not ${total}`,
    after,
    head,
  )
}

/** Appends 5 bytes to a completed upload; returns the exchange, the upload and a HEAD from before the append. */
async function appendToCompleted(ctx: CheckContext) {
  const c = await completedUpload(ctx)
  const before = await ctx.retrieve(c.url)
  const ex = await ctx.append(c.url, { offset: c.total, complete: false, body: ctx.bytes(ctx.partSize(5)) })
  return { ...c, before, ex }
}

export const completionChecks: Check[] = [
  {
    id: 'N9-13',
    title: 'The completing append is answered with Upload-Complete: ?1',
    group: 'completion',
    versions: FROM7,
    source: [sec('-06', 'append'), sec('-09', 'append'), sec('-12', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const c = await completedUpload(ctx)
      ctx.assert(
        readBoolean(header(c.ex.final!, Field.complete)) === true,
        'no Upload-Complete: ?1 on the completing append',
        c.ex,
      )
      return undefined
    },
  },
  {
    id: 'N9-14',
    title: 'An empty append with Upload-Complete: ?1 completes an upload whose bytes all arrived',
    group: 'completion',
    versions: FROM7,
    source: [sec('-06', 'append'), sec('-09', 'append'), sec('-12', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 8 })
      const ex = await ctx.append(up.url, { offset: up.offset, complete: true, body: '' })
      ctx.assert(
        ex.final && readBoolean(header(ex.final, Field.complete)) === true,
        `empty completing append: ${describe(ex)} without Upload-Complete: ?1`,
        ex,
      )
      if (ctx.v < 10) {
        const s = await ctx.retrieve(up.url)
        if (s.final && ctx.d.retrievalOk(s.final.status))
          ctx.assert(ctx.d.readComplete(s.final) === true, 'HEAD does not report the upload as complete', s)
      }
      return undefined
    },
  },
  {
    id: 'N5-04',
    title: 'An empty append with Upload-Complete: ?1 completes the upload',
    group: 'completion',
    versions: [5, 6],
    source: [sec('-03', 'append'), sec('-05', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 8 })
      const ex = await ctx.append(up.url, { offset: up.offset, complete: true, body: '' })
      expect2xx(ctx, ex, 'empty completing append')
      const s = await ctx.state(up.url)
      ctx.assert(s.complete === true, 'HEAD does not report the upload as complete', s.ex)
      return undefined
    },
  },
  {
    id: 'N6-04',
    title: 'The completing append: 2xx with Upload-Offset, never Upload-Complete: ?0',
    group: 'completion',
    versions: [6],
    source: [sec('-04', 'append'), sec('-05', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const c = await completedUpload(ctx)
      const f = c.ex.final!
      ctx.assert(
        ctx.d.readOffset(f) === c.total,
        `Upload-Offset is ${header(f, Field.offset) ?? '(none)'}, expected ${c.total}`,
        c.ex,
      )
      ctx.assert(readBoolean(header(f, Field.complete)) !== false, 'Upload-Complete: ?0 on the completing append', c.ex)
      return undefined
    },
  },
  {
    id: 'N3-04',
    title: 'An append without Upload-Incomplete is the final one',
    group: 'completion',
    versions: [3],
    source: [sec('-01', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 4 })
      const ex = await ctx.append(up.url, { offset: up.offset, complete: null, body: ctx.bytes(4) })
      expect2xx(ctx, ex, 'append without Upload-Incomplete')
      const s = await ctx.state(up.url)
      ctx.assert(s.complete === true, 'after an append without Upload-Incomplete the upload is not complete', s.ex)
      return undefined
    },
  },
  {
    id: 'N9-19',
    title: 'Content appended to a completed upload is not taken',
    group: 'completion',
    versions: FROM9,
    source: [sec('-12', 'complete'), sec('-12', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const { url, before, ex } = await appendToCompleted(ctx)
      ctx.assert(
        !(is2xx(ex.final) && readBoolean(header(ex.final, Field.complete)) !== true),
        `an append to a completed upload was acknowledged: ${describe(ex)}`,
        ex,
      )
      await unmodified(ctx, url, before, ex)
      return undefined
    },
  },
  ...(['N8-07', 'N7-08'] as const).map(
    (id): Check => ({
      id,
      title: 'An append to a completed upload is rejected and changes nothing',
      group: 'completion',
      versions: id === 'N8-07' ? [8] : [7],
      source:
        id === 'N8-07' ? [sec('-09', 'append'), sec('-10', 'append')] : [sec('-06', 'append'), sec('-08', 'append')],
      level: 'MUST',
      async run(ctx: CheckContext) {
        const { url, before, ex } = await appendToCompleted(ctx)
        ctx.assert(ex.final && ex.final.status >= 400, `append to a completed upload: ${describe(ex)}`, ex)
        await unmodified(ctx, url, before, ex)
        return undefined
      },
    }),
  ),
  {
    id: 'N8-07b',
    title: 'An empty append to a completed upload is answered 410 or 404',
    group: 'completion',
    versions: [8],
    drafts: ['-10', '-11'],
    source: [sec('-10', 'append'), sec('-11', 'append')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const c = await completedUpload(ctx)
      const ex = await ctx.append(c.url, { offset: c.total, complete: false, body: '' })
      ctx.assert([404, 410].includes(ex.final?.status ?? 0), `empty append to a completed upload: ${describe(ex)}`, ex)
      return undefined
    },
  },
  {
    id: 'N6-11',
    title: 'An append to a completed upload is answered 400 and changes nothing',
    group: 'completion',
    versions: [6],
    source: [sec('-04', 'append'), sec('-05', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const { url, before, ex } = await appendToCompleted(ctx)
      ctx.assert(ex.final?.status === 400, `append to a completed upload: ${describe(ex)} (400 required)`, ex)
      await unmodified(ctx, url, before, ex)
      return undefined
    },
  },
]
