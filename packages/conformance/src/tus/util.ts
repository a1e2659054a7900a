/** Helpers shared by the tus check files: sources, status expectations, and field readers. */
import type { ExchangeResult, RawResponse } from '@rufh/wire'
import { header } from '@rufh/wire'
import { describe } from '../context.js'
import type { Source } from '../types.js'
import type { TusContext } from './context.js'

/** A section of tus 1.0.0 (https://tus.io/protocols/resumable-upload), by its heading path. */
export function tus(section: string): Source {
  return { draft: 'tus 1.0.0', section }
}

export const S = {
  resumable: tus('Core Protocol: Tus-Resumable'),
  version: tus('Core Protocol: Tus-Version'),
  extension: tus('Core Protocol: Tus-Extension'),
  maxSize: tus('Core Protocol: Tus-Max-Size'),
  override: tus('Core Protocol: X-HTTP-Method-Override'),
  head: tus('Core Protocol: HEAD'),
  patch: tus('Core Protocol: PATCH'),
  options: tus('Core Protocol: OPTIONS'),
  creation: tus('Creation: POST'),
  metadata: tus('Creation: Upload-Metadata'),
  deferLength: tus('Creation: Upload-Defer-Length'),
  withUpload: tus('Creation With Upload'),
  expires: tus('Expiration: Upload-Expires'),
  checksum: tus('Checksum'),
  checksumAlgorithm: tus('Checksum: Tus-Checksum-Algorithm'),
  uploadChecksum: tus('Checksum: Upload-Checksum'),
  termination: tus('Termination: DELETE'),
  concatenation: tus('Concatenation'),
  concat: tus('Concatenation: Upload-Concat'),
} as const

/** Fails unless the exchange ended with one of `statuses`; returns the response. */
export function expectStatus(ctx: TusContext, ex: ExchangeResult, statuses: number[], what: string): RawResponse {
  const f = ex.final
  if (!f || !statuses.includes(f.status))
    throw ctx.fail(`${what}: expected ${statuses.join(' or ')}, got ${describe(ex)}`, ex)
  return f
}

/** Fails unless the exchange ended with a rejection (4xx). */
export function expectRejected(ctx: TusContext, ex: ExchangeResult, what: string): RawResponse {
  const f = ex.final
  if (!f || f.status < 400 || f.status > 499)
    throw ctx.fail(`${what}: expected a 4xx rejection, got ${describe(ex)}`, ex)
  return f
}

/** A successful PATCH: 204 with `Upload-Offset` equal to `expected`. */
export function expectAppended(ctx: TusContext, ex: ExchangeResult, expected: number, what: string): void {
  const f = expectStatus(ctx, ex, [204], what)
  const got = header(f, 'upload-offset')
  ctx.assert(got?.trim() === String(expected), `${what}: Upload-Offset ${got ?? '(none)'}, expected ${expected}`, ex)
}

/** Upload-Metadata as key → base64 value ('' for a key without value); undefined when it is not well-formed. */
export function metadataPairs(raw: string | undefined): Map<string, string> | undefined {
  if (raw === undefined) return undefined
  const out = new Map<string, string>()
  for (const pair of raw.split(',')) {
    const [key, value = '', extra] = pair.trim().split(/ +/)
    if (!key || extra !== undefined || out.has(key)) return undefined
    out.set(key, value)
  }
  return out
}

export function b64(s: string): string {
  return Buffer.from(s).toString('base64')
}
