/**
 * The completing response a `pre-finish` gate may supply (as @tus/server's `onUploadFinish` and tusd's `HTTPResponse`
 * do): a 2xx status, extra fields and a short body. It can add to the protocol's response but never break it: the
 * fields the protocol owns (`Upload-*`, `Tus-*`, `Location`, framing) stay as the codec wrote them.
 */
import { HookFailedError } from '@rufh/protocol'
import type { HandlerReply, UploadRequest } from '../types.js'

export interface FinishResponse {
  /** 200–299: the upload did complete. Default: the codec's own. */
  status?: number
  headers?: Record<string, string>
  /** At most `MAX_FINISH_BODY` bytes (UTF-8). */
  body?: string
}

/** Bounds what a hook may make the server send (a hook's answer is relayed, never streamed). */
export const MAX_FINISH_BODY = 64 * 1024
const MAX_FIELDS = 32
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const PROTECTED =
  /^(upload-|tus-|location$|content-length$|transfer-encoding$|connection$|keep-alive$|upgrade$|te$|trailer$)/i

/** Checks a supplied response; throws a TypeError naming what is wrong (the caller fails closed). */
export function checkFinishResponse(r: unknown): FinishResponse {
  if (typeof r !== 'object' || r === null) throw new TypeError('a finish response must be an object')
  const { status, headers, body } = r as Record<string, unknown>
  const out: FinishResponse = {}
  if (status !== undefined) {
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 299)
      throw new TypeError(`a finish response's status must be 200-299 (got ${String(status)})`)
    out.status = status
  }
  if (headers !== undefined) {
    if (typeof headers !== 'object' || headers === null) throw new TypeError("a finish response's headers: an object")
    const entries = Object.entries(headers)
    if (entries.length > MAX_FIELDS) throw new TypeError(`a finish response has at most ${MAX_FIELDS} fields`)
    out.headers = {}
    for (const [k, v] of entries) {
      if (!TOKEN.test(k) || typeof v !== 'string' || /[\r\n\0]/.test(v) || v.length > 4096)
        throw new TypeError(`a finish response's field '${k.slice(0, 40)}' is not a valid field`)
      if (PROTECTED.test(k)) throw new TypeError(`a finish response may not set '${k}' (the protocol's own field)`)
      out.headers[k.toLowerCase()] = v
    }
  }
  if (body !== undefined) {
    if (typeof body !== 'string') throw new TypeError("a finish response's body must be a string")
    if (Buffer.byteLength(body) > MAX_FINISH_BODY)
      throw new TypeError(`a finish response's body is larger than ${MAX_FINISH_BODY} bytes`)
    out.body = body
  }
  return out
}

const kept = new WeakMap<UploadRequest, FinishResponse>()

/** Keeps a gate's response for the reply; one that breaks the bounds fails the completion closed (500). */
export function keepFinishResponse(request: UploadRequest, response: FinishResponse): void {
  try {
    kept.set(request, checkFinishResponse(response))
  } catch (e) {
    throw new HookFailedError('pre-finish', { cause: e })
  }
}

/** Merges the response a gate supplied for this request into its reply, if the request did complete the upload. */
export function shapeReply(request: UploadRequest, reply: HandlerReply): HandlerReply {
  const r = kept.get(request)
  if (!r || reply.status < 200 || reply.status > 299) return reply
  kept.delete(request)
  const shaped: HandlerReply = { ...reply, headers: { ...reply.headers, ...r.headers } }
  if (r.status !== undefined) shaped.status = r.status
  if (r.body !== undefined) {
    shaped.body = r.body
    shaped.headers['content-type'] ??= 'text/plain; charset=utf-8'
    // RFC 9110 §15.3.5: a 204 has no content.
    if (shaped.status === 204) shaped.status = 200
  }
  return shaped
}
