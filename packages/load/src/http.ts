/**
 * One raw HTTP exchange over node:http(s), timed from the call to the end of the final response, with the request
 * body streamed from a generator under backpressure, every 1xx recorded, and an optional cut: after `cutAfter` body
 * bytes the connection is reset (TCP RST), as a failing network would do. Never rejects: failures are results.
 */
import { type Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { type Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { Socket } from 'node:net'

export interface Interim {
  status: number
  headers: IncomingHttpHeaders
}

export interface ExchangeOptions {
  url: URL
  method: string
  headers: Record<string, string>
  /** The request content: `length` goes into Content-Length; `chunks` yields exactly that many bytes. */
  body?: { length: number; chunks: Iterable<Buffer> }
  /** Reset the connection after this many body bytes (1 ≤ cutAfter < length). */
  cutAfter?: number
  agent: HttpAgent | HttpsAgent
  /** Idle time after which the exchange fails with 'timeout'. */
  timeoutMs: number
  signal?: AbortSignal
  /** Body bytes handed to the socket. */
  onSent?: (bytes: number) => void
  onInterim?: (i: Interim) => void
  /** Receives the response content (downloads); otherwise up to 4 KiB of it is kept as text. */
  onData?: (chunk: Buffer) => void
}

export interface ExchangeResult {
  /** 0 when no final response arrived. */
  status: number
  headers: IncomingHttpHeaders
  ms: number
  /** Body bytes handed to the socket. */
  sent: number
  /** The exchange was cut on purpose (`cutAfter`). */
  cut: boolean
  /** Why no complete final response arrived: an errno code ('ECONNRESET', 'ECONNREFUSED'), 'timeout', 'aborted'. */
  error: string | undefined
  interim: Interim[]
  /** Up to 4 KiB of the response content, as text (absent with `onData`). */
  text: string
  /** Response content bytes received. */
  received: number
}

const TEXT_LIMIT = 4096

function errorLabel(e: unknown): string {
  const err = e as NodeJS.ErrnoException
  if (err?.name === 'AbortError') return 'aborted'
  return err?.code ?? err?.message ?? String(e)
}

export function exchange(o: ExchangeOptions): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const interim: Interim[] = []
    const res: ExchangeResult = {
      status: 0,
      headers: {},
      ms: 0,
      sent: 0,
      cut: false,
      error: undefined,
      interim,
      text: '',
      received: 0,
    }
    let settled = false
    let bodyDone = !o.body
    const finish = (error?: string) => {
      if (settled) return
      settled = true
      res.ms = performance.now() - t0
      if (error !== undefined && !res.cut) res.error = error
      resolve(res)
    }
    const headers: Record<string, string> = { ...o.headers }
    if (o.body) headers['content-length'] = String(o.body.length)
    const send = o.url.protocol === 'https:' ? httpsRequest : httpRequest
    const req = send(o.url, {
      method: o.method,
      headers,
      agent: o.agent,
      ...(o.signal ? { signal: o.signal } : {}),
    })
    req.setTimeout(o.timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })))
    req.on('information', (info) => {
      const i = { status: info.statusCode, headers: info.headers }
      interim.push(i)
      o.onInterim?.(i)
    })
    req.on('error', (e) => finish(errorLabel(e)))
    req.on('response', (r) => {
      res.status = r.statusCode ?? 0
      res.headers = r.headers
      const chunks: Buffer[] = []
      let kept = 0
      r.on('data', (c: Buffer) => {
        res.received += c.length
        if (o.onData) o.onData(c)
        else if (kept < TEXT_LIMIT) {
          chunks.push(c)
          kept += c.length
        }
      })
      r.on('end', () => {
        res.text = Buffer.concat(chunks).subarray(0, TEXT_LIMIT).toString('utf8')
        // The server answered before taking the whole body: this connection cannot carry another request.
        if (!bodyDone) req.destroy()
        finish()
      })
      r.on('error', (e) => finish(errorLabel(e)))
      r.on('aborted', () => finish('ECONNRESET'))
    })
    if (!o.body) {
      req.end()
      return
    }
    const body = o.body
    const write = async () => {
      for (const chunk of body.chunks) {
        if (settled || res.status !== 0 || req.destroyed) return
        let piece = chunk
        const cutting = o.cutAfter !== undefined && res.sent + chunk.length >= o.cutAfter
        if (cutting) piece = chunk.subarray(0, o.cutAfter! - res.sent)
        res.sent += piece.length
        o.onSent?.(piece.length)
        if (cutting) {
          await new Promise<void>((r) => {
            req.write(piece, () => r())
            req.once('close', () => r())
          })
          res.cut = true
          const socket = req.socket as Socket | null
          if (socket && typeof socket.resetAndDestroy === 'function' && !socket.destroyed) socket.resetAndDestroy()
          req.destroy()
          finish('cut')
          return
        }
        if (!req.write(piece)) {
          await new Promise<void>((r) => {
            const done = () => {
              req.off('drain', done)
              req.off('close', done)
              r()
            }
            req.on('drain', done)
            req.on('close', done)
          })
        }
      }
      bodyDone = true
      if (!req.destroyed) req.end()
    }
    write().catch((e: unknown) => {
      req.destroy()
      finish(errorLabel(e))
    })
  })
}
