/**
 * Superseded transfers: once the server has answered a newer request for an upload (an offset retrieval or an
 * append), bytes that still arrive on the older transfer must not be appended. Otherwise the offset just reported is
 * stale (the next append at it is refused) or, worse, the newer append's bytes are overwritten. Every draft says an
 * offset reported by retrieval is the one the next append must use (-01 §6.2: a server that keeps the old transfer
 * going must ignore bytes past the offset it reported); from -09 the server MUST prevent such races and MUST NOT
 * report stale offsets (-09 §4.6, -12 §4.6).
 */
import type { WireConnection } from '@rufh/wire'
import type { CheckContext } from '../context.js'
import { sec } from '../sources.js'
import type { Check } from '../types.js'
import { ALL, expect2xx, expectOffset } from './util.js'

/** How long the newer request may wait for the server to deal with the stale one. */
const ANSWER_MS = 3000

const sources = [
  sec('-01', 'retrieval'),
  sec('-06', 'concurrency'),
  sec('-09', 'concurrency'),
  sec('-12', 'concurrency'),
]

/** Starts an append declaring `declared` bytes, sends the first half, then stalls. */
async function stalled(ctx: CheckContext): Promise<{ url: URL; conn: WireConnection; rest: Buffer }> {
  const up = await ctx.upload({ bytes: 4 })
  const declared = ctx.partSize(600)
  const sent = Math.floor(declared / 2)
  const conn = await ctx.open(up.url)
  conn.writeHead(
    { method: 'PATCH', headers: ctx.d.appendFields({ offset: up.offset, complete: false }) },
    {
      contentLength: declared,
    },
  )
  await conn.write(ctx.bytes(sent, up.offset))
  await conn.settle(150)
  ctx.assert(
    !conn.done || !conn.final || conn.final.status < 400,
    `the append was rejected early: ${conn.final?.status}`,
  )
  return { url: up.url, conn, rest: ctx.bytes(declared - sent, up.offset + sent) }
}

/** Sends the rest of the stale transfer (a server that terminated it may have closed the connection: fine). */
async function finishStale(conn: WireConnection, rest: Buffer): Promise<void> {
  if (!conn.done) await conn.write(rest)
  await conn.settle(500)
}

export const supersededChecks: Check[] = [
  {
    id: 'B-18',
    title: 'After an offset retrieval is answered, bytes still arriving on the older append are not appended',
    group: 'concurrency',
    versions: ALL,
    source: sources,
    level: 'MUST',
    budget: { timeMs: 20_000 },
    async run(ctx: CheckContext) {
      const { url, conn, rest } = await stalled(ctx)
      const s = await ctx.state(url, 'HEAD', ANSWER_MS)
      ctx.assert(s.offset !== undefined, 'offset retrieval during a stalled append reports no offset', s.ex)
      await finishStale(conn, rest)
      await expectOffset(ctx, url, s.offset, 'after the older append sent the rest of its content')
      const ex = await ctx.append(url, { offset: s.offset, complete: false, body: ctx.bytes(ctx.partSize(8)) })
      expect2xx(ctx, ex, `append at the offset retrieval reported (${s.offset}) once the older append had finished`)
      return undefined
    },
  },
  {
    id: 'B-18b',
    title: 'After a newer append is answered, bytes still arriving on the older append are not appended',
    group: 'concurrency',
    versions: ALL,
    source: sources,
    level: 'MUST',
    budget: { timeMs: 20_000 },
    async run(ctx: CheckContext) {
      const { url, conn, rest } = await stalled(ctx)
      const s = await ctx.state(url, 'HEAD', ANSWER_MS)
      ctx.assert(s.offset !== undefined, 'offset retrieval during a stalled append reports no offset', s.ex)
      const n = ctx.partSize(8)
      const ex = await ctx.append(url, { offset: s.offset, complete: false, body: ctx.bytes(n, s.offset) })
      expect2xx(ctx, ex, `append at the offset retrieval reported (${s.offset})`)
      await finishStale(conn, rest)
      await expectOffset(ctx, url, s.offset + n, 'after the older append sent the rest of its content')
      return undefined
    },
  },
]
