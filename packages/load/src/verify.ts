/**
 * Integrity verification of completed uploads, by SHA-256. The expected digest is recomputed from the upload's seed
 * (payload.ts), so nothing is kept from the run but (URL, seed, size). Verifiers:
 *   get        GET the upload URL and hash the response content (servers that serve completed uploads: tusd,
 *              @tus/server, rufh once downloads land). Must answer 2xx with exactly the upload's bytes.
 *   dir:PATH   hash the file PATH/<id>, where <id> is the last path segment of the upload URL: a local `rufh serve
 *              --dir PATH` (its disk store keeps each upload's bytes in a file named by the id).
 *   none       no verification; completed uploads are reported as unverified.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import type { PayloadSource } from './payload.js'
import { download, type Target } from './procedures.js'

export type VerifySpec = { kind: 'get' } | { kind: 'dir'; path: string } | { kind: 'none' }

export interface Verifiable {
  url: URL | undefined
  seed: number
  size: number
}

export interface Verdict {
  /** undefined: not verified (`none`). */
  ok: boolean | undefined
  detail: string | undefined
  /** Bytes read back. */
  bytes: number
}

export class VerifySpecError extends Error {
  readonly code = 'ERR_VERIFY_SPEC'
}

export function parseVerify(text: string): VerifySpec {
  const t = text.trim()
  if (t === 'get') return { kind: 'get' }
  if (t === 'none') return { kind: 'none' }
  if (t.startsWith('dir:') && t.length > 4) return { kind: 'dir', path: t.slice(4) }
  throw new VerifySpecError(`invalid --verify '${text}' (get, dir:PATH, none)`)
}

export function describeVerify(v: VerifySpec): string {
  return v.kind === 'dir' ? `dir:${v.path}` : v.kind
}

/** The upload id as the disk store names it: the last non-empty path segment, if it is a plain file name. */
export function uploadIdOf(url: URL): string | undefined {
  const segments = url.pathname.split('/').filter(Boolean)
  const last = segments[segments.length - 1]
  if (!last) return undefined
  const id = decodeURIComponent(last)
  return /^[A-Za-z0-9._~-]+$/.test(id) && id !== '.' && id !== '..' ? id : undefined
}

export class Verifier {
  constructor(
    readonly spec: VerifySpec,
    private readonly payload: PayloadSource,
    private readonly target: Target,
  ) {}

  async verify(u: Verifiable): Promise<Verdict> {
    if (this.spec.kind === 'none') return { ok: undefined, detail: undefined, bytes: 0 }
    if (!u.url) return { ok: false, detail: 'the server never told the upload URL', bytes: 0 }
    const expected = await this.payload.digest(u.seed, u.size)
    const got = this.spec.kind === 'get' ? await this.viaGet(u.url) : await this.viaFile(this.spec.path, u.url)
    if (got.error) return { ok: false, detail: got.error, bytes: got.bytes }
    if (got.bytes !== u.size)
      return { ok: false, detail: `read back ${got.bytes} bytes, uploaded ${u.size}`, bytes: got.bytes }
    if (got.digest !== expected)
      return { ok: false, detail: `sha256 mismatch: stored ${got.digest}, sent ${expected}`, bytes: got.bytes }
    return { ok: true, detail: undefined, bytes: got.bytes }
  }

  private async viaGet(url: URL): Promise<{ digest?: string; bytes: number; error?: string }> {
    const h = createHash('sha256')
    const r = await download(this.target, url, (c) => h.update(c))
    if (r.status === 0) return { bytes: r.received, error: `GET ${url.pathname}: ${r.error}` }
    if (r.status < 200 || r.status > 299)
      return { bytes: r.received, error: `GET ${url.pathname}: HTTP ${r.status} (does the server serve uploads?)` }
    if (r.received === 0 && r.status === 204)
      return {
        bytes: 0,
        error: `GET ${url.pathname}: 204 without content: the server does not serve uploads over GET (try --verify dir:PATH)`,
      }
    return { digest: h.digest('hex'), bytes: r.received }
  }

  private async viaFile(dir: string, url: URL): Promise<{ digest?: string; bytes: number; error?: string }> {
    const id = uploadIdOf(url)
    if (!id) return { bytes: 0, error: `no upload id in ${url.href}` }
    const h = createHash('sha256')
    let bytes = 0
    try {
      for await (const c of createReadStream(join(dir, id)) as AsyncIterable<Buffer>) {
        h.update(c)
        bytes += c.length
      }
    } catch (e) {
      return { bytes, error: `reading ${join(dir, id)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }
    }
    return { digest: h.digest('hex'), bytes }
  }
}
