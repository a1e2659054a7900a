/** Upload creation: status and fields of the final response and of the 104s, per version. */

import { Field, readBoolean } from '@rufh/protocol'
import { header } from '@rufh/wire'
import type { CheckContext } from '../context.js'
import { describe, is2xx } from '../context.js'
import { sec } from '../sources.js'
import type { Check } from '../types.js'
import { expect2xx, FROM8, FROM9, has, interim104, slowPlan } from './util.js'

export const creationChecks: Check[] = [
  {
    id: 'N9-03',
    title: 'Creation of an incomplete upload: 2xx with Location',
    group: 'creation',
    versions: FROM8,
    source: [sec('-09', 'creation'), sec('-12', 'creation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create()
      const f = expect2xx(ctx, ex, 'creation with Upload-Complete: ?0')
      ctx.assert(has(f, 'location'), 'the creation response has no Location', ex)
      return undefined
    },
  },
  {
    id: 'N9-03b',
    title: 'Creation of an incomplete upload is answered with Upload-Complete: ?0',
    group: 'creation',
    versions: FROM9,
    source: [sec('-12', 'creation')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create()
      const f = expect2xx(ctx, ex, 'creation')
      ctx.assert(
        readBoolean(header(f, Field.complete)) === false,
        'the creation response lacks Upload-Complete: ?0',
        ex,
      )
      return undefined
    },
  },
  {
    id: 'N8-05',
    title: 'Creation of an incomplete upload carries Upload-Limit when limits exist',
    group: 'creation',
    versions: FROM8,
    source: [sec('-09', 'creation'), sec('-12', 'creation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      if (!ctx.hasLimits) throw ctx.skip('the target announced no limits')
      const { ex } = await ctx.create()
      const f = expect2xx(ctx, ex, 'creation')
      ctx.assert(has(f, Field.limit), 'the creation response has no Upload-Limit although limits exist', ex)
      return undefined
    },
  },
  {
    id: 'N9-04',
    title: 'The announcing 104 carries Location and (when limits exist) Upload-Limit',
    group: 'creation',
    versions: FROM8,
    source: [sec('-09', 'creation'), sec('-12', 'creation'), sec('-12', '104')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create()
      const first = interim104(ex)[0]
      if (!first) {
        ctx.note('no 104 was sent')
        return undefined
      }
      ctx.assert(has(first, 'location'), 'the announcing 104 has no Location', ex)
      if (ctx.hasLimits) ctx.assert(has(first, Field.limit), 'the announcing 104 has no Upload-Limit', ex)
      return undefined
    },
  },
  ...(['N9-05', 'N8-06'] as const).map(
    (id): Check => ({
      id,
      title: 'Every 104 and the final response of one creation carry the identical Location',
      group: 'creation',
      versions: id === 'N9-05' ? FROM9 : [8],
      ...(id === 'N8-06' ? { drafts: ['-10', '-11'] } : {}),
      source: id === 'N9-05' ? [sec('-12', 'creation')] : [sec('-10', 'creation'), sec('-11', 'creation')],
      level: 'MUST',
      async run(ctx: CheckContext) {
        const n = ctx.partSize(1024, true)
        const { ex } = await ctx.create({ body: ctx.bytes(n), plan: slowPlan(n) })
        expect2xx(ctx, ex, 'creation')
        const all = [...ex.interim, ...(ex.final ? [ex.final] : [])]
        const locations = all.map((r) => header(r, 'location')).filter((l): l is string => l !== undefined)
        ctx.assert(new Set(locations).size <= 1, `Location differs: ${locations.join(' vs ')}`, ex)
        return undefined
      },
    }),
  ),
  {
    id: 'N9-07',
    title: 'Creation with the whole representation is answered with Upload-Complete: ?1, not 301/302/303',
    group: 'creation',
    versions: FROM9,
    source: [sec('-12', 'creation')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create({ complete: true, body: ctx.bytes(12) })
      ctx.assert(![301, 302, 303].includes(ex.final?.status ?? 0), `creation answered ${describe(ex)}`, ex)
      ctx.assert(ex.final && readBoolean(header(ex.final, Field.complete)) === true, 'no Upload-Complete: ?1', ex)
      return undefined
    },
  },
  {
    id: 'N7-02',
    title: 'Creation of an incomplete upload: 2xx with Location',
    group: 'creation',
    versions: [7],
    source: [sec('-06', 'creation'), sec('-08', 'creation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create()
      ctx.assert(has(expect2xx(ctx, ex, 'creation'), 'location'), 'the creation response has no Location', ex)
      return undefined
    },
  },
  {
    id: 'N7-02b',
    title: 'Creation of an incomplete upload carries Upload-Limit',
    group: 'creation',
    versions: [7],
    source: [sec('-06', 'creation'), sec('-08', 'creation')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create()
      ctx.assert(has(expect2xx(ctx, ex, 'creation'), Field.limit), 'the creation response has no Upload-Limit', ex)
      return undefined
    },
  },
  {
    id: 'N6-01',
    title: 'Creation of an incomplete upload: exactly 201 with Location, Upload-Complete: ?0, Upload-Offset',
    group: 'creation',
    versions: [6],
    source: [sec('-04', 'creation'), sec('-05', 'creation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create({ body: ctx.bytes(4) })
      const f = ex.final
      ctx.assert(f?.status === 201, `creation: ${describe(ex)} (201 required)`, ex)
      ctx.assert(has(f, 'location'), 'no Location', ex)
      ctx.assert(readBoolean(header(f, Field.complete)) === false, 'no Upload-Complete: ?0', ex)
      ctx.assert(ctx.d.readOffset(f) === 4, `Upload-Offset is ${header(f, Field.offset) ?? '(none)'}, expected 4`, ex)
      return undefined
    },
  },
  {
    id: 'N6-02',
    title: 'Creation with the whole representation: 2xx with Location and Upload-Offset, never Upload-Complete: ?0',
    group: 'creation',
    versions: [6],
    source: [sec('-04', 'creation'), sec('-05', 'creation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create({ complete: true, body: ctx.bytes(12) })
      const f = expect2xx(ctx, ex, 'creation')
      ctx.assert(has(f, 'location'), 'no Location', ex)
      ctx.assert(has(f, Field.offset), 'no Upload-Offset', ex)
      ctx.assert(readBoolean(header(f, Field.complete)) !== false, 'Upload-Complete: ?0 on a complete upload', ex)
      return undefined
    },
  },
  {
    id: 'N6-17',
    title: 'Only the first 104 of a creation carries Location',
    group: 'creation',
    versions: [5, 6],
    source: [sec('-03', 'creation'), sec('-04', 'creation'), sec('-05', 'creation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const n = ctx.partSize(2048, true)
      const { ex } = await ctx.create({ body: ctx.bytes(n), plan: slowPlan(n) })
      const list = interim104(ex)
      if (list.length) ctx.assert(has(list[0]!, 'location'), 'the first 104 has no Location', ex)
      ctx.assert(!list.slice(1).some((r) => has(r, 'location')), 'a later 104 carries Location', ex)
      if (list.length < 2) ctx.note(`${list.length} 104 response(s) seen`)
      return undefined
    },
  },
  {
    id: 'N5-02',
    title: 'Empty creation: 201 with Location, Upload-Complete: ?0, Upload-Offset: 0',
    group: 'creation',
    versions: [4, 5],
    source: [sec('-02', 'creation'), sec('-03', 'creation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create()
      const f = ex.final
      ctx.assert(f?.status === 201, `creation: ${describe(ex)} (201 required)`, ex)
      ctx.assert(has(f, 'location'), 'no Location', ex)
      ctx.assert(readBoolean(header(f, Field.complete)) === false, 'no Upload-Complete: ?0', ex)
      ctx.assert(ctx.d.readOffset(f) === 0, `Upload-Offset is ${header(f, Field.offset) ?? '(none)'}, expected 0`, ex)
      return undefined
    },
  },
  {
    id: 'N3-02',
    title: 'Creation with Upload-Incomplete: ?1: 201 with Location, Upload-Incomplete: ?1, Upload-Offset',
    group: 'creation',
    versions: [3],
    source: [sec('-01', 'creation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create({ body: ctx.bytes(4) })
      const f = ex.final
      ctx.assert(f?.status === 201, `creation: ${describe(ex)} (201 required)`, ex)
      ctx.assert(has(f, 'location'), 'no Location', ex)
      ctx.assert(readBoolean(header(f, Field.incomplete)) === true, 'no Upload-Incomplete: ?1', ex)
      ctx.assert(ctx.d.readOffset(f) === 4, `Upload-Offset is ${header(f, Field.offset) ?? '(none)'}, expected 4`, ex)
      return undefined
    },
  },
  {
    id: 'N9-23',
    title: 'With Expect: 100-continue, 100 (Continue) is still sent although a 104 was',
    group: 'creation',
    versions: FROM8,
    drafts: ['-10', '-11', '-12', '-13'],
    source: [sec('-10', '104'), sec('-12', '104')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const wait = 1500
      const { ex } = await ctx.create({ body: ctx.bytes(ctx.partSize(8, true)), plan: { expectContinueMs: wait } })
      const got100 = ex.interim.some((r) => r.status === 100)
      const earlyFinal = ex.final !== undefined && ex.final.at < wait - 50
      ctx.assert(got100 || earlyFinal, `no 100 (Continue) within ${wait} ms of a request with Expect: 100-continue`, ex)
      if (!is2xx(ex.final)) ctx.note(`creation answered ${describe(ex)}`)
      return undefined
    },
  },
]
