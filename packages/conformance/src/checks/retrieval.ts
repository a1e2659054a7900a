/** Offset retrieval: status and fields of HEAD (and GET from I9) on the upload resource. */
import { Field, writeInteger } from '@rufh/protocol'
import { header } from '@rufh/wire'
import type { CheckContext, UploadState } from '../context.js'
import { describe } from '../context.js'
import { sec } from '../sources.js'
import type { Check } from '../types.js'
import { FROM8, FROM9, has } from './util.js'

const LENGTH = 64

/** An upload with 4 bytes that declared `Upload-Length` where the version has it. */
async function uploadWithLength(ctx: CheckContext) {
  return ctx.upload({ bytes: 4, ...(ctx.d.hasLength ? { length: LENGTH } : {}) })
}

function requireFields(ctx: CheckContext, s: UploadState, fields: string[], what: string): void {
  const missing = fields.filter((f) => !has(s.res, f))
  ctx.assert(missing.length === 0, `${what} lacks ${missing.join(', ')}`, s.ex)
}

export const retrievalChecks: Check[] = [
  {
    id: 'N9-08',
    title: 'HEAD answers 2xx with Upload-Offset, Upload-Complete, Upload-Length (when given) and Upload-Limit',
    group: 'retrieval',
    versions: FROM8,
    source: [sec('-09', 'retrieval'), sec('-12', 'retrieval')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await uploadWithLength(ctx)
      const s = await ctx.state(up.url)
      const fields: string[] = [Field.offset]
      if (ctx.v < 10) fields.push(Field.complete)
      if (ctx.v === 9) fields.push(Field.length)
      if (ctx.v >= 9) fields.push(Field.limit)
      requireFields(ctx, s, fields, 'HEAD response')
      ctx.assert(s.offset === up.offset, `HEAD reports Upload-Offset ${s.offset}, expected ${up.offset}`, s.ex)
      if (ctx.v === 9)
        ctx.assert(s.length === LENGTH, `HEAD reports Upload-Length ${s.length}, expected ${LENGTH}`, s.ex)
      return undefined
    },
  },
  {
    id: 'N9-09',
    title: 'GET on the upload resource carries the same fields as HEAD',
    group: 'retrieval',
    versions: FROM9,
    source: [sec('-12', 'retrieval')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await uploadWithLength(ctx)
      const s = await ctx.state(up.url, 'GET')
      requireFields(
        ctx,
        s,
        ctx.v < 10 ? [Field.offset, Field.complete, Field.limit] : [Field.offset, Field.limit],
        'GET response',
      )
      ctx.assert(s.offset === up.offset, `GET reports Upload-Offset ${s.offset}, expected ${up.offset}`, s.ex)
      return undefined
    },
  },
  {
    id: 'N8-04',
    title: 'HEAD carries Upload-Limit',
    group: 'retrieval',
    versions: [8],
    source: [sec('-09', 'retrieval'), sec('-10', 'retrieval')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload()
      requireFields(ctx, await ctx.state(up.url), [Field.limit], 'HEAD response')
      return undefined
    },
  },
  {
    id: 'N8-09',
    title: 'HEAD echoes the Upload-Length given at creation',
    group: 'retrieval',
    versions: [8],
    source: [sec('-09', 'retrieval'), sec('-10', 'retrieval')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await uploadWithLength(ctx)
      const s = await ctx.state(up.url)
      ctx.assert(
        s.length === LENGTH,
        `HEAD reports Upload-Length ${header(s.res, Field.length) ?? '(none)'}, expected ${LENGTH}`,
        s.ex,
      )
      return undefined
    },
  },
  {
    id: 'N7-03',
    title: 'HEAD carries Upload-Offset, Upload-Complete and the known Upload-Length; never 301/302',
    group: 'retrieval',
    versions: [7],
    source: [sec('-06', 'retrieval'), sec('-08', 'retrieval')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await uploadWithLength(ctx)
      const ex = await ctx.retrieve(up.url)
      ctx.assert(![301, 302].includes(ex.final?.status ?? 0), `HEAD: ${describe(ex)}`, ex)
      const s = await ctx.state(up.url)
      requireFields(ctx, s, [Field.offset, Field.complete, Field.length], 'HEAD response')
      ctx.assert(s.length === LENGTH, `HEAD reports Upload-Length ${s.length}, expected ${LENGTH}`, s.ex)
      return undefined
    },
  },
  {
    id: 'N6-06',
    title: 'HEAD answers 200 or 204 with Upload-Offset, Upload-Complete (and the recorded Upload-Length, -05)',
    group: 'retrieval',
    versions: [6],
    source: [sec('-04', 'retrieval'), sec('-05', 'retrieval')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await uploadWithLength(ctx)
      const s = await ctx.state(up.url)
      requireFields(ctx, s, [Field.offset, Field.complete], 'HEAD response')
      if (ctx.d.hasLength)
        ctx.assert(s.length === LENGTH, `HEAD reports Upload-Length ${s.length}, expected ${LENGTH}`, s.ex)
      return undefined
    },
  },
  {
    id: 'N6-07',
    title: 'HEAD carrying Upload-Offset, Upload-Complete (or Upload-Length, -05) is answered 400',
    group: 'retrieval',
    versions: [6],
    source: [sec('-04', 'retrieval'), sec('-05', 'retrieval')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload()
      const extras: [string, string][] = [['Upload-Offset', '0'], ctx.d.completeness(false)]
      if (ctx.d.hasLength) extras.push(['Upload-Length', writeInteger(LENGTH)])
      for (const extra of extras) {
        const ex = await ctx.retrieve(up.url, 'HEAD', [extra])
        ctx.assert(ex.final?.status === 400, `HEAD with ${extra[0]}: ${describe(ex)} (400 required)`, ex)
      }
      return undefined
    },
  },
  {
    id: 'N5-01',
    title: 'HEAD answers 200 or 204 with Upload-Offset and Upload-Complete',
    group: 'retrieval',
    versions: [5],
    source: [sec('-03', 'retrieval')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 4 })
      requireFields(ctx, await ctx.state(up.url), [Field.offset, Field.complete], 'HEAD response')
      return undefined
    },
  },
  {
    id: 'N4-01',
    title: 'HEAD answers exactly 204 with Upload-Offset and Upload-Complete',
    group: 'retrieval',
    versions: [4],
    source: [sec('-02', 'retrieval')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 4 })
      const s = await ctx.state(up.url)
      requireFields(ctx, s, [Field.offset, Field.complete], 'HEAD response')
      return undefined
    },
  },
  {
    id: 'N3-03',
    title: 'HEAD answers 204 with Upload-Offset and Upload-Incomplete',
    group: 'retrieval',
    versions: [3],
    source: [sec('-01', 'retrieval')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 4 })
      const s = await ctx.state(up.url)
      requireFields(ctx, s, [Field.offset, Field.incomplete], 'HEAD response')
      return undefined
    },
  },
]
