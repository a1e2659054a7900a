/** Field syntax on every response, invalid Structured Field values in requests, caching and redirects. */

import { Field, readBoolean, readInteger, readIntegerDictionary } from '@rufh/protocol'
import { type ExchangeResult, header, type RawResponse } from '@rufh/wire'
import type { CheckContext } from '../context.js'
import { describe } from '../context.js'
import { sec } from '../sources.js'
import type { Check } from '../types.js'
import { ALL, expectOffset, expectReject, FROM8, FROM9, slowPlan } from './util.js'

/** Problems with the draft's fields in one response (empty when all are well-formed). */
export function fieldProblems(r: RawResponse, interop: number): string[] {
  const out: string[] = []
  const where = r.status >= 100 && r.status < 200 ? `${r.status} interim` : `${r.status} response`
  for (const f of [Field.offset, Field.length]) {
    const raw = header(r, f)
    if (raw !== undefined && readInteger(raw) === undefined)
      out.push(`${where}: ${f}: ${JSON.stringify(raw)} is not a non-negative Integer`)
  }
  const cf = interop === 3 ? Field.incomplete : Field.complete
  const c = header(r, cf)
  if (c !== undefined && readBoolean(c) === undefined)
    out.push(`${where}: ${cf}: ${JSON.stringify(c)} is not a Boolean`)
  const l = header(r, Field.limit)
  if (l !== undefined) {
    const d = readIntegerDictionary(l)
    if (!d) out.push(`${where}: Upload-Limit: ${JSON.stringify(l)} is not a Dictionary`)
    else if (d.invalid.length) out.push(`${where}: Upload-Limit members ${d.invalid.join(', ')} are not Integers`)
  }
  const v = header(r, Field.interopVersion)
  if (v !== undefined && readInteger(v) === undefined)
    out.push(`${where}: Upload-Draft-Interop-Version: ${JSON.stringify(v)} is not an Integer`)
  return out
}

export const fieldChecks: Check[] = [
  {
    id: 'B-15',
    title: 'Upload-Offset, Upload-Length, Upload-Complete and Upload-Limit are well-formed Structured Fields',
    group: 'fields',
    versions: ALL,
    source: [sec('-01', 'complete'), sec('-05', 'limit'), sec('-09', 'offset'), sec('-12', 'limit')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const seen: ExchangeResult[] = []
      if (ctx.d.hasDiscovery) seen.push(await ctx.options('target'))
      const n = ctx.partSize(1024, true)
      const first = await ctx.create({
        body: ctx.bytes(n),
        plan: slowPlan(n),
        ...(ctx.d.hasLength ? { length: n + 16 } : {}),
      })
      seen.push(first.ex)
      if (first.location) {
        const u = first.location
        seen.push(await ctx.retrieve(u))
        seen.push(await ctx.append(u, { offset: n, complete: false, body: ctx.bytes(ctx.partSize(8), n) }))
        const s = await ctx.state(u)
        seen.push(s.ex)
        const o = s.offset ?? n
        seen.push(await ctx.append(u, { offset: o, complete: true, body: ctx.bytes(Math.max(0, n + 16 - o), o) }))
        seen.push(await ctx.retrieve(u))
      }
      for (const ex of seen)
        for (const r of [...ex.interim, ...(ex.final ? [ex.final] : [])]) {
          const p = fieldProblems(r, ctx.v)
          if (p.length) throw ctx.fail(p.join('; '), ex)
        }
      return undefined
    },
  },
  {
    id: 'B-07',
    title: 'Offset retrieval responses carry Cache-Control: no-store',
    group: 'fields',
    versions: ALL,
    source: [sec('-01', 'retrieval'), sec('-05', 'retrieval'), sec('-09', 'retrieval'), sec('-12', 'retrieval')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const up = await ctx.upload()
      for (const m of ctx.d.retrievalMethods) {
        const s = await ctx.state(up.url, m)
        const cc = header(s.res, 'cache-control') ?? ''
        ctx.assert(/(^|,)\s*no-store\s*(,|$)/i.test(cc), `${m} response has Cache-Control: ${cc || '(none)'}`, s.ex)
      }
      return undefined
    },
  },
  {
    id: 'N9-25',
    title: 'An append with an invalid Upload-Offset (-5) is rejected, the offset unchanged',
    group: 'fields',
    versions: FROM8,
    source: [sec('-09', 'offset'), sec('-12', 'offset')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const up = await ctx.upload({ bytes: 5 })
      const ex = await ctx.append(up.url, { offset: '-5', complete: false, body: ctx.bytes(ctx.partSize(4)) })
      expectReject(ctx, ex, 'append with Upload-Offset: -5')
      await expectOffset(ctx, up.url, up.offset, 'after an append with an invalid offset')
      return undefined
    },
  },
  {
    id: 'N9-10',
    title: 'HEAD, GET and DELETE on the upload resource are never answered 301, 302 or 303',
    group: 'fields',
    versions: FROM9,
    source: [sec('-12', 'retrieval'), sec('-12', 'cancellation')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const up = await ctx.upload()
      for (const m of ['HEAD', 'GET']) {
        const ex = await ctx.retrieve(up.url, m)
        ctx.assert(![301, 302, 303].includes(ex.final?.status ?? 0), `${m}: ${describe(ex)}`, ex)
      }
      const del = await ctx.cancel(up.url)
      ctx.assert(![301, 302, 303].includes(del.final?.status ?? 0), `DELETE: ${describe(del)}`, del)
      return undefined
    },
  },
]
