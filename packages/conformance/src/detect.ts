/**
 * Before any check: is the URL reachable, does it speak HTTP, and which interop versions does it support? A version
 * is supported when a creation request naming it gets a 104 with a matching `Upload-Draft-Interop-Version` and a
 * `Location`, or (for servers that send no 104) a 2xx with `Location`.
 */
import { type ExchangeResult, exchange, header } from '@rufh/wire'
import { firstLocation } from './context.js'
import { Dialect, defaultDraft } from './dialect.js'
import { ConformanceError } from './types.js'

export interface Detection {
  interop: number
  supported: boolean
  by?: '104' | 'final'
  detail: string
}

export async function probeReachable(url: URL, timeoutMs: number): Promise<ExchangeResult> {
  const ex = await exchange(url, { method: 'OPTIONS' }, { timeoutMs })
  if (ex.error && !ex.final) {
    const e = ex.error
    if (e.code === 'PARSE') throw new ConformanceError(`${url.href} does not answer with HTTP/1.1: ${e.message}`)
    if (e.code === 'TIMEOUT') throw new ConformanceError(`${url.href} did not answer within ${timeoutMs} ms`)
    throw new ConformanceError(`cannot reach ${url.href}: ${e.message}`)
  }
  return ex
}

export async function detectVersion(url: URL, interop: number, timeoutMs: number): Promise<Detection> {
  const d = new Dialect(interop, defaultDraft(interop))
  const ex = await exchange(url, { method: 'POST', headers: d.creationFields({ complete: false }) }, { timeoutMs })
  if (ex.error?.code === 'PARSE') throw new ConformanceError(`${url.href} answers nonsense: ${ex.error.message}`)
  const loc = firstLocation(ex)
  const matching104 = ex.interim.some(
    (r) => r.status === 104 && header(r, 'upload-draft-interop-version')?.trim() === String(interop),
  )
  const f = ex.final
  const ok2xx = f !== undefined && f.status >= 200 && f.status < 300 && header(f, 'location') !== undefined
  if (loc) await cleanup(url, loc, d, timeoutMs)
  if (matching104 && loc) return { interop, supported: true, by: '104', detail: 'a 104 with Location' }
  if (ok2xx) return { interop, supported: true, by: 'final', detail: `${f.status} with Location, no 104` }
  const got = f ? `${f.status} ${f.reason}` : (ex.error?.message ?? 'no response')
  return { interop, supported: false, detail: `creation answered ${got}` }
}

async function cleanup(base: URL, location: string, d: Dialect, timeoutMs: number): Promise<void> {
  let u: URL
  try {
    u = new URL(location, base)
  } catch {
    return
  }
  if (u.origin !== base.origin) return
  await exchange(u, { method: 'DELETE', headers: d.requestFields() }, { timeoutMs })
}
