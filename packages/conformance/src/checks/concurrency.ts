/**
 * Concurrency: a new request while a slow append is still in flight on another connection (the client gave up on
 * it, the server may not know yet). The new request must be answered with a usable offset, and the stale request
 * should be terminated.
 */
import type { WireConnection } from '@rufh/wire'
import { type CheckContext, describe, is2xx } from '../context.js'
import { sec } from '../sources.js'
import type { Check } from '../types.js'
import { ALL, expect2xx, FROM7 } from './util.js'

/** How long the new request may wait for the server to deal with the stale one. */
const ANSWER_MS = 3000
const TERMINATE_MS = 1000

/** Starts an append that sends half its declared content and then stalls. */
async function stalledAppend(ctx: CheckContext): Promise<{ url: URL; start: number; conn: WireConnection }> {
  const up = await ctx.upload({ bytes: 4 })
  const declared = ctx.partSize(600)
  const conn = await ctx.open(up.url)
  const headers = ctx.d.appendFields({ offset: up.offset, complete: false })
  conn.writeHead({ method: 'PATCH', headers }, { contentLength: declared })
  await conn.write(ctx.bytes(Math.floor(declared / 2), up.offset))
  await conn.settle(150)
  ctx.assert(
    !conn.done || !conn.final || conn.final.status < 400,
    `the stalled append was rejected early: ${conn.final?.status}`,
  )
  return { url: up.url, start: up.offset, conn }
}

function terminated(conn: WireConnection): string | undefined {
  if (!conn.done) return undefined
  if (conn.final) return `answered ${conn.final.status}`
  return conn.closedByPeer ? 'connection closed by the server' : (conn.error?.message ?? 'ended')
}

export const concurrencyChecks: Check[] = [
  {
    id: 'B-14',
    title: 'HEAD during a stalled append is answered, and its offset is accepted by the next append',
    group: 'concurrency',
    versions: ALL,
    source: [sec('-01', 'retrieval'), sec('-09', 'concurrency'), sec('-12', 'concurrency')],
    level: 'MUST',
    budget: { timeMs: 20_000 },
    async run(ctx: CheckContext) {
      const { url, start } = await stalledAppend(ctx)
      const s = await ctx.state(url, 'HEAD', ANSWER_MS)
      ctx.assert(s.offset !== undefined && s.offset >= start, `HEAD during a stalled append reports ${s.offset}`, s.ex)
      const ex = await ctx.append(url, {
        offset: s.offset,
        complete: false,
        body: ctx.bytes(ctx.partSize(8), s.offset),
      })
      expect2xx(ctx, ex, `append at the offset HEAD reported (${s.offset}) while the old append was stalled`)
      return undefined
    },
  },
  {
    id: 'B-14b',
    title: 'A new request terminates the stale append in flight',
    group: 'concurrency',
    versions: FROM7,
    source: [sec('-06', 'concurrency'), sec('-09', 'concurrency'), sec('-12', 'concurrency')],
    level: 'SHOULD',
    budget: { timeMs: 20_000 },
    async run(ctx: CheckContext) {
      const { url, conn } = await stalledAppend(ctx)
      const s = await ctx.retrieve(url, 'HEAD', [], ANSWER_MS)
      ctx.assert(s.final, `HEAD during a stalled append: ${describe(s)}`, s)
      await conn.settle(TERMINATE_MS)
      ctx.assert(terminated(conn), `the stale append was still open ${TERMINATE_MS} ms after the HEAD`, s)
      ctx.note(`stale append: ${terminated(conn)}`)
      return undefined
    },
  },
  {
    id: 'N9-26',
    title: 'DELETE during a stalled append is answered and terminates the append',
    group: 'concurrency',
    versions: FROM7,
    source: [sec('-09', 'cancellation'), sec('-12', 'cancellation'), sec('-12', 'concurrency')],
    level: 'SHOULD',
    budget: { timeMs: 20_000 },
    async run(ctx: CheckContext) {
      const { url, conn } = await stalledAppend(ctx)
      const del = await ctx.cancel(url, [], ANSWER_MS)
      ctx.assert(is2xx(del.final), `DELETE during a stalled append: ${describe(del)}`, del)
      await conn.settle(TERMINATE_MS)
      ctx.assert(terminated(conn), `the stale append was still open ${TERMINATE_MS} ms after the DELETE`, del)
      return undefined
    },
  },
]
