/**
 * Node transport over `node:http2`: one session per origin (h2c with prior knowledge for `http:`, ALPN `h2` for
 * `https:`), interim responses from the stream's `'headers'` events, bodies piped into the stream with flow control.
 * Opt-in (`transport: new NodeHttp2Transport()`, `rufh upload --http2`): HTTP/1.1 stays the default.
 */
import http2 from 'node:http2'
import type { Transport, TransportRequest, TransportResponse } from '../core/types.js'
import { NetworkError } from '../errors.js'
import { sendBody } from './node-body.js'
import { HTTP2_READ_SIZE } from './node-file-body.js'
import { headerReader } from './node-http.js'

export interface NodeHttp2Options {
  /** Milliseconds without activity on a stream before it is dropped (and retried). Default 60 s. */
  idleTimeout?: number | undefined
  /** Options for `http2.connect` (TLS settings and the like). */
  connect?: http2.SecureClientSessionOptions | undefined
}

const MAX_RESPONSE_BODY = 1 << 20

export class NodeHttp2Transport implements Transport {
  readonly interim = true
  private readonly sessions = new Map<string, http2.ClientHttp2Session>()
  /** Requests in flight per session: a session with none is unreferenced (it does not keep the process alive). */
  private readonly active = new Map<http2.ClientHttp2Session, number>()

  constructor(private readonly opts: NodeHttp2Options = {}) {}

  private session(origin: string): http2.ClientHttp2Session {
    const open = this.sessions.get(origin)
    if (open && !open.closed && !open.destroyed) return open
    const s = http2.connect(origin, this.opts.connect)
    s.on('error', () => {})
    s.on('close', () => {
      if (this.sessions.get(origin) === s) this.sessions.delete(origin)
    })
    this.sessions.set(origin, s)
    return s
  }

  /** Closes every session (idle sessions are unreferenced and do not keep the process alive anyway). */
  close(): void {
    for (const s of this.sessions.values()) s.close()
    this.sessions.clear()
  }

  request(req: TransportRequest): Promise<TransportResponse> {
    return new Promise<TransportResponse>((resolve, reject) => {
      const url = new URL(req.url)
      const what = `${req.method} ${req.url}`
      const session = this.session(url.origin)
      const body = req.body
      const headers: http2.OutgoingHttpHeaders = {
        ...req.headers,
        ':method': req.method,
        ':path': `${url.pathname}${url.search}`,
      }
      if (body) headers['content-length'] = String(body.size)
      if (req.signal.aborted) return reject(req.signal.reason)
      this.active.set(session, (this.active.get(session) ?? 0) + 1)
      session.ref()
      let stream: http2.ClientHttp2Stream
      try {
        stream = session.request(headers, { endStream: !body })
      } catch (e) {
        this.release(session)
        return reject(new NetworkError(`${what}: ${(e as Error).message}`, { cause: e }))
      }
      let settled = false
      let bodyDone = !body
      let stopBody: () => void = () => {}
      const onAbort = () => finish(req.signal.reason)
      const finish = (err: unknown, res?: TransportResponse) => {
        if (settled) return
        settled = true
        req.signal.removeEventListener('abort', onAbort)
        stopBody()
        if (!stream.closed)
          stream.close(err === undefined ? http2.constants.NGHTTP2_NO_ERROR : http2.constants.NGHTTP2_CANCEL)
        this.release(session)
        if (err !== undefined) reject(err)
        else resolve(res!)
      }
      stream.setTimeout(this.opts.idleTimeout ?? 60_000, () =>
        finish(new NetworkError(`${what}: no activity for ${this.opts.idleTimeout ?? 60_000} ms`)),
      )
      stream.on('headers', (h) => {
        const status = Number(h[':status'])
        if (!settled && status >= 100 && status < 200) req.onInterim?.(status, headerReader(h))
      })
      stream.on('error', (e) => finish(new NetworkError(`${what}: ${e.message}`, { cause: e })))
      req.signal.addEventListener('abort', onAbort, { once: true })
      stream.on('response', (h) => {
        if (!bodyDone) stopBody()
        let text = ''
        stream.setEncoding('utf8')
        stream.on('data', (s: string) => {
          if (text.length < MAX_RESPONSE_BODY) text += s
        })
        stream.on('end', () =>
          finish(undefined, { status: Number(h[':status']), headers: headerReader(h), body: text }),
        )
      })
      stream.on('close', () => {
        if (!settled) finish(new NetworkError(`${what}: the stream closed (code ${stream.rstCode})`))
      })
      if (!body) return
      stopBody = sendBody(
        body,
        stream,
        what,
        {
          progress: req.onProgress,
          ended: () => {
            bodyDone = true
          },
          failed: (e) => finish(e),
        },
        HTTP2_READ_SIZE,
      )
    })
  }

  private release(session: http2.ClientHttp2Session): void {
    const n = (this.active.get(session) ?? 1) - 1
    if (n > 0) return void this.active.set(session, n)
    this.active.delete(session)
    if (!session.destroyed) session.unref()
  }
}
