/** A request body as one Blob, for transports that need a whole body (XHR, fetch). Blob-backed bodies are not read. */
import type { Body } from '../core/types.js'

export async function bodyBlob(body: Body): Promise<Blob> {
  if (body.blob) return body.blob()
  const parts: Uint8Array<ArrayBuffer>[] = []
  for await (const c of body.chunks()) parts.push(c as Uint8Array<ArrayBuffer>)
  return new Blob(parts)
}

/** `Headers`-like access over a fetch `Headers` or a raw header block. */
export function rawHeaderReader(raw: string): { get(name: string): string | null } {
  const map = new Map<string, string>()
  for (const line of raw.split(/\r?\n/)) {
    const i = line.indexOf(':')
    if (i <= 0) continue
    const k = line.slice(0, i).trim().toLowerCase()
    const v = line.slice(i + 1).trim()
    map.set(k, map.has(k) ? `${map.get(k)}, ${v}` : v)
  }
  return { get: (name) => map.get(name.toLowerCase()) ?? null }
}
