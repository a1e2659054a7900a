/**
 * One request/response exchange under the upload's abort signal. Interim responses reach a handler that may abort the
 * request (a 104 announcing a `max-size` the upload exceeds); failures are sorted into transient (`Transient`, retried
 * after a backoff) and everything else.
 */
import type { HeaderReader } from '@rufh/protocol'
import { NetworkError } from '../errors.js'
import type { Body, Transport, TransportResponse } from './types.js'

/** A failure worth retrying after a backoff. */
export class Transient extends Error {
  constructor(
    readonly error: Error,
    readonly retryAfter?: number | undefined,
  ) {
    super(error.message)
  }
}

/** The reason a request is aborted by `pause()`. */
export class Paused extends Error {
  constructor() {
    super('paused')
  }
}

export interface Exchange {
  method: string
  url: string
  headers: Record<string, string>
  body?: Body | undefined
  /** Interim responses; `abort(reason)` stops the request, which then rejects with `reason`. */
  onInterim?: ((status: number, h: HeaderReader, abort: (reason: Error) => void) => void) | undefined
  onProgress?: ((sent: number) => void) | undefined
}

export async function exchange(transport: Transport, signal: AbortSignal, x: Exchange): Promise<TransportResponse> {
  const ctl = new AbortController()
  const forward = () => ctl.abort(signal.reason)
  if (signal.aborted) forward()
  else signal.addEventListener('abort', forward, { once: true })
  const abort = (reason: Error) => ctl.abort(reason)
  const onInterim = x.onInterim
  try {
    return await transport.request({
      method: x.method,
      url: x.url,
      headers: x.headers,
      body: x.body,
      signal: ctl.signal,
      onInterim: onInterim && ((status, h) => onInterim(status, h, abort)),
      onProgress: x.onProgress,
    })
  } catch (e) {
    if (ctl.signal.aborted) throw ctl.signal.reason
    if (e instanceof NetworkError) throw new Transient(e)
    throw e
  } finally {
    signal.removeEventListener('abort', forward)
  }
}

export function resolveUrl(ref: string, base: string): string {
  return new URL(ref, base).href
}
