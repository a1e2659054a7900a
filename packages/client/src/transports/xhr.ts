/**
 * Browser transport over XMLHttpRequest: the only browser API that reports upload progress. Browsers never expose
 * interim responses, so this transport cannot see 104s and uploads over it use careful creation.
 * `Content-Length` is set by the browser (it is a forbidden header name).
 */
import type { Transport, TransportRequest, TransportResponse } from '../core/types.js'
import { NetworkError } from '../errors.js'
import { bodyBlob, rawHeaderReader } from './body-blob.js'

export interface XhrOptions {
  /** Send cookies and HTTP authentication cross-origin. */
  withCredentials?: boolean | undefined
  /** Milliseconds for the whole request; 0 (default) for none. */
  timeout?: number | undefined
}

/** Header names a page may not set; the browser sets them itself. */
const forbidden = new Set(['content-length', 'host', 'connection', 'keep-alive', 'transfer-encoding'])

export class XhrTransport implements Transport {
  readonly interim = false

  constructor(private readonly opts: XhrOptions = {}) {}

  async request(req: TransportRequest): Promise<TransportResponse> {
    const payload = req.body ? await bodyBlob(req.body) : null
    return new Promise<TransportResponse>((resolve, reject) => {
      const xhr = new XMLHttpRequest()
      const what = `${req.method} ${req.url}`
      const onAbort = () => {
        xhr.abort()
        reject(req.signal.reason)
      }
      if (req.signal.aborted) return reject(req.signal.reason)
      req.signal.addEventListener('abort', onAbort, { once: true })
      const cleanup = () => req.signal.removeEventListener('abort', onAbort)
      xhr.open(req.method, req.url, true)
      xhr.withCredentials = this.opts.withCredentials ?? false
      xhr.timeout = this.opts.timeout ?? 0
      for (const [k, v] of Object.entries(req.headers)) if (!forbidden.has(k.toLowerCase())) xhr.setRequestHeader(k, v)
      if (payload && req.onProgress) {
        const report = req.onProgress
        xhr.upload.onprogress = (e) => report(e.loaded)
      }
      xhr.onload = () => {
        cleanup()
        resolve({ status: xhr.status, headers: rawHeaderReader(xhr.getAllResponseHeaders()), body: xhr.responseText })
      }
      xhr.onerror = () => {
        cleanup()
        reject(new NetworkError(`${what}: network error`))
      }
      xhr.ontimeout = () => {
        cleanup()
        reject(new NetworkError(`${what}: timed out`))
      }
      xhr.send(payload)
    })
  }
}
