/**
 * Raw-socket requests for hostile-input tests (not shipped): bytes exactly as given, optionally split into pieces
 * written with pauses, and the responses parsed from whatever the server sent before it closed (or a quiet period).
 */
import { connect, type Socket } from 'node:net'

export interface RawReply {
  status: number
  headers: Record<string, string>
  body: string
}

export interface RawResult {
  /** Every response head seen, 1xx included, in order. */
  replies: RawReply[]
  /** The last non-1xx response, if any. */
  final: RawReply | undefined
  /** The server closed the connection (FIN or reset) before `waitMs` passed. */
  closed: boolean
  /** Milliseconds from the first write to the close (or to the end of waiting). */
  ms: number
}

export interface RawOptions {
  /** Write these pieces one by one, `pauseMs` apart (a slow client, a proxy that flushes early). */
  pieces?: (string | Buffer)[]
  pauseMs?: number
  /** Stop waiting for the close this long after the last write. Default 3 s. */
  waitMs?: number
  /** Stop as soon as a final response is complete (for keep-alive answers). Default true. */
  untilFinal?: boolean
}

export function rawRequest(port: number, data: string | Buffer, o: RawOptions = {}): Promise<RawResult> {
  const pieces = o.pieces ?? [data]
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const t0 = Date.now()
    let done = false
    let wait: NodeJS.Timeout | undefined
    const finish = (closed: boolean) => {
      if (done) return
      done = true
      clearTimeout(wait)
      socket.destroy()
      const replies = parseReplies(Buffer.concat(chunks))
      resolve({ replies, final: replies.find((r) => r.status >= 200), closed, ms: Date.now() - t0 })
    }
    socket.on('data', (c: Buffer) => {
      chunks.push(c)
      if (o.untilFinal !== false && parseReplies(Buffer.concat(chunks), true).some((r) => r.status >= 200))
        finish(false)
    })
    socket.on('error', () => finish(true))
    socket.on('close', () => finish(true))
    socket.once('connect', async () => {
      try {
        for (const [i, p] of pieces.entries()) {
          if (done) return
          if (i > 0 && o.pauseMs) await new Promise((r) => setTimeout(r, o.pauseMs))
          socket.write(p)
        }
        wait = setTimeout(() => finish(false), o.waitMs ?? 3000)
      } catch (e) {
        reject(e)
      }
    })
  })
}

/** HTTP/1.1 responses in `buf`; with `complete`, only those whose body (Content-Length) has fully arrived. */
export function parseReplies(buf: Buffer, complete = false): RawReply[] {
  const out: RawReply[] = []
  let text = buf.toString('latin1')
  for (;;) {
    const end = text.indexOf('\r\n\r\n')
    if (end < 0) break
    const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n')
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0)
    const headers: Record<string, string> = {}
    for (const l of lines) {
      const i = l.indexOf(':')
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim()
    }
    const length = status >= 200 && status !== 204 && status !== 304 ? Number(headers['content-length'] ?? 0) : 0
    const rest = text.slice(end + 4)
    if (complete && Buffer.byteLength(rest, 'latin1') < length) break
    out.push({ status, headers, body: Buffer.from(rest.slice(0, length), 'latin1').toString() })
    text = rest.slice(length)
  }
  return out
}

/** The problem details of an error response, after checking it is `application/problem+json` (RFC 9457). */
export function problemOf(r: RawReply | { headers: Record<string, unknown>; body: string }): {
  status: number
  code: string
  detail: string
} {
  const type = String(r.headers['content-type'] ?? '')
  if (type !== 'application/problem+json') throw new Error(`not a problem body (${type}): ${r.body.slice(0, 200)}`)
  const p = JSON.parse(r.body) as { status: number; code: string; detail: string }
  if (!p.status || !p.code || !p.detail) throw new Error(`incomplete problem body: ${r.body}`)
  return p
}
