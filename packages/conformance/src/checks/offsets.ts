/** Offsets: creation with content, appends at the right and wrong offset, progress 104s, completion state. */

import { Field } from '@rufh/protocol'
import { header } from '@rufh/wire'
import type { CheckContext } from '../context.js'
import { describe } from '../context.js'
import { sec } from '../sources.js'
import type { Check } from '../types.js'
import { ALL, expect2xx, expectOffset, FROM5, interim104, slowPlan } from './util.js'

const appendSources = [sec('-01', 'append'), sec('-05', 'append'), sec('-09', 'append'), sec('-12', 'append')]
const offsetSources = [sec('-04', 'append'), sec('-09', 'offset'), sec('-12', 'offset')]

export const offsetChecks: Check[] = [
  {
    id: 'B-05',
    title: 'No 104 during an append carries Location',
    group: 'offsets',
    versions: FROM5,
    source: [sec('-03', 'append'), sec('-05', 'append'), sec('-09', 'append'), sec('-12', 'append')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload()
      const n = ctx.partSize(1024)
      const ex = await ctx.append(up.url, { offset: 0, complete: false, body: ctx.bytes(n), plan: slowPlan(n) })
      expect2xx(ctx, ex, 'append')
      const bad = interim104(ex).find((r) => header(r, 'location') !== undefined)
      ctx.assert(!bad, 'a 104 sent during an append carries Location', ex)
      return undefined
    },
  },
  {
    id: 'B-06',
    title: 'Progress 104 offsets never go down, and a later HEAD reports at least the last one',
    group: 'offsets',
    versions: FROM5,
    source: [sec('-03', '104'), ...offsetSources],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const n = ctx.partSize(2048, true)
      const { ex, location } = await ctx.create({ body: ctx.bytes(n), plan: slowPlan(n) })
      expect2xx(ctx, ex, 'creation')
      ctx.assert(location, 'creation gave no Location', ex)
      let last = 0
      for (const r of interim104(ex)) {
        const o = ctx.d.readOffset(r)
        if (o === undefined) continue
        ctx.assert(o >= last, `104 offsets went down: ${last} then ${o}`, ex)
        last = o
      }
      const m = ctx.partSize(2048)
      const app = await ctx.append(location, { offset: n, complete: false, body: ctx.bytes(m), plan: slowPlan(m) })
      expect2xx(ctx, app, 'append')
      last = n
      for (const r of interim104(app)) {
        const o = ctx.d.readOffset(r)
        if (o === undefined) continue
        ctx.assert(
          o >= last,
          `104 offsets during an append went down: ${last} then ${o} (the append started at ${n})`,
          app,
        )
        last = o
      }
      const s = await ctx.state(location)
      ctx.assert(
        s.offset !== undefined && s.offset >= last,
        `HEAD reports ${s.offset}, below the last 104 (${last})`,
        s.ex,
      )
      return undefined
    },
  },
  {
    id: 'X-01',
    title: 'Sends progress 104s (Upload-Offset) during a slow append',
    group: 'offsets',
    versions: FROM5,
    source: [sec('-03', '104'), sec('-09', 'append'), sec('-12', '104')],
    level: 'MAY',
    async run(ctx: CheckContext) {
      const up = await ctx.upload()
      const n = ctx.partSize(2048)
      const ex = await ctx.append(up.url, { offset: 0, complete: false, body: ctx.bytes(n), plan: slowPlan(n) })
      const progress = interim104(ex).filter((r) => header(r, Field.offset) !== undefined)
      ctx.assert(progress.length > 0, 'no progress 104 was sent during a slow append', ex)
      return { status: 'pass', notes: [`sends progress 104 (${progress.length} during a ${n}-byte append)`] }
    },
  },
  {
    id: 'B-08',
    title: 'Creation with N bytes: HEAD reports offset N, not complete',
    group: 'offsets',
    versions: ALL,
    source: [sec('-01', 'retrieval'), sec('-05', 'retrieval'), sec('-09', 'retrieval'), sec('-12', 'retrieval')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 10 })
      const s = await ctx.state(up.url)
      ctx.assert(s.offset === up.offset, `HEAD reports Upload-Offset ${s.offset}, expected ${up.offset}`, s.ex)
      ctx.assert(s.complete === false, `HEAD does not report the upload as incomplete (${ctx.d.completeField})`, s.ex)
      return undefined
    },
  },
  {
    id: 'B-09',
    title: 'Append at the wrong offset: 409, offset unchanged',
    group: 'offsets',
    versions: ALL,
    source: appendSources,
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 6 })
      const ex = await ctx.append(up.url, {
        offset: up.offset + 1,
        complete: false,
        body: ctx.bytes(ctx.partSize(4)),
      })
      ctx.assert(
        ex.final?.status === 409,
        `append at offset ${up.offset + 1} (server has ${up.offset}): ${describe(ex)}`,
        ex,
      )
      await expectOffset(ctx, up.url, up.offset, 'after a rejected append')
      return undefined
    },
  },
  {
    id: 'B-10',
    title: 'The offset HEAD reports is accepted by the next append',
    group: 'offsets',
    versions: ALL,
    source: [sec('-01', 'retrieval'), sec('-09', 'concurrency'), sec('-12', 'concurrency')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 5 })
      const s = await ctx.state(up.url)
      ctx.assert(s.offset !== undefined, 'HEAD has no valid Upload-Offset', s.ex)
      const ex = await ctx.append(up.url, { offset: s.offset, complete: false, body: ctx.bytes(ctx.partSize(5)) })
      expect2xx(ctx, ex, `append at the offset HEAD reported (${s.offset})`)
      return undefined
    },
  },
  {
    id: 'B-11',
    title: 'A series of appends: offsets follow the bytes sent and never decrease',
    group: 'offsets',
    versions: ALL,
    source: [...appendSources, ...offsetSources],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload()
      let offset = up.offset
      for (const size of [8, 16, 12]) {
        const n = ctx.partSize(size)
        const ex = await ctx.append(up.url, { offset, complete: false, body: ctx.bytes(n, offset) })
        expect2xx(ctx, ex, `append of ${n} bytes at ${offset}`)
        offset += n
        await expectOffset(ctx, up.url, offset, `after appending ${n} bytes`)
      }
      return undefined
    },
  },
  {
    id: 'B-12',
    title: 'After the completing append, HEAD reports the full offset and completeness',
    group: 'offsets',
    versions: ALL,
    source: [sec('-01', 'retrieval'), sec('-05', 'retrieval'), sec('-09', 'retrieval'), sec('-12', 'retrieval')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 6 })
      const body = ctx.bytes(6, up.offset)
      const ex = await ctx.append(up.url, { offset: up.offset, complete: true, body })
      expect2xx(ctx, ex, 'completing append')
      const total = up.offset + body.length
      const head = await ctx.retrieve(up.url)
      const f = head.final
      if (f && (f.status === 404 || f.status === 410)) {
        ctx.note(`the completed upload is no longer served (${f.status})`)
        return undefined
      }
      ctx.assert(f && ctx.d.retrievalOk(f.status), `HEAD on the completed upload: ${describe(head)}`, head)
      ctx.assert(
        ctx.d.readOffset(f) === total,
        `HEAD reports Upload-Offset ${header(f, Field.offset)}, expected ${total}`,
        head,
      )
      const complete = ctx.d.readComplete(f)
      if (ctx.v >= 10) {
        if (complete !== true) ctx.note('HEAD does not report completeness (optional from interop 10)')
      } else ctx.assert(complete === true, 'HEAD does not report the upload as complete', head)
      return undefined
    },
  },
]
