/** Plain-data shapes of raw HTTP/1.1 messages as they crossed the wire. Everything here is JSON-friendly but bodies. */

/** Header fields in the order they were (or will be) written; names keep their case. */
export type HeaderList = [name: string, value: string][]

export interface RawRequest {
  method: string
  /** Request target (origin-form path and query). Defaults to the URL's path and query. */
  target?: string
  /** Header fields. `Host`, `Connection: close` and `Content-Length` are added unless present. */
  headers?: Record<string, string> | HeaderList
  body?: Uint8Array | string
}

export interface RawResponse {
  status: number
  reason: string
  /** e.g. `HTTP/1.1` */
  version: string
  headers: HeaderList
  /** Content after transfer decoding (empty for 1xx, HEAD, 204, 304). Truncated past `maxBodyBytes`. */
  body: Uint8Array
  bodyTruncated: boolean
  /** Milliseconds since the connection was opened when the head of this response was complete. */
  at: number
  /** Epoch milliseconds at the same moment (for `max-age` arithmetic). */
  time: number
}

export type WireErrorCode =
  | 'ECONNREFUSED'
  | 'ENOTFOUND'
  | 'TIMEOUT'
  | 'PARSE'
  | 'RESET'
  | 'CLOSED'
  | 'TOO_LARGE'
  | 'NETWORK'

/** A failure of the exchange itself (not an HTTP error status). */
export interface WireError {
  code: WireErrorCode
  message: string
}

/** A request as it was actually written, for reports. */
export interface SentRequest {
  method: string
  url: string
  headers: HeaderList
  /** Bytes of content written before the exchange ended. */
  bodyBytesSent: number
  /** Bytes of content the request declared or would have sent. */
  bodyBytesPlanned: number
  /** How the body was sent: `full`, `slow`, `cut after K`, `held`, ... */
  plan: string
}

export interface ExchangeResult {
  request: SentRequest
  /** Every 1xx response, in order. */
  interim: RawResponse[]
  final?: RawResponse
  error?: WireError
  /** The peer closed or reset the connection before a final response was complete. */
  closedByPeer: boolean
  /** The client cut the connection on purpose (`cutAfter`). */
  cutByClient: boolean
  durationMs: number
}

/** Case-insensitive field lookup; repeated fields are joined with `, ` (RFC 9110 §5.3). */
export function header(res: { headers: HeaderList }, name: string): string | undefined {
  const n = name.toLowerCase()
  const values = res.headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v)
  return values.length ? values.join(', ') : undefined
}

/** Whether a field is present at all (even empty). */
export function hasHeader(res: { headers: HeaderList }, name: string): boolean {
  const n = name.toLowerCase()
  return res.headers.some(([k]) => k.toLowerCase() === n)
}

/** A `get(name)` view, as `@rufh/protocol` codecs read fields. */
export function headerReader(res: { headers: HeaderList }): { get(name: string): string | undefined } {
  return { get: (name) => header(res, name) }
}

export function toHeaderList(h: Record<string, string> | HeaderList | undefined): HeaderList {
  if (!h) return []
  return Array.isArray(h) ? h.map(([k, v]) => [k, v]) : Object.entries(h)
}
