/** Cancellation (DELETE), unknown upload URIs, and the 400 rules for HEAD/DELETE carrying upload fields (I3-I6). */
import type { CheckContext } from '../context.js'
import { describe, is2xx } from '../context.js'
import { sec } from '../sources.js'
import type { Check } from '../types.js'
import { ALL, expectReject } from './util.js'

export const cancellationChecks: Check[] = [
  {
    id: 'B-16',
    title: 'After DELETE the upload resource is deactivated (later HEAD and PATCH fail)',
    group: 'cancellation',
    versions: ALL,
    source: [
      sec('-01', 'cancellation'),
      sec('-05', 'cancellation'),
      sec('-09', 'cancellation'),
      sec('-12', 'cancellation'),
    ],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 4 })
      const del = await ctx.cancel(up.url)
      if (del.final?.status === 405) throw ctx.skip('cancellation is not supported (405)')
      ctx.assert(is2xx(del.final), `DELETE: ${describe(del)}`, del)
      const head = await ctx.retrieve(up.url)
      expectReject(ctx, head, 'HEAD after DELETE')
      const patch = await ctx.append(up.url, { offset: up.offset, complete: false, body: ctx.bytes(ctx.partSize(4)) })
      expectReject(ctx, patch, 'PATCH after DELETE')
      return undefined
    },
  },
  {
    id: 'N6-19',
    title: 'A DELETE answered 204 deactivated the upload: HEAD and PATCH on it are then answered 404',
    group: 'cancellation',
    versions: [3, 4, 5, 6],
    // -01..-05: 204 means "successfully deactivated"; an upload the server does not consider active MUST get 404.
    source: [sec('-01', 'cancellation'), sec('-01', 'retrieval'), sec('-05', 'cancellation'), sec('-05', 'retrieval')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 4 })
      const del = await ctx.cancel(up.url)
      if (del.final?.status === 405) throw ctx.skip('cancellation is not supported (405)')
      if (del.final?.status !== 204) throw ctx.skip(`DELETE was not answered 204 (${describe(del)}; see N6-09)`)
      const head = await ctx.retrieve(up.url)
      ctx.assert(head.final?.status === 404, `HEAD after a 204 to DELETE: ${describe(head)} (404 required)`, del, head)
      const patch = await ctx.append(up.url, { offset: up.offset, complete: false, body: ctx.bytes(ctx.partSize(4)) })
      ctx.assert(patch.final?.status === 404, `PATCH after a 204 to DELETE: ${describe(patch)} (404 required)`, patch)
      return undefined
    },
  },
  {
    id: 'N6-09',
    title: 'DELETE is answered 204 (405 when cancellation is not supported)',
    group: 'cancellation',
    versions: [4, 5, 6],
    source: [
      sec('-02', 'cancellation'),
      sec('-03', 'cancellation'),
      sec('-04', 'cancellation'),
      sec('-05', 'cancellation'),
    ],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload()
      const del = await ctx.cancel(up.url)
      if (del.final?.status === 405) {
        ctx.note('cancellation not supported (405)')
        return undefined
      }
      ctx.assert(del.final?.status === 204, `DELETE: ${describe(del)} (204 required)`, del)
      return undefined
    },
  },
  {
    id: 'N7-06',
    title: 'DELETE is answered exactly 204, never 301/302',
    group: 'cancellation',
    versions: [7],
    source: [sec('-06', 'cancellation'), sec('-08', 'cancellation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload()
      const del = await ctx.cancel(up.url)
      ctx.assert(del.final?.status === 204, `DELETE: ${describe(del)} (204 required)`, del)
      return undefined
    },
  },
  {
    id: 'N6-10',
    title: 'HEAD, PATCH and DELETE on an unknown upload URI are answered 404',
    group: 'cancellation',
    versions: [3, 4, 5, 6],
    source: [sec('-01', 'retrieval'), sec('-01', 'append'), sec('-01', 'cancellation'), sec('-05', 'retrieval')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload()
      const u = ctx.unknownUpload(up.url)
      const head = await ctx.retrieve(u)
      ctx.assert(head.final?.status === 404, `HEAD ${u.pathname}: ${describe(head)}`, head)
      const patch = await ctx.append(u, { offset: 0, complete: false, body: ctx.bytes(4) })
      ctx.assert(patch.final?.status === 404, `PATCH ${u.pathname}: ${describe(patch)}`, patch)
      const del = await ctx.cancel(u)
      ctx.assert(del.final?.status === 404, `DELETE ${u.pathname}: ${describe(del)}`, del)
      return undefined
    },
  },
  {
    id: 'N6-08',
    title: 'DELETE carrying Upload-Offset or Upload-Complete is answered 400',
    group: 'cancellation',
    versions: [6],
    source: [sec('-04', 'cancellation'), sec('-05', 'cancellation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload()
      for (const extra of [['Upload-Offset', '0'] as [string, string], ctx.d.completeness(false)]) {
        const ex = await ctx.cancel(up.url, [extra])
        ctx.assert(ex.final?.status === 400, `DELETE with ${extra[0]}: ${describe(ex)} (400 required)`, ex)
      }
      return undefined
    },
  },
  {
    id: 'N4-03',
    title: 'HEAD and DELETE carrying Upload-Offset or Upload-Complete are answered 400',
    group: 'cancellation',
    versions: [4, 5],
    source: [sec('-02', 'retrieval'), sec('-02', 'cancellation'), sec('-03', 'retrieval'), sec('-03', 'cancellation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload()
      for (const method of ['HEAD', 'DELETE'])
        for (const extra of [['Upload-Offset', '0'] as [string, string], ctx.d.completeness(false)]) {
          const ex = await ctx.send(method, up.url, { headers: [...ctx.d.requestFields(), extra] })
          ctx.assert(ex.final?.status === 400, `${method} with ${extra[0]}: ${describe(ex)} (400 required)`, ex)
        }
      return undefined
    },
  },
  {
    id: 'N3-05',
    title: 'HEAD and DELETE carrying Upload-Offset or Upload-Incomplete are answered 400',
    group: 'cancellation',
    versions: [3],
    source: [sec('-01', 'retrieval'), sec('-01', 'cancellation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload()
      for (const method of ['HEAD', 'DELETE'])
        for (const extra of [
          ['Upload-Offset', '0'] as [string, string],
          ['Upload-Incomplete', '?1'] as [string, string],
        ]) {
          const ex = await ctx.send(method, up.url, { headers: [...ctx.d.requestFields(), extra] })
          ctx.assert(ex.final?.status === 400, `${method} with ${extra[0]}: ${describe(ex)} (400 required)`, ex)
        }
      return undefined
    },
  },
]
