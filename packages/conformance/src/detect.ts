/**
 * Before any check: is the URL reachable, does it speak HTTP, and which protocols does it support? An IETF interop
 * version is supported when a creation request naming it gets a 104 with a matching `Upload-Draft-Interop-Version`
 * and a `Location`, or (for servers that send no 104) a 2xx with `Location`. tus 1.0.0 is supported when the OPTIONS
 * request of the reachability probe (which names no protocol, as tus clients send it) is answered 200/204 with a
 * `Tus-Version` listing 1.0.0; its `Tus-Extension`, `Tus-Max-Size` and `Tus-Checksum-Algorithm` say what to test.
 */
import type { ConnectionOptions } from 'node:tls'
import { type ExchangeResult, exchange, header } from '@rufh/wire'
import { describe, firstLocation } from './context.js'
import { Dialect, defaultDraft } from './dialect.js'
import { type TusServer, tusList, tusNumber } from './tus/context.js'
import { ConformanceError } from './types.js'

export interface Detection {
  interop: number
  supported: boolean
  by?: '104' | 'final'
  detail: string
}

export async function probeReachable(url: URL, timeoutMs: number, tls?: ConnectionOptions): Promise<ExchangeResult> {
  const ex = await exchange(url, { method: 'OPTIONS' }, { timeoutMs, ...(tls ? { tls } : {}) })
  if (ex.error && !ex.final) {
    const e = ex.error
    if (e.code === 'PARSE') throw new ConformanceError(`${url.href} does not answer with HTTP/1.1: ${e.message}`)
    if (e.code === 'TIMEOUT') throw new ConformanceError(`${url.href} did not answer within ${timeoutMs} ms`)
    throw new ConformanceError(`cannot reach ${url.href}: ${e.message}`)
  }
  return ex
}

export async function detectVersion(
  url: URL,
  interop: number,
  timeoutMs: number,
  tls?: ConnectionOptions,
): Promise<Detection> {
  const d = new Dialect(interop, defaultDraft(interop))
  const ex = await exchange(
    url,
    { method: 'POST', headers: d.creationFields({ complete: false }) },
    { timeoutMs, ...(tls ? { tls } : {}) },
  )
  if (ex.error?.code === 'PARSE') throw new ConformanceError(`${url.href} answers nonsense: ${ex.error.message}`)
  const loc = firstLocation(ex)
  const matching104 = ex.interim.some(
    (r) => r.status === 104 && header(r, 'upload-draft-interop-version')?.trim() === String(interop),
  )
  const f = ex.final
  const ok2xx = f !== undefined && f.status >= 200 && f.status < 300 && header(f, 'location') !== undefined
  if (loc) await cleanup(url, loc, d, timeoutMs, tls)
  if (matching104 && loc) return { interop, supported: true, by: '104', detail: 'a 104 with Location' }
  if (ok2xx) return { interop, supported: true, by: 'final', detail: `${f.status} with Location, no 104` }
  const got = f ? `${f.status} ${f.reason}` : (ex.error?.message ?? 'no response')
  return { interop, supported: false, detail: `creation answered ${got}` }
}

async function cleanup(
  base: URL,
  location: string,
  d: Dialect,
  timeoutMs: number,
  tls: ConnectionOptions | undefined,
): Promise<void> {
  let u: URL
  try {
    u = new URL(location, base)
  } catch {
    return
  }
  if (u.origin !== base.origin) return
  await exchange(u, { method: 'DELETE', headers: d.requestFields() }, { timeoutMs, ...(tls ? { tls } : {}) })
}

export interface TusDetection {
  supported: boolean
  detail: string
  server?: TusServer
}

/** tus 1.0.0 from the answer to the reachability probe (OPTIONS on the target without protocol fields). */
export function detectTus(options: ExchangeResult): TusDetection {
  const f = options.final
  if (!f || (f.status !== 200 && f.status !== 204))
    return { supported: false, detail: `OPTIONS answered ${describe(options)}` }
  const raw = header(f, 'tus-version')
  if (!tusList(raw).includes('1.0.0'))
    return { supported: false, detail: raw === undefined ? 'OPTIONS has no Tus-Version' : `Tus-Version ${raw}` }
  const extensions = tusList(header(f, 'tus-extension')).filter(Boolean)
  const maxSize = tusNumber(header(f, 'tus-max-size'))
  const algorithms = header(f, 'tus-checksum-algorithm')
  return {
    supported: true,
    detail: `OPTIONS: Tus-Version ${raw}, Tus-Extension ${extensions.join(',') || '(none)'}`,
    server: {
      extensions,
      ...(maxSize !== undefined ? { maxSize } : {}),
      ...(algorithms !== undefined ? { checksumAlgorithms: tusList(algorithms) } : {}),
    },
  }
}
