/** Lengths: Upload-Length and the length fixed by a completing request must agree, and bound the offset. */
import type { CheckContext } from '../context.js'
import { describe, is2xx } from '../context.js'
import { sec } from '../sources.js'
import type { Check } from '../types.js'
import { expectReject, FROM7, FROM8, interim104 } from './util.js'

/**
 * An upload whose length (20) was fixed without completing it: a creation with the whole representation declared
 * (`Content-Length: 20`, completeness true) cut after 8 bytes; resumed through the 104's Location.
 */
async function lengthFixedByCutCreation(ctx: CheckContext): Promise<{ url: URL; offset: number }> {
  const { ex, location } = await ctx.create({
    complete: true,
    body: ctx.bytes(20),
    plan: { cutAfter: 8, cutDelayMs: 150 },
  })
  if (!location || interim104(ex).length === 0) throw ctx.skip('no 104 with Location before the cut')
  const s = await ctx.state(location)
  ctx.assert(s.offset !== undefined, 'HEAD has no Upload-Offset', s.ex)
  return { url: location, offset: s.offset }
}

const lengthSources = [sec('-05', 'creation'), sec('-09', 'length'), sec('-12', 'length')]

export const lengthChecks: Check[] = [
  ...(['N9-16', 'N6-13'] as const).map(
    (id): Check => ({
      id,
      title: 'Creation whose Upload-Length contradicts the complete content is rejected',
      group: 'lengths',
      versions: id === 'N9-16' ? FROM7 : [6],
      ...(id === 'N6-13' ? { drafts: ['-05'] } : {}),
      source: id === 'N9-16' ? lengthSources : [sec('-05', 'creation')],
      level: 'MUST',
      async run(ctx: CheckContext) {
        const { ex } = await ctx.create({ complete: true, length: 100, body: ctx.bytes(50) })
        expectReject(ctx, ex, 'Upload-Length: 100 with 50 bytes and Upload-Complete: ?1', 400)
        return undefined
      },
    }),
  ),
  {
    id: 'N9-17',
    title: 'An append with a different Upload-Length than the creation is rejected',
    group: 'lengths',
    versions: FROM8,
    source: lengthSources,
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ length: 100 })
      const ex = await ctx.append(up.url, { offset: 0, complete: false, length: 200, body: ctx.bytes(ctx.partSize(4)) })
      expectReject(ctx, ex, 'append with Upload-Length: 200 after creation with 100')
      return undefined
    },
  },
  {
    id: 'N9-18',
    title: 'Appending past the known length is rejected, and the upload is then unusable',
    group: 'lengths',
    versions: FROM7,
    source: [sec('-08', 'append'), sec('-09', 'append'), sec('-12', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ length: 10 })
      const n = Math.max(20, ctx.partSize(20))
      const ex = await ctx.append(up.url, { offset: 0, complete: false, body: ctx.bytes(n) })
      ctx.assert(!is2xx(ex.final), `appending ${n} bytes to an upload of length 10 was accepted: ${describe(ex)}`, ex)
      const head = await ctx.retrieve(up.url)
      if (ctx.d.draftNo >= 8) expectReject(ctx, head, 'HEAD after exceeding the length')
      else if (head.final && ctx.d.retrievalOk(head.final.status)) {
        const o = ctx.d.readOffset(head.final)
        ctx.assert(o !== undefined && o <= 10, `offset ${o} exceeds the length 10`, head)
      }
      return undefined
    },
  },
  {
    id: 'N6-14',
    title: 'Appending past the recorded length stops at the length with 400',
    group: 'lengths',
    versions: [6],
    drafts: ['-05'],
    source: [sec('-05', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ length: 10 })
      const ex = await ctx.append(up.url, {
        offset: 0,
        complete: false,
        body: ctx.bytes(Math.max(20, ctx.partSize(20))),
      })
      ctx.assert(ex.final?.status === 400, `appending past the length: ${describe(ex)} (400 required)`, ex)
      const head = await ctx.retrieve(up.url)
      if (head.final && ctx.d.retrievalOk(head.final.status)) {
        const o = ctx.d.readOffset(head.final)
        ctx.assert(o !== undefined && o <= 10, `offset ${o} exceeds the length 10`, head)
      }
      return undefined
    },
  },
  {
    id: 'N6-12',
    title: 'A completing append that contradicts the recorded size is answered 400',
    group: 'lengths',
    versions: [6],
    source: [sec('-04', 'append'), sec('-05', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      let url: URL
      let offset: number
      if (ctx.d.hasLength) {
        const up = await ctx.upload({ bytes: 4, length: 20 })
        url = up.url
        offset = up.offset
      } else ({ url, offset } = await lengthFixedByCutCreation(ctx))
      const ex = await ctx.append(url, { offset, complete: true, body: ctx.bytes(3) })
      ctx.assert(
        ex.final?.status === 400,
        `completing at ${offset + 3} of a 20-byte upload: ${describe(ex)} (400 required)`,
        ex,
      )
      return undefined
    },
  },
  {
    id: 'N4-02',
    title: 'A completing append that contradicts the size fixed at creation is answered 400',
    group: 'lengths',
    versions: [4, 5],
    source: [sec('-02', 'creation'), sec('-03', 'creation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const { url, offset } = await lengthFixedByCutCreation(ctx)
      const ex = await ctx.append(url, { offset, complete: true, body: ctx.bytes(3) })
      ctx.assert(
        ex.final?.status === 400,
        `completing at ${offset + 3} of a 20-byte upload: ${describe(ex)} (400 required)`,
        ex,
      )
      return undefined
    },
  },
]
