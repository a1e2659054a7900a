/**
 * Requests a server will not serve resumably: a creation naming an interop version the server does not speak, a
 * complete creation below `min-size`, and what refusals of creations and appends say about completeness (-12).
 */
import { Field, readBoolean } from '@rufh/protocol'
import { type ExchangeResult, header } from '@rufh/wire'
import type { CheckContext } from '../context.js'
import { describe, is2xx } from '../context.js'
import { sec, secs } from '../sources.js'
import type { Check } from '../types.js'
import { completedUpload, FROM4, FROM9, interim104 } from './util.js'

/** A refusal (4xx/5xx) must say `Upload-Complete: ?0`; a 2xx that says `?1` is a replay of the final response. */
function refusalSaysIncomplete(ctx: CheckContext, ex: ExchangeResult, what: string): void {
  const f = ex.final
  if (!f) throw ctx.fail(`${what}: no response`, ex)
  const complete = readBoolean(header(f, Field.complete))
  if (f.status >= 200 && f.status < 300) {
    ctx.assert(complete === true, `${what} was acknowledged: ${describe(ex)}`, ex)
    ctx.note(`${what}: answered as a replay of the final response (${f.status}, Upload-Complete: ?1)`)
    return
  }
  ctx.assert(
    complete === false,
    `${what} was refused (${f.status}) with Upload-Complete ${header(f, Field.complete) ?? '(none)'}, not ?0`,
    ex,
  )
}

export const refusalChecks: Check[] = [
  {
    id: 'B-19',
    title:
      'A complete creation naming an interop version the server does not speak (999) is served as an ordinary upload',
    group: 'gate',
    versions: FROM4,
    // The drafts only forbid the 104 for another version (the interop appendix) and require no refusal; a client on a
    // newer draft that is refused fails where it would merely have been not resumable. So: what the server does.
    source: [...secs(['-02', '-05', '-08'], 'gate'), sec('-09', 'gate'), sec('-12', 'gate'), sec('-12', 'creation')],
    level: 'MAY',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create({ complete: true, interop: 999, body: ctx.bytes(16) })
      ctx.assert(interim104(ex).length === 0, 'a 104 was sent to a creation naming interop version 999', ex)
      ctx.assert(is2xx(ex.final), `a complete creation naming interop version 999: ${describe(ex)} (2xx expected)`, ex)
      ctx.note(`served as an ordinary request: ${describe(ex)}`)
      return undefined
    },
  },
  {
    id: 'N9-27',
    title: 'A complete creation smaller than min-size is accepted (min-size is a threshold for resumability)',
    group: 'limits',
    versions: FROM9,
    // -12 §4.1.4: below min-size the server need not offer resumability; §4.2.1: clients send such files in one
    // complete request, so refusing it breaks the client's rule.
    source: [sec('-12', 'limit'), sec('-12', 'creation')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const min = ctx.limits.get('min-size') ?? 0
      // Without a min-size there is no threshold: a one-byte complete creation must then be accepted all the more.
      if (min <= 0) ctx.note('no min-size announced: a 1-byte complete creation')
      const n = Math.max(1, min - 1)
      const { ex } = await ctx.create({ complete: true, body: ctx.bytes(n) })
      ctx.assert(is2xx(ex.final), `a complete creation of ${n} bytes (min-size=${min}): ${describe(ex)}`, ex)
      return undefined
    },
  },
  {
    id: 'N9-28',
    title: 'A refused creation carries Upload-Complete: ?0',
    group: 'creation',
    versions: FROM9,
    source: [sec('-12', 'creation'), sec('-12', 'complete'), sec('-12', 'problem')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const { ex } = await ctx.create({ complete: true, length: 100, body: ctx.bytes(50) })
      ctx.assert(ex.final && ex.final.status >= 400, `a creation contradicting its Upload-Length: ${describe(ex)}`, ex)
      refusalSaysIncomplete(ctx, ex, 'a creation contradicting its Upload-Length')
      return undefined
    },
  },
  {
    id: 'N9-29',
    title: 'An append refused because the upload is complete carries Upload-Complete: ?0 (with or without content)',
    group: 'completion',
    versions: FROM9,
    source: [sec('-12', 'append'), sec('-12', 'complete')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const c = await completedUpload(ctx)
      const full = await ctx.append(c.url, { offset: c.total, complete: false, body: ctx.bytes(ctx.partSize(5)) })
      refusalSaysIncomplete(ctx, full, 'an append with content to a completed upload')
      const empty = await ctx.append(c.url, { offset: c.total, complete: false, body: '' })
      refusalSaysIncomplete(ctx, empty, 'an empty non-completing append to a completed upload')
      return undefined
    },
  },
]
