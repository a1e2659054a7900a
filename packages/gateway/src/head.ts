/**
 * The creation request's head, as the backend will see it: method, path, the client's header fields minus the
 * protocol's own and hop-by-hop ones, plus `Forwarded`/`X-Forwarded-*` and an `Idempotency-Key` naming the upload.
 */
import type { IncomingMessage } from 'node:http'
import type { Http2ServerRequest } from 'node:http2'
import type { TLSSocket } from 'node:tls'

export type HeaderValue = string | string[]
export type HeaderMap = Record<string, HeaderValue>

export interface RequestHead {
  method: string
  /** Path and query of the client's request. */
  path: string
  headers: HeaderMap
  /** The client's address and the scheme it used, for `Forwarded`. */
  remoteAddress: string | undefined
  proto: 'http' | 'https'
}

/** RFC 9110 §7.6.1: fields that describe one connection, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
])

/** The protocol's own fields, which the backend must not see (it did not take part in the protocol). */
function isProtocolField(name: string): boolean {
  return name.startsWith('upload-') || name.startsWith('tus-') || name === 'x-http-method-override'
}

/** Media types that describe an append's content, not the representation (draft-12 §9.3, tus). */
const APPEND_TYPES = new Set(['application/partial-upload', 'application/offset+octet-stream'])

export function headOf(req: IncomingMessage | Http2ServerRequest): RequestHead {
  const headers: HeaderMap = {}
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !k.startsWith(':')) headers[k] = v
  const authority = req.headers[':authority']
  if (typeof authority === 'string' && headers['host'] === undefined) headers['host'] = authority
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: req.url ?? '/',
    headers,
    remoteAddress: req.socket?.remoteAddress,
    proto: (req.socket as TLSSocket | undefined)?.encrypted === true ? 'https' : 'http',
  }
}

/** Removes hop-by-hop fields, including those the `Connection` field names. */
export function withoutHopByHop(headers: HeaderMap): HeaderMap {
  const named = new Set(
    String(headers['connection'] ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  )
  const out: HeaderMap = {}
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase()
    if (!HOP_BY_HOP.has(name) && !named.has(name)) out[name] = v
  }
  return out
}

/** `Forwarded` (RFC 7239) and the de-facto `X-Forwarded-*`, appended to what earlier proxies wrote. */
export function forwardedFields(head: RequestHead): HeaderMap {
  const h = head.headers
  const host = typeof h['host'] === 'string' ? h['host'] : undefined
  const addr = head.remoteAddress
  const node = addr === undefined ? 'unknown' : addr.includes(':') ? `"[${addr}]"` : addr
  const own = [`for=${node}`, host ? `host="${host}"` : undefined, `proto=${head.proto}`].filter(Boolean).join(';')
  const join = (prev: HeaderValue | undefined, next: string) =>
    prev === undefined ? next : `${Array.isArray(prev) ? prev.join(', ') : prev}, ${next}`
  const out: HeaderMap = {
    forwarded: join(h['forwarded'], own),
    'x-forwarded-for': join(h['x-forwarded-for'], addr ?? 'unknown'),
    'x-forwarded-proto': head.proto,
  }
  if (host) out['x-forwarded-host'] = host
  return out
}

/** The backend request's fields for the completed upload `id` of `length` bytes (undefined: chunked). */
export function backendFields(
  head: RequestHead,
  id: string,
  length: number | undefined,
  metadata: Record<string, string> = {},
): HeaderMap {
  const out: HeaderMap = {}
  for (const [k, v] of Object.entries(withoutHopByHop(head.headers))) {
    if (isProtocolField(k) || k === 'content-length' || k === 'expect') continue
    out[k] = v
  }
  const type = String(out['content-type'] ?? '')
    .split(';', 1)[0]
    ?.trim()
    .toLowerCase()
  if (type && APPEND_TYPES.has(type)) delete out['content-type']
  // tus carries the representation's type in Upload-Metadata (`filetype`, also set from a draft Content-Type).
  if (out['content-type'] === undefined && metadata['filetype']) out['content-type'] = metadata['filetype']
  Object.assign(out, forwardedFields(head))
  if (length !== undefined) out['content-length'] = String(length)
  else out['transfer-encoding'] = 'chunked'
  // draft-ietf-httpapi-idempotency-key-header §2: an sf-string; one key per upload, so a backend can drop a repeat.
  out['idempotency-key'] = `"${id}"`
  return out
}

/** The fields of a plain (non-resumable) request passed through unchanged, plus `Forwarded`/`X-Forwarded-*`. */
export function proxiedFields(head: RequestHead): HeaderMap {
  const out = withoutHopByHop(head.headers)
  Object.assign(out, forwardedFields(head))
  return out
}
