/** tus `Upload-Metadata`: comma-separated `key base64value` pairs, the value optional (tus 1.0 §creation). */
import { InvalidFieldError } from './errors.js'

const KEY = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const B64 = /^[A-Za-z0-9+/]*={0,2}$/
const MAX = 4096

export function parseTusMetadata(raw: string | null | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (raw === null || raw === undefined || raw.trim() === '') return out
  if (raw.length > MAX) throw new InvalidFieldError('upload-metadata', `Upload-Metadata is longer than ${MAX} bytes`)
  for (const pair of raw.split(',')) {
    const [key, value, extra] = pair.trim().split(/ +/)
    if (
      !key ||
      !KEY.test(key) ||
      extra !== undefined ||
      (value !== undefined && (!B64.test(value) || value.length % 4))
    )
      throw new InvalidFieldError('upload-metadata', `invalid Upload-Metadata pair '${pair.trim().slice(0, 64)}'`)
    if (Object.hasOwn(out, key))
      throw new InvalidFieldError('upload-metadata', `duplicate Upload-Metadata key '${key}'`)
    out[key] = value === undefined ? '' : decodeBase64(value)
  }
  return out
}

export function formatTusMetadata(m: Record<string, string>): string {
  return Object.entries(m)
    .filter(([k]) => KEY.test(k))
    .map(([k, v]) => (v === '' ? k : `${k} ${encodeBase64(v)}`))
    .join(',')
}

function decodeBase64(b64: string): string {
  const bin = atob(b64)
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0))
  return new TextDecoder().decode(bytes)
}

function encodeBase64(s: string): string {
  const bytes = new TextEncoder().encode(s)
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin)
}
