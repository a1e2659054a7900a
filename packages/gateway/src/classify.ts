/**
 * Which requests are resumable uploads for the gateway. Everything else (no protocol field, or an interop version it
 * does not speak; any `Tus-Resumable` is tus's, answered 412 when it is not 1.0.0) goes to the backend unchanged: unlike NIOResumableUpload, which answers 400 to any version but 3, 5
 * and 6, an unknown version is the backend's business.
 */
import { type Codec, codecs, Field, readInteger } from '@rufh/protocol'

type Headers = Record<string, string | string[] | undefined>

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v
}

/** Protocol fields a browser's CORS preflight may ask about. */
const PREFLIGHT = /(^|,)\s*(upload-[a-z-]+|tus-resumable)\s*(,|$)/i

export function isResumable(
  path: string,
  method: string,
  headers: Headers,
  uploadPath: string,
  available: readonly Codec[] = codecs,
): boolean {
  // Upload resources are the gateway's own: whatever comes there is answered by the protocol (404, 405, ...).
  const pathname = path.split('?', 1)[0] ?? '/'
  if (pathname.startsWith(uploadPath) || path === '*') return true
  const interop = one(headers[Field.interopVersion])
  if (interop !== undefined) {
    const v = readInteger(interop)
    return v !== undefined && available.some((c) => c.interop === v)
  }
  // tus 1.0 §Tus-Resumable: a version the server does not speak MUST get 412 with Tus-Version, which the core answers.
  if (headers['tus-resumable'] !== undefined) return true
  if (method === 'OPTIONS' && headers['origin'] !== undefined) {
    const asked = one(headers['access-control-request-headers'])
    return asked !== undefined && PREFLIGHT.test(asked)
  }
  return false
}
