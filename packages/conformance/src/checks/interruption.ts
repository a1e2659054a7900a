/** Interruption: a body cut mid-way, then offset retrieval and resumption from the reported offset. */
import type { CheckContext } from '../context.js'
import { sec } from '../sources.js'
import type { Check } from '../types.js'
import { ALL, expect2xx, FROM6, interim104 } from './util.js'

const sources = [sec('-04', 'append'), sec('-09', 'append'), sec('-12', 'append'), sec('-12', 'creation')]

/** Appends `declared` bytes but cuts after 40%; returns the offsets before the cut and what HEAD reports after. */
async function cutAppend(ctx: CheckContext) {
  const up = await ctx.upload({ bytes: 4 })
  const declared = ctx.partSize(1000)
  const sent = Math.floor(declared * 0.4)
  const cut = await ctx.append(up.url, {
    offset: up.offset,
    complete: false,
    body: ctx.bytes(declared, up.offset),
    plan: { cutAfter: sent, cutDelayMs: 150 },
  })
  const s = await ctx.state(up.url)
  return { up, declared, sent, cut, s }
}

export const interruptionChecks: Check[] = [
  {
    id: 'B-13',
    title: 'An append cut mid-body leaves the upload incomplete with a usable offset; resuming completes it',
    group: 'interruption',
    versions: ALL,
    source: sources,
    level: 'MUST',
    async run(ctx: CheckContext) {
      const { up, declared, sent, s } = await cutAppend(ctx)
      ctx.assert(s.complete === false, 'after an interrupted append the upload is reported complete', s.ex)
      const o = s.offset
      ctx.assert(
        o !== undefined && o >= up.offset && o <= up.offset + sent,
        `after sending ${sent} of ${declared} bytes at ${up.offset} and cutting, HEAD reports ${o}`,
        s.ex,
      )
      const total = up.offset + declared
      const resume = await ctx.append(up.url, { offset: o, complete: true, body: ctx.bytes(total - o, o) })
      expect2xx(ctx, resume, `resuming at ${o}`)
      const after = await ctx.retrieve(up.url)
      if (after.final && ctx.d.retrievalOk(after.final.status)) {
        ctx.assert(ctx.d.readOffset(after.final) === total, `after resuming, offset is not ${total}`, after)
        if (ctx.v < 10) ctx.assert(ctx.d.readComplete(after.final) === true, 'after resuming, not complete', after)
      }
      return undefined
    },
  },
  {
    id: 'B-13b',
    title: 'An append cut mid-body keeps the bytes that arrived',
    group: 'interruption',
    versions: FROM6,
    source: sources,
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const { up, sent, s } = await cutAppend(ctx)
      ctx.assert(
        s.offset === up.offset + sent,
        `${sent} bytes arrived before the cut at ${up.offset}, HEAD reports ${s.offset} (expected ${up.offset + sent})`,
        s.ex,
      )
      return undefined
    },
  },
  {
    id: 'X-04',
    title: 'A creation cut mid-body can be resumed from the 104 Location',
    group: 'interruption',
    versions: ALL,
    source: [sec('-01', 'creation'), sec('-05', 'creation'), sec('-09', 'creation'), sec('-12', 'creation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const declared = ctx.partSize(600)
      const sent = Math.floor(declared / 2)
      const { ex, location } = await ctx.create({
        complete: true,
        body: ctx.bytes(declared),
        plan: { cutAfter: sent, cutDelayMs: 150 },
      })
      if (!location || interim104(ex).length === 0) throw ctx.skip('no 104 with Location before the cut')
      const s = await ctx.state(location)
      ctx.assert(s.complete === false, 'after an interrupted creation the upload is reported complete', s.ex)
      const o = s.offset
      ctx.assert(o !== undefined && o <= sent, `after sending ${sent} bytes and cutting, HEAD reports ${o}`, s.ex)
      const resume = await ctx.append(location, { offset: o, complete: true, body: ctx.bytes(declared - o, o) })
      expect2xx(ctx, resume, `resuming at ${o}`)
      return undefined
    },
  },
]
