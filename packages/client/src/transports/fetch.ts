/**
 * Transport over `fetch` (browsers, workers, Deno, Node). fetch shows neither interim responses nor upload progress:
 * uploads over it use careful creation, and progress advances per request. Prefer `XhrTransport` in pages and
 * `NodeHttpTransport` in Node; this one is for runtimes that have only fetch.
 */
import type { Transport, TransportRequest, TransportResponse } from '../core/types.js'
import { NetworkError } from '../errors.js'
import { bodyBlob } from './body-blob.js'

export class FetchTransport implements Transport {
  readonly interim = false

  constructor(private readonly init: Omit<RequestInit, 'method' | 'headers' | 'body' | 'signal'> = {}) {}

  async request(req: TransportRequest): Promise<TransportResponse> {
    const payload = req.body ? await bodyBlob(req.body) : undefined
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) if (k.toLowerCase() !== 'content-length') headers[k] = v
    let res: Response
    try {
      res = await fetch(req.url, {
        ...this.init,
        method: req.method,
        headers,
        body: payload ?? null,
        signal: req.signal,
      })
    } catch (e) {
      if (req.signal.aborted) throw req.signal.reason
      throw new NetworkError(`${req.method} ${req.url}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
    }
    let body = ''
    try {
      body = await res.text()
    } catch {
      if (req.signal.aborted) throw req.signal.reason
    }
    if (payload) req.onProgress?.(payload.size)
    return { status: res.status, headers: res.headers, body }
  }
}
