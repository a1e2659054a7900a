/**
 * What the page remembers in localStorage. Unfinished uploads are the browser client's own records (`rufh:` keys,
 * `<endpoint> file:<name>:<size>:<type>:<lastModified>`, see @rufh/client's BlobSource): the page only lists them, the
 * client resumes one when the same file is chosen again. Finished uploads are the page's own list (`rufh-ui:`).
 */

export interface Unfinished {
  key: string
  name: string
  size: number
  url: string
}

export interface Finished {
  name: string
  size: number
  url: string
  protocol: string
  at: number
}

const CLIENT_PREFIX = 'rufh:'
const FINISHED_KEY = 'rufh-ui:finished'
const MAX_FINISHED = 50

/** The client's records of unfinished uploads to `endpoint` (absolute URL), newest first. */
export function unfinished(endpoint: string): Unfinished[] {
  const out: (Unfinished & { createdAt: number })[] = []
  const prefix = `${CLIENT_PREFIX}${endpoint} file:`
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i)
    if (!key?.startsWith(prefix)) continue
    // name:size:type:lastModified — the name may hold colons, the other three cannot.
    const parts = key.slice(prefix.length).split(':')
    if (parts.length < 4) continue
    const size = Number(parts[parts.length - 3])
    const name = parts.slice(0, -3).join(':')
    try {
      const rec = JSON.parse(localStorage.getItem(key) ?? '') as { url?: unknown; createdAt?: unknown }
      if (typeof rec.url !== 'string' || !Number.isFinite(size)) continue
      out.push({ key, name, size, url: rec.url, createdAt: Number(rec.createdAt) || 0 })
    } catch {}
  }
  return out.sort((a, b) => b.createdAt - a.createdAt)
}

export function forget(key: string): void {
  localStorage.removeItem(key)
}

export function finished(): Finished[] {
  try {
    const v = JSON.parse(localStorage.getItem(FINISHED_KEY) ?? '[]') as unknown
    if (!Array.isArray(v)) return []
    return v.filter(
      (f): f is Finished =>
        typeof f === 'object' &&
        f !== null &&
        typeof f.name === 'string' &&
        typeof f.url === 'string' &&
        typeof f.size === 'number' &&
        typeof f.protocol === 'string',
    )
  } catch {
    return []
  }
}

export function addFinished(f: Finished): void {
  const list = [f, ...finished().filter((x) => x.url !== f.url)].slice(0, MAX_FINISHED)
  try {
    localStorage.setItem(FINISHED_KEY, JSON.stringify(list))
  } catch {}
}

export function clearFinished(): void {
  localStorage.removeItem(FINISHED_KEY)
}
