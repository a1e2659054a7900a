/**
 * One plain request to the backend carrying a stored upload, retried with exponential backoff while the backend is
 * unreachable, times out, or answers 5xx. A 4xx is the backend's answer, never retried. Every attempt carries the same
 * `Idempotency-Key`, so the delivery guarantee is *at least once, with the key*: a backend that lost its answer on
 * the way back (or a gateway killed after the backend answered) sees the request again with the same key.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { GatewayError } from './errors.js'
import type { HeaderMap } from './head.js'
import type { BackendResponse } from './journal.js'

/** A forward's connection queues up to 1 MiB (Node's 16 KiB made it wait for the socket after every read). */
const FORWARD_HIGH_WATER_MARK = 1024 * 1024

export interface ForwardOptions {
  /** Extra attempts after the first. Default 5. */
  retries: number
  /** First backoff delay; doubles each attempt, at most 10 s. Default 200 ms. */
  retryDelayMs: number
  /** The backend response's body is kept and relayed up to this many bytes. Default 1 MiB. */
  responseLimit: number
  /** No progress on the backend connection for this long is a timeout (504). Default 60 s. */
  timeoutMs: number
}

export interface BackendRequest {
  method: string
  /** Path and query, appended to the backend's origin and path prefix. */
  path: string
  headers: HeaderMap
}

/** The backend URL for a client path: the backend's path prefix (if any) followed by the client's path. */
export function backendUrl(backend: URL, path: string): URL {
  const prefix = backend.pathname.replace(/\/$/, '')
  return new URL(`${prefix}${path.startsWith('/') ? path : `/${path}`}`, backend.origin)
}

/** Starts a request to the backend; the caller writes the body. Resolves with the response head. */
export function openBackend(
  backend: URL,
  r: BackendRequest,
  timeoutMs: number,
  /** The connection's highWaterMark (Node's default, 16 KiB, when unset). */
  highWaterMark?: number,
): { req: ReturnType<typeof httpRequest>; response: Promise<IncomingMessage> } {
  const url = backendUrl(backend, r.path)
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  const req = send(url, {
    method: r.method,
    headers: r.headers,
    agent: false,
    setHost: r.headers['host'] === undefined,
    ...(highWaterMark !== undefined ? { highWaterMark } : {}),
  })
  req.setTimeout(timeoutMs, () =>
    req.destroy(new GatewayError('ERR_BACKEND_TIMEOUT', 'the backend stopped answering', true)),
  )
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve)
    req.once('error', (e) => reject(asGatewayError(e)))
  })
  return { req, response }
}

export function asGatewayError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e
  const err = e as NodeJS.ErrnoException
  return new GatewayError('ERR_BACKEND_UNREACHABLE', `backend unreachable: ${err.code ?? err.message}`, true, {
    cause: e,
  })
}

/** Reads a backend response, keeping at most `limit` bytes of its body (more is an error: it cannot be relayed). */
export async function readResponse(res: IncomingMessage, limit: number): Promise<BackendResponse> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of res as AsyncIterable<Buffer>) {
    size += c.length
    if (size > limit) {
      res.destroy()
      throw new GatewayError(
        'ERR_BACKEND_RESPONSE_TOO_LARGE',
        `the backend's response body exceeds the response limit (${limit} bytes)`,
        false,
      )
    }
    chunks.push(c)
  }
  const headers: HeaderMap = {}
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = v
  return { status: res.statusCode ?? 502, headers, body: Buffer.concat(chunks) }
}

/** One attempt: sends `body()` and reads the answer. */
async function attempt(
  backend: URL,
  r: BackendRequest,
  body: () => AsyncIterable<Uint8Array>,
  o: ForwardOptions,
): Promise<BackendResponse> {
  const { req, response } = openBackend(backend, r, o.timeoutMs, FORWARD_HIGH_WATER_MARK)
  // Once the backend answers, that is its answer, whatever became of the rest of the body (it may refuse early, e.g.
  // with a 413; and the request stream may report a premature close when the connection ends with the response).
  void pipeline(Readable.from(body()), req).catch(() => {})
  const res = await response
  return readResponse(res, o.responseLimit)
}

export async function forward(
  backend: URL,
  r: BackendRequest,
  body: () => AsyncIterable<Uint8Array>,
  o: ForwardOptions,
  log?: (attempt: number, err: GatewayError) => void,
): Promise<BackendResponse> {
  let last: GatewayError | undefined
  for (let i = 0; i <= o.retries; i++) {
    if (i > 0) await new Promise((res) => setTimeout(res, Math.min(o.retryDelayMs * 2 ** (i - 1), 10_000)))
    try {
      const answer = await attempt(backend, r, body, o)
      if (answer.status < 500) return answer
      last = new GatewayError('ERR_BACKEND_FAILED', `the backend answered ${answer.status}`, true)
    } catch (e) {
      last = asGatewayError(e)
      if (!last.retryable) throw last
    }
    log?.(i + 1, last)
  }
  throw last ?? new GatewayError('ERR_BACKEND_UNREACHABLE', 'no attempt made', true)
}
