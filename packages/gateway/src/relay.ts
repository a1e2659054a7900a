/**
 * The completing response: the backend's status, fields and body, with the protocol's fields from the core's own
 * answer laid over them (`Upload-*`, `Tus-*`, `Location` of a creation, CORS), so that every client version still
 * reads the upload's state from it. A backend `Location` on a creation yields to the upload's (draft-10 §4.2: every
 * response of a creation carries the same `Location`); it stays in the kept response.
 */
import type { HandlerReply } from '@rufh/server'
import { withoutHopByHop } from './head.js'
import type { BackendResponse } from './journal.js'

function isProtocolReplyField(name: string): boolean {
  return (
    name.startsWith('upload-') || name.startsWith('tus-') || name.startsWith('access-control-') || name === 'location'
  )
}

/** `protocol`: the core's 2xx answer to the completing request, or undefined to relay the backend's answer alone. */
export function relayed(r: BackendResponse, protocol?: HandlerReply): HandlerReply {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(withoutHopByHop(r.headers))) {
    if (k === 'content-length') continue
    // node:http writes an array as repeated fields (Set-Cookie cannot be joined with commas).
    headers[k] = v as string
  }
  if (protocol) for (const [k, v] of Object.entries(protocol.headers)) if (isProtocolReplyField(k)) headers[k] = v
  const body = r.body
  if (body.length === 0 || r.status === 204 || r.status === 304) return { status: r.status, headers }
  headers['content-length'] = String(body.length)
  return {
    status: r.status,
    headers,
    stream: (async function* () {
      yield body
    })(),
  }
}
