/** Helpers shared by the check files. */
import { Field, writeInteger } from '@rufh/protocol'
import { type BodyPlan, type ExchangeResult, header, type RawResponse } from '@rufh/wire'
import { type CheckContext, describe, is2xx } from '../context.js'

export const ALL = [3, 4, 5, 6, 7, 8, 9, 10] as const
export const FROM4 = [4, 5, 6, 7, 8, 9, 10] as const
export const FROM5 = [5, 6, 7, 8, 9, 10] as const
export const FROM6 = [6, 7, 8, 9, 10] as const
export const FROM7 = [7, 8, 9, 10] as const
export const FROM8 = [8, 9, 10] as const
export const FROM9 = [9, 10] as const

/** A slow body: parts of a few hundred bytes with short pauses, so a server has time to report progress. */
export function slowPlan(total: number): BodyPlan {
  return { chunkSize: Math.max(1, Math.ceil(total / 6)), delayMs: 25 }
}

export function interim104(ex: ExchangeResult): RawResponse[] {
  return ex.interim.filter((r) => r.status === 104)
}

export function status(ex: ExchangeResult): string {
  return describe(ex)
}

/** Fails unless the exchange ended with a 2xx. */
export function expect2xx(ctx: CheckContext, ex: ExchangeResult, what: string): RawResponse {
  if (!is2xx(ex.final)) throw ctx.fail(`${what}: expected a 2xx response, got ${describe(ex)}`, ex)
  return ex.final
}

/** Fails unless the response is a rejection: exactly `strict` in I3-I6 when given, any 4xx otherwise. */
export function expectReject(ctx: CheckContext, ex: ExchangeResult, what: string, strict?: number): RawResponse {
  const f = ex.final
  if (strict !== undefined && ctx.d.strictStatuses) {
    if (f?.status !== strict) throw ctx.fail(`${what}: expected ${strict}, got ${describe(ex)}`, ex)
    return f
  }
  if (!f || f.status < 400 || f.status > 499)
    throw ctx.fail(`${what}: expected a 4xx rejection, got ${describe(ex)}`, ex)
  return f
}

/** Creates an upload with `first` bytes, then completes it with `rest` more bytes in a completing append. */
export async function completedUpload(
  ctx: CheckContext,
  first = 8,
  rest = 8,
): Promise<{ url: URL; total: number; ex: ExchangeResult }> {
  const up = await ctx.upload({ bytes: first })
  const ex = await ctx.append(up.url, { offset: up.offset, complete: true, body: ctx.bytes(rest, up.offset) })
  expect2xx(ctx, ex, 'completing append')
  return { url: up.url, total: up.offset + rest, ex }
}

/** The upload's offset must still be `expected` (fails when retrieval fails or it moved). */
export async function expectOffset(ctx: CheckContext, u: URL, expected: number, why: string): Promise<void> {
  const s = await ctx.state(u)
  if (s.offset !== expected)
    throw ctx.fail(
      `${why}: offset retrieval reports Upload-Offset ${header(s.res, Field.offset)}, expected ${expected}`,
      s.ex,
    )
}

export function has(r: RawResponse, name: string): boolean {
  return header(r, name) !== undefined
}

export function limitsText(m: Map<string, number> | undefined): string {
  return m ? [...m].map(([k, v]) => `${k}=${v}`).join(', ') : '(none)'
}

export { writeInteger }
