/**
 * Metadata of the representation from a creation request: `Content-Type` and `Content-Disposition` (draft-11 §4.2),
 * stored under the keys tusd uses for them (`filetype`, `filename`), so that both protocols see one set. Values are
 * untrusted input (draft-08 §12): cut to 255 characters, never interpreted.
 */
import { Field, type HeaderReader, PARTIAL_UPLOAD } from './fields.js'

export function representationMetadata(h: HeaderReader): Record<string, string> {
  const m: Record<string, string> = {}
  const ct = h.get(Field.contentType)
  // tus-js-client's draft modes put the append media type on creation too: it says nothing about the representation.
  const type = ct?.split(';', 1)[0]?.trim().toLowerCase()
  if (ct && type !== PARTIAL_UPLOAD && type !== 'application/offset+octet-stream') m['filetype'] = ct.slice(0, 255)
  const cd = h.get(Field.contentDisposition)
  const name = cd ? filenameOf(cd) : undefined
  if (name) m['filename'] = name
  return m
}

function filenameOf(cd: string): string | undefined {
  const ext = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(cd)
  if (ext?.[1]) {
    try {
      return decodeURIComponent(ext[1].trim()).slice(0, 255)
    } catch {
      // fall through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/.exec(cd)
  const v = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2]
  return v?.slice(0, 255)
}
