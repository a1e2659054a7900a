/**
 * `exchange(url, request, opts)`: one request on a fresh connection, with the content sent whole, slowly (parts with
 * pauses), held back (the head first, the content after a pause), or cut after K bytes (the socket is destroyed).
 * Never throws for network trouble: the result carries `error` instead, and every exchange ends by its deadline.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { type ConnectOptions, WireConnectError, WireConnection } from './connection.js'
import type { ExchangeResult, RawRequest } from './types.js'

export interface BodyPlan {
  /** Send the content in parts of this many bytes (default: all at once). */
  chunkSize?: number
  /** Pause between parts, in milliseconds (a slow body). */
  delayMs?: number
  /** Pause after the head before the first byte of content (a held body). */
  holdMs?: number
  /** Destroy the connection after this many bytes of content were written. */
  cutAfter?: number
  /** With `cutAfter`: wait this long after the last byte before cutting, so the peer can take it (default 100). */
  cutDelayMs?: number
  /** Declare this `Content-Length` instead of the body's length. */
  contentLength?: number
  /** Use `Transfer-Encoding: chunked`. */
  chunked?: boolean
  /** Send `Expect: 100-continue` and hold the content until a 100 (or any other response) or this many ms pass. */
  expectContinueMs?: number
}

export interface ExchangeOptions extends ConnectOptions, BodyPlan {
  /** Called for each interim response as it arrives. */
  onInterim?: (r: import('./types.js').RawResponse) => void
}

export function describePlan(p: BodyPlan): string {
  const parts: string[] = []
  if (p.holdMs) parts.push(`held ${p.holdMs} ms`)
  if (p.expectContinueMs !== undefined) parts.push('100-continue')
  if (p.chunkSize) parts.push(`parts of ${p.chunkSize} B${p.delayMs ? ` every ${p.delayMs} ms` : ''}`)
  if (p.chunked) parts.push('chunked')
  if (p.cutAfter !== undefined) parts.push(`cut after ${p.cutAfter} B`)
  if (p.contentLength !== undefined) parts.push(`declared ${p.contentLength} B`)
  return parts.length ? parts.join(', ') : 'whole'
}

export async function exchange(
  url: string | URL,
  req: RawRequest,
  opts: ExchangeOptions = {},
): Promise<ExchangeResult> {
  const started = Date.now()
  const body = req.body === undefined ? Buffer.alloc(0) : Buffer.from(req.body)
  const planned = opts.contentLength ?? body.length
  const u = new URL(url)
  let conn: WireConnection
  try {
    conn = await WireConnection.open(u, opts)
  } catch (e) {
    const err = e instanceof WireConnectError ? e : new WireConnectError('NETWORK', String(e))
    return {
      request: {
        method: req.method,
        url: u.href,
        headers: [],
        bodyBytesSent: 0,
        bodyBytesPlanned: planned,
        plan: describePlan(opts),
      },
      interim: [],
      error: { code: err.code, message: err.message },
      closedByPeer: false,
      cutByClient: false,
      durationMs: Date.now() - started,
    }
  }
  if (opts.onInterim) conn.onInterim(opts.onInterim)
  const headers = req.headers
  const withExpect =
    opts.expectContinueMs !== undefined
      ? [
          ...(Array.isArray(headers) ? headers : Object.entries(headers ?? {})),
          ['Expect', '100-continue'] as [string, string],
        ]
      : headers
  conn.writeHead(
    { ...req, ...(withExpect ? { headers: withExpect } : {}) },
    {
      ...(opts.contentLength !== undefined ? { contentLength: opts.contentLength } : {}),
      ...(opts.chunked ? { chunked: true } : {}),
    },
  )
  await sendBody(conn, body, opts)
  await conn.finished()
  return {
    request: {
      method: req.method,
      url: u.href,
      headers: conn.sentHead?.headers ?? [],
      bodyBytesSent: conn.bytesSent,
      bodyBytesPlanned: planned,
      plan: describePlan(opts),
    },
    interim: conn.interim,
    ...(conn.final ? { final: conn.final } : {}),
    ...(conn.error ? { error: conn.error } : {}),
    closedByPeer: conn.closedByPeer,
    cutByClient: conn.cutByClient,
    durationMs: Date.now() - started,
  }
}

async function sendBody(conn: WireConnection, body: Buffer, p: BodyPlan): Promise<void> {
  if (p.expectContinueMs !== undefined) {
    const deadline = Date.now() + p.expectContinueMs
    while (!conn.done && Date.now() < deadline && !conn.interim.some((r) => r.status === 100)) {
      await conn.waitInterim(conn.interim.length + 1, Math.max(1, deadline - Date.now()))
    }
  }
  if (p.holdMs) await Promise.race([sleep(p.holdMs), conn.settle(p.holdMs)])
  const limit = p.cutAfter === undefined ? body.length : Math.min(p.cutAfter, body.length)
  const size = p.chunkSize && p.chunkSize > 0 ? p.chunkSize : Math.max(limit, 1)
  let sent = 0
  while (sent < limit && !conn.done) {
    const n = Math.min(size, limit - sent)
    await conn.write(body.subarray(sent, sent + n))
    sent += n
    if (p.delayMs && sent < limit) await conn.settle(p.delayMs)
  }
  if (p.cutAfter !== undefined) {
    await conn.settle(p.cutDelayMs ?? 100)
    conn.cut()
    return
  }
  conn.endBody()
}
