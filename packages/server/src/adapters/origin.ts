/**
 * The origin used in `Location`: the request's own scheme and Host, or — only when the proxy in front is trusted —
 * `Forwarded` (RFC 7239) or `X-Forwarded-Proto`/`X-Forwarded-Host`. Off by default: a client must not be able to
 * make the server announce another host.
 */
import type { IncomingMessage } from 'node:http'
import type { Http2ServerRequest } from 'node:http2'
import type { TLSSocket } from 'node:tls'

const HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/

function first(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v
  return s?.split(',')[0]?.trim() || undefined
}

function forwarded(req: IncomingMessage | Http2ServerRequest): { proto?: string; host?: string } {
  const f = first(req.headers['forwarded'])
  if (f) {
    const out: { proto?: string; host?: string } = {}
    for (const part of f.split(';')) {
      const [k, v] = part.split('=', 2).map((s) => s.trim())
      const val = v?.replace(/^"(.*)"$/, '$1')
      if (k?.toLowerCase() === 'proto' && val) out.proto = val.toLowerCase()
      if (k?.toLowerCase() === 'host' && val) out.host = val
    }
    return out
  }
  const proto = first(req.headers['x-forwarded-proto'])?.toLowerCase()
  const host = first(req.headers['x-forwarded-host'])
  return { ...(proto ? { proto } : {}), ...(host ? { host } : {}) }
}

/** `scheme://host[:port]`, or undefined when the host is missing or malformed. */
export function requestOrigin(req: IncomingMessage | Http2ServerRequest, trustProxy: boolean): string | undefined {
  const encrypted = (req.socket as TLSSocket | undefined)?.encrypted === true
  let proto = encrypted ? 'https' : 'http'
  let host = first(req.headers[':authority']) ?? first(req.headers.host)
  if (trustProxy) {
    const f = forwarded(req)
    if (f.proto === 'http' || f.proto === 'https') proto = f.proto
    if (f.host) host = f.host
  }
  if (!host || !HOST.test(host)) return undefined
  const port = /:(\d+)$/.exec(host)?.[1]
  if (port !== undefined && Number(port) > 65535) return undefined
  // The WHATWG parser is stricter than the pattern (e.g. IPv6 forms): what it cannot read is no origin either.
  try {
    new URL(`${proto}://${host}`)
    return `${proto}://${host}`
  } catch {
    return undefined
  }
}
