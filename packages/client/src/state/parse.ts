/** Validates a persisted record (files and localStorage are untrusted: older versions, hand edits, other apps). */
import type { StoredUpload } from '../core/types.js'

export function parseStored(text: string): StoredUpload | undefined {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof v !== 'object' || v === null) return undefined
  const r = v as Record<string, unknown>
  const int = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0
  if (typeof r['url'] !== 'string' || typeof r['endpoint'] !== 'string' || !int(r['interop']) || !int(r['createdAt']))
    return undefined
  if (r['size'] !== undefined && r['size'] !== null && !int(r['size'])) return undefined
  if (r['expiresAt'] !== undefined && r['expiresAt'] !== null && !int(r['expiresAt'])) return undefined
  return {
    url: r['url'],
    endpoint: r['endpoint'],
    interop: r['interop'] as number,
    createdAt: r['createdAt'] as number,
    size: (r['size'] as number | null | undefined) ?? undefined,
    expiresAt: (r['expiresAt'] as number | null | undefined) ?? undefined,
  }
}
