/** The interop gate (104 only for a matching `Upload-Draft-Interop-Version`) and the announcing 104 on creation. */

import { Field, readBoolean, readInteger } from '@rufh/protocol'
import { header } from '@rufh/wire'
import type { CheckContext } from '../context.js'
import { describe, is2xx } from '../context.js'
import { sec, secs } from '../sources.js'
import type { Check } from '../types.js'
import { ALL, FROM7, FROM8, interim104 } from './util.js'

const gateSources = [...secs(['-01', '-05', '-08'], 'gate'), sec('-09', 'gate'), sec('-12', 'gate')]

export const gateChecks: Check[] = [
  {
    id: 'B-01',
    title: 'No 104 when the request carries no Upload-Draft-Interop-Version',
    group: 'gate',
    versions: ALL,
    source: gateSources,
    level: 'MUST',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create({ interop: null })
      ctx.assert(interim104(ex).length === 0, 'a 104 was sent to a request without Upload-Draft-Interop-Version', ex)
      return undefined
    },
  },
  {
    id: 'B-02',
    title: 'No 104 when the request names another interop version (999)',
    group: 'gate',
    versions: ALL,
    source: gateSources,
    level: 'MUST',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create({ interop: 999 })
      ctx.assert(interim104(ex).length === 0, 'a 104 was sent to a request with Upload-Draft-Interop-Version: 999', ex)
      return undefined
    },
  },
  {
    id: 'B-03',
    title: 'Every 104 carries Upload-Draft-Interop-Version with the requested version',
    group: 'gate',
    versions: ALL,
    source: gateSources,
    level: 'MUST',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create({ body: ctx.bytes(ctx.partSize(64, true)), plan: { chunkSize: 16, delayMs: 10 } })
      const list = interim104(ex)
      if (list.length === 0) ctx.note('no 104 was sent')
      for (const r of list) {
        const v = readInteger(header(r, Field.interopVersion))
        ctx.assert(
          v === ctx.v,
          `a 104 carries Upload-Draft-Interop-Version ${header(r, Field.interopVersion) ?? '(none)'}`,
          ex,
        )
      }
      return undefined
    },
  },
  {
    id: 'B-04',
    title: 'The announcing 104 and the creation response carry Location',
    group: 'gate',
    versions: ALL,
    source: [sec('-01', 'creation'), sec('-05', 'creation'), sec('-09', 'creation'), sec('-12', 'creation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create()
      const first = interim104(ex)[0]
      if (first) ctx.assert(header(first, 'location'), 'the first 104 of a creation has no Location', ex)
      ctx.assert(is2xx(ex.final), `creation of an incomplete upload was not answered with a 2xx: ${describe(ex)}`, ex)
      ctx.assert(header(ex.final, 'location'), 'the response creating an incomplete upload has no Location', ex)
      return undefined
    },
  },
  {
    id: 'B-17',
    title: 'Creation with the whole representation gets a final response; 104 only for the matching version',
    group: 'gate',
    versions: ALL,
    source: [...gateSources, sec('-12', 'creation')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const body = ctx.bytes(16)
      const { ex: plain } = await ctx.create({ complete: true, body, interop: null })
      ctx.assert(
        interim104(plain).length === 0,
        'a 104 was sent to a request without Upload-Draft-Interop-Version',
        plain,
      )
      const { ex } = await ctx.create({ complete: true, body })
      ctx.assert(is2xx(ex.final), `a complete upload in one request was not answered with a 2xx: ${describe(ex)}`, ex)
      for (const r of interim104(ex))
        ctx.assert(readInteger(header(r, Field.interopVersion)) === ctx.v, 'a 104 names another interop version', ex)
      ctx.assert(ctx.d.readComplete(ex.final) !== false, 'the response to a complete upload says it is incomplete', ex)
      return undefined
    },
  },
  {
    id: 'X-02',
    title: 'The server announces the upload resource with a 104',
    group: 'gate',
    versions: FROM7,
    source: [sec('-06', 'creation'), sec('-09', 'creation'), sec('-12', 'creation')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create()
      ctx.assert(
        interim104(ex).some((r) => header(r, 'location')),
        'no 104 with Location was sent on creation',
        ex,
      )
      return undefined
    },
  },
  {
    id: 'X-03',
    title: 'Sends a 104 announcing the upload resource',
    group: 'gate',
    versions: [3, 4, 5, 6],
    source: [sec('-01', 'creation'), sec('-03', 'creation'), sec('-05', 'creation')],
    level: 'MAY',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create()
      ctx.assert(
        interim104(ex).some((r) => header(r, 'location')),
        'no 104 with Location was sent on creation',
        ex,
      )
      return { status: 'pass', notes: ['sends a 104 with Location on creation'] }
    },
  },
  {
    id: 'N9-24',
    title: 'An invalid Upload-Complete (`yes`) is ignored: no resumable upload, no 104',
    group: 'gate',
    versions: FROM8,
    source: [sec('-09', 'complete'), sec('-12', 'complete')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const ex = await ctx.send('POST', ctx.target, {
        headers: [...ctx.d.requestFields(), ['Upload-Complete', 'yes']],
        body: ctx.bytes(4),
      })
      ctx.assert(interim104(ex).length === 0, 'a 104 was sent although Upload-Complete was invalid', ex)
      ctx.assert(
        !(is2xx(ex.final) && readBoolean(header(ex.final, Field.complete)) === false),
        'the request was taken as a resumable creation (2xx with Upload-Complete: ?0) although Upload-Complete was invalid',
        ex,
      )
      return undefined
    },
  },
  {
    id: 'N3-01',
    title: 'Creation without Upload-Incomplete is not a resumable creation',
    group: 'gate',
    versions: [3],
    source: [sec('-01', 'creation')],
    level: 'MAY',
    async run(ctx: CheckContext) {
      const ex = await ctx.send('POST', ctx.target, { headers: ctx.d.requestFields(), body: ctx.bytes(4) })
      const resumable =
        interim104(ex).length > 0 ||
        (ex.final !== undefined && readBoolean(header(ex.final, Field.incomplete)) === true)
      ctx.assert(!resumable, 'treats a request without Upload-Incomplete as a resumable creation', ex)
      return { status: 'pass', notes: ['a request without Upload-Incomplete is handled as a plain request'] }
    },
  },
]
