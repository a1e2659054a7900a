/** Appends of a part (not completing): status and fields, and the 409 for a mismatching offset. */
import { Field, PROBLEM_JSON, ProblemType, readBoolean } from '@rufh/protocol'
import { type ExchangeResult, header } from '@rufh/wire'
import type { CheckContext } from '../context.js'
import { describe } from '../context.js'
import { sec } from '../sources.js'
import type { Check } from '../types.js'
import { expect2xx, expectOffset, FROM6, FROM7, FROM8, FROM9, has } from './util.js'

/** An upload at offset `start` and a PATCH at the wrong offset `start + 3`. */
async function mismatch(ctx: CheckContext): Promise<{ start: number; ex: ExchangeResult }> {
  const up = await ctx.upload({ bytes: 6 })
  const ex = await ctx.append(up.url, { offset: up.offset + 3, complete: false, body: ctx.bytes(ctx.partSize(4)) })
  ctx.assert(ex.final?.status === 409, `append at a wrong offset: ${describe(ex)} (409 required)`, ex)
  return { start: up.offset, ex }
}

function correctOffset(ctx: CheckContext, m: { start: number; ex: ExchangeResult }): undefined {
  const o = ctx.d.readOffset(m.ex.final!)
  ctx.assert(
    o === m.start,
    `the 409 carries Upload-Offset ${header(m.ex.final!, Field.offset) ?? '(none)'}, expected ${m.start}`,
    m.ex,
  )
  return undefined
}

function incompleteOn409(ctx: CheckContext, m: { ex: ExchangeResult }): undefined {
  ctx.assert(readBoolean(header(m.ex.final!, Field.complete)) === false, 'the 409 lacks Upload-Complete: ?0', m.ex)
  return undefined
}

export const appendChecks: Check[] = [
  {
    id: 'N9-11',
    title: 'Append of a part: 2xx with Upload-Complete: ?0, offset grows by N',
    group: 'appends',
    versions: FROM7,
    source: [sec('-06', 'append'), sec('-09', 'append'), sec('-12', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 4 })
      const n = ctx.partSize(9)
      const ex = await ctx.append(up.url, { offset: up.offset, complete: false, body: ctx.bytes(n) })
      const f = expect2xx(ctx, ex, 'append')
      ctx.assert(readBoolean(header(f, Field.complete)) === false, 'the append response lacks Upload-Complete: ?0', ex)
      await expectOffset(ctx, up.url, up.offset + n, `after appending ${n} bytes`)
      return undefined
    },
  },
  {
    id: 'N9-12',
    title: 'Append at a wrong offset: 409 with the correct Upload-Offset',
    group: 'appends',
    versions: FROM8,
    source: [sec('-09', 'append'), sec('-12', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      return correctOffset(ctx, await mismatch(ctx))
    },
  },
  {
    id: 'N9-12b',
    title: 'The 409 for a wrong offset carries Upload-Complete: ?0',
    group: 'appends',
    versions: FROM9,
    source: [sec('-12', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      return incompleteOn409(ctx, await mismatch(ctx))
    },
  },
  {
    id: 'N8-03',
    title: 'The 409 for a wrong offset carries Upload-Complete: ?0 (-09)',
    group: 'appends',
    versions: [8],
    drafts: ['-09'],
    source: [sec('-09', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      return incompleteOn409(ctx, await mismatch(ctx))
    },
  },
  {
    id: 'N9-12c',
    title: 'A problem-details 409 uses mismatching-upload-offset with expected-offset and provided-offset',
    group: 'appends',
    versions: FROM6,
    source: [sec('-04', 'problem'), sec('-09', 'problem'), sec('-12', 'problem')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const m = await mismatch(ctx)
      const f = m.ex.final!
      const ct = header(f, 'content-type') ?? ''
      if (!ct.toLowerCase().startsWith(PROBLEM_JSON)) {
        ctx.note(`409 body is ${ct || 'untyped'}, not problem details`)
        return undefined
      }
      let p: Record<string, unknown>
      try {
        p = JSON.parse(Buffer.from(f.body).toString('utf8')) as Record<string, unknown>
      } catch {
        throw ctx.fail('the 409 says application/problem+json but its body is not JSON', m.ex)
      }
      ctx.assert(p['type'] === ProblemType.mismatchingOffset, `problem type is ${JSON.stringify(p['type'])}`, m.ex)
      ctx.assert(p['expected-offset'] === m.start, `expected-offset is ${JSON.stringify(p['expected-offset'])}`, m.ex)
      ctx.assert(
        p['provided-offset'] === m.start + 3,
        `provided-offset is ${JSON.stringify(p['provided-offset'])}`,
        m.ex,
      )
      return undefined
    },
  },
  {
    id: 'N7-04',
    title: 'Every response to a non-completing append (2xx, 409, other 4xx) carries Upload-Complete: ?0',
    group: 'appends',
    versions: [7],
    source: [sec('-06', 'append'), sec('-08', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 4 })
      const ok = await ctx.append(up.url, { offset: up.offset, complete: false, body: ctx.bytes(ctx.partSize(4)) })
      expect2xx(ctx, ok, 'append')
      const wrong = await ctx.append(up.url, { offset: 999, complete: false, body: ctx.bytes(ctx.partSize(4)) })
      const bad = await ctx.append(up.url, { offset: 'x', complete: false, body: ctx.bytes(ctx.partSize(4)) })
      for (const ex of [ok, wrong, bad])
        ctx.assert(
          ex.final && readBoolean(header(ex.final, Field.complete)) === false,
          `response ${describe(ex)} to a non-completing append lacks Upload-Complete: ?0`,
          ex,
        )
      return undefined
    },
  },
  {
    id: 'N7-05',
    title: 'Append at a wrong offset: 409 with the correct Upload-Offset',
    group: 'appends',
    versions: [7],
    source: [sec('-06', 'append'), sec('-08', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      return correctOffset(ctx, await mismatch(ctx))
    },
  },
  {
    id: 'N6-05',
    title: 'Append at a wrong offset: 409 with the correct Upload-Offset',
    group: 'appends',
    versions: [3, 4, 5, 6],
    source: [sec('-01', 'append'), sec('-04', 'append'), sec('-05', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      return correctOffset(ctx, await mismatch(ctx))
    },
  },
  {
    id: 'N6-03',
    title: 'Append of a part (application/partial-upload): exactly 201 with Upload-Offset',
    group: 'appends',
    versions: [6],
    source: [sec('-04', 'append'), sec('-05', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 4 })
      const ex = await ctx.append(up.url, { offset: up.offset, complete: false, body: ctx.bytes(ctx.partSize(5)) })
      ctx.assert(ex.final?.status === 201, `append: ${describe(ex)} (201 required)`, ex)
      ctx.assert(has(ex.final, Field.offset), 'the append response has no Upload-Offset', ex)
      return undefined
    },
  },
  {
    id: 'N5-03',
    title: 'Append of a part: 201 with Upload-Offset',
    group: 'appends',
    versions: [3, 4, 5],
    source: [sec('-01', 'append'), sec('-02', 'append'), sec('-03', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 4 })
      const n = 5
      const ex = await ctx.append(up.url, { offset: up.offset, complete: false, body: ctx.bytes(n) })
      ctx.assert(ex.final?.status === 201, `append: ${describe(ex)} (201 required)`, ex)
      ctx.assert(ctx.d.readOffset(ex.final!) === up.offset + n, `Upload-Offset is not ${up.offset + n}`, ex)
      return undefined
    },
  },
]
