/** CORS for browser clients: configurable origins; exposes `Location` and the draft's fields so scripts can read them. */
import type { Fields, HeaderReader } from '@rufh/protocol'
import type { HandlerReply } from './types.js'

export interface CorsOptions {
  /** Allowed origins, or '*' for any. */
  origins: '*' | readonly string[]
  credentials?: boolean
  /** How long browsers may cache a preflight, in seconds. Default 600. */
  maxAgeSeconds?: number
}

const EXPOSED = [
  'Location',
  'Upload-Offset',
  'Upload-Complete',
  'Upload-Incomplete',
  'Upload-Length',
  'Upload-Limit',
  'Upload-Draft-Interop-Version',
  'Accept-Patch',
  'Content-Type',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Tus-Checksum-Algorithm',
  'Upload-Expires',
  'Upload-Metadata',
  'Upload-Defer-Length',
  'Upload-Concat',
].join(', ')

const ALLOWED_HEADERS = [
  'Content-Type',
  'Content-Disposition',
  'Upload-Offset',
  'Upload-Complete',
  'Upload-Incomplete',
  'Upload-Length',
  'Upload-Draft-Interop-Version',
  'Tus-Resumable',
  'Upload-Metadata',
  'Upload-Defer-Length',
  'Upload-Concat',
  'Upload-Checksum',
  'X-HTTP-Method-Override',
  'X-Requested-With',
].join(', ')

const METHODS = 'POST, PUT, PATCH, HEAD, GET, DELETE, OPTIONS'

function allowedOrigin(origin: string | null | undefined, o: CorsOptions): string | undefined {
  if (!origin) return undefined
  if (o.origins === '*') return o.credentials ? origin : '*'
  return o.origins.includes(origin) ? origin : undefined
}

/** Fields added to every response for an allowed origin. */
export function corsFields(h: HeaderReader, o: CorsOptions | undefined): Fields {
  if (!o) return {}
  const origin = allowedOrigin(h.get('origin'), o)
  if (!origin) return {}
  const f: Fields = { 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED }
  if (origin !== '*') f['vary'] = 'Origin'
  if (o.credentials) f['access-control-allow-credentials'] = 'true'
  return f
}

/** Answers a CORS preflight (OPTIONS with `Access-Control-Request-Method`), or returns undefined. */
export function preflight(method: string, h: HeaderReader, o: CorsOptions | undefined): HandlerReply | undefined {
  if (!o || method !== 'OPTIONS' || !h.get('access-control-request-method')) return undefined
  const base = corsFields(h, o)
  if (!base['access-control-allow-origin']) return { status: 403, headers: {} }
  return {
    status: 204,
    headers: {
      ...base,
      'access-control-allow-methods': METHODS,
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-max-age': String(o.maxAgeSeconds ?? 600),
    },
  }
}
