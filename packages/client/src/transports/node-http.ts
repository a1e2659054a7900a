/**
 * Node transport over `node:http`/`node:https`. It sees interim responses (`'information'` events), which optimistic
 * creation needs (the upload URL arrives in a 104 while the body is still being sent). Bodies are piped to the socket
 * with backpressure; a final response that arrives before the body is fully sent (409, 413, 4xx) stops the sending.
 */
import http from 'node:http'
import https from 'node:https'
import type { HeaderReader } from '@rufh/protocol'
import type { Transport, TransportRequest, TransportResponse } from '../core/types.js'
import { NetworkError } from '../errors.js'
import { sendBody } from './node-body.js'
import { HTTP1_READ_SIZE } from './node-file-body.js'

export interface NodeHttpOptions {
  agent?: http.Agent | undefined
  httpsAgent?: https.Agent | undefined
  /** Milliseconds without any socket activity before the request is dropped (and retried). Default 60 s. */
  idleTimeout?: number | undefined
}

/** Response bodies beyond this are cut: only problem details and short answers matter here. */
const MAX_RESPONSE_BODY = 1 << 20

const defaultAgent = new http.Agent({ keepAlive: true })
const defaultHttpsAgent = new https.Agent({ keepAlive: true })

export function headerReader(h: http.IncomingHttpHeaders): HeaderReader {
  return {
    get(name: string) {
      const v = h[name.toLowerCase()]
      if (v === undefined) return null
      return Array.isArray(v) ? v.join(', ') : v
    },
  }
}

export class NodeHttpTransport implements Transport {
  readonly interim = true
  private readonly agent: http.Agent
  private readonly httpsAgent: https.Agent
  private readonly idleTimeout: number

  constructor(opts: NodeHttpOptions = {}) {
    this.agent = opts.agent ?? defaultAgent
    this.httpsAgent = opts.httpsAgent ?? defaultHttpsAgent
    this.idleTimeout = opts.idleTimeout ?? 60_000
  }

  request(req: TransportRequest): Promise<TransportResponse> {
    return new Promise<TransportResponse>((resolve, reject) => {
      // Checked before the request exists: destroying a fresh ClientRequest emits 'error' on the next tick.
      if (req.signal.aborted) return reject(req.signal.reason)
      const url = new URL(req.url)
      const secure = url.protocol === 'https:'
      const headers: Record<string, string> = { ...req.headers }
      const body = req.body
      if (body) headers['content-length'] = String(body.size)
      else if (req.method !== 'HEAD' && req.method !== 'GET' && req.method !== 'OPTIONS' && req.method !== 'DELETE')
        headers['content-length'] = '0'
      const what = `${req.method} ${req.url}`
      const cr = (secure ? https : http).request(url, {
        method: req.method,
        headers,
        agent: secure ? this.httpsAgent : this.agent,
      })
      let settled = false
      let responded = false
      let stopBody: () => void = () => {}

      const onAbort = () => finish(req.signal.reason)
      const finish = (err: unknown, res?: TransportResponse) => {
        if (settled) return
        settled = true
        req.signal.removeEventListener('abort', onAbort)
        stopBody()
        if (err !== undefined) {
          cr.destroy()
          reject(err)
        } else resolve(res!)
      }

      cr.setTimeout(this.idleTimeout, () => {
        cr.destroy(new NetworkError(`${what}: no activity for ${this.idleTimeout} ms`))
      })
      cr.on('information', (info) => {
        if (!settled) req.onInterim?.(info.statusCode, headerReader(info.headers))
      })
      cr.on('error', (e) => {
        // After the response head arrived, a write error (the server closed early) does not matter.
        if (responded) return
        finish(e instanceof NetworkError ? e : new NetworkError(`${what}: ${e.message}`, { cause: e }))
      })
      // Only now, with an 'error' listener in place, may an abort destroy the request.
      req.signal.addEventListener('abort', onAbort, { once: true })
      cr.on('response', (res) => {
        responded = true
        const early = !bodyDone
        if (early) stopBody()
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (s: string) => {
          if (text.length < MAX_RESPONSE_BODY) text += s
        })
        const done = () => {
          finish(undefined, { status: res.statusCode ?? 0, headers: headerReader(res.headers), body: text })
          // The request body was not fully sent, so the connection cannot carry another request.
          if (early) cr.destroy()
        }
        res.on('end', done)
        res.on('close', () => {
          if (!settled && res.complete) done()
          else if (!settled) finish(new NetworkError(`${what}: the connection closed during the response`))
        })
      })

      let bodyDone = !body
      if (!body) {
        cr.end()
        return
      }
      stopBody = sendBody(
        body,
        cr,
        what,
        {
          progress: req.onProgress,
          ended: () => {
            bodyDone = true
          },
          failed: (e) => finish(e),
        },
        HTTP1_READ_SIZE,
      )
    })
  }
}
