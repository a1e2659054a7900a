/** Validates a persisted record (files and localStorage are untrusted: older versions, hand edits, other apps). */
import type { KnownVersion, StoredUpload } from '../core/types.js'

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
  const str = (x: unknown): x is string => typeof x === 'string'
  if (!str(r['url']) || !str(r['endpoint']) || !str(r['protocol']) || !int(r['createdAt'])) return undefined
  if (r['size'] !== undefined && r['size'] !== null && !int(r['size'])) return undefined
  if (r['expiresAt'] !== undefined && r['expiresAt'] !== null && !int(r['expiresAt'])) return undefined
  return {
    url: r['url'],
    endpoint: r['endpoint'],
    protocol: r['protocol'],
    createdAt: r['createdAt'] as number,
    size: (r['size'] as number | null | undefined) ?? undefined,
    expiresAt: (r['expiresAt'] as number | null | undefined) ?? undefined,
  }
}

/** Validates a remembered version record (`{ protocol, checkedAt }`). */
export function parseKnownVersion(text: string): KnownVersion | undefined {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof v !== 'object' || v === null) return undefined
  const r = v as Record<string, unknown>
  const at = r['checkedAt']
  if (typeof r['protocol'] !== 'string' || typeof at !== 'number' || !Number.isInteger(at) || at < 0) return undefined
  return { protocol: r['protocol'], checkedAt: at }
}
