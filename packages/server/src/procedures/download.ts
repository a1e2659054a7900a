/**
 * GET on a completed upload serves its bytes, with single-range `Range` support (RFC 9110 §14). Only a whitelist of
 * media types is served inline; everything else is an attachment of type application/octet-stream, so an uploaded
 * HTML or SVG file can never run script in the server's origin.
 */
import { NotReadyError, RangeNotSatisfiableError, type Selection } from '@rufh/protocol'
import type { Ctx } from '../context.js'
import { assertUsable } from '../rules/upload-rules.js'
import { refuseUnsupportedVersion } from '../rules/versions.js'
import { isReadable } from '../stores/store.js'
import type { HandlerReply, UploadRequest } from '../types.js'
import { needsSettling, settle } from './settle.js'

const INLINE = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'audio/mpeg',
  'audio/ogg',
  'audio/wav',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'text/plain',
  'application/pdf',
])

export async function download(ctx: Ctx, req: UploadRequest, id: string, sel?: Selection): Promise<HandlerReply> {
  // A GET naming a version we do not speak may be that version's offset retrieval: refused like one.
  if (sel) refuseUnsupportedVersion(sel)
  const { store } = ctx.cfg
  let info = await store.get(id)
  if (needsSettling(info)) {
    const lease = await ctx.cfg.locker.acquire(id, { timeoutMs: ctx.cfg.lockTimeoutMs })
    try {
      info = await settle(ctx, await store.get(id), req)
    } finally {
      await lease.release()
    }
  }
  assertUsable(info)
  if (!info.complete) throw new NotReadyError('the upload is not complete yet')
  if (!isReadable(store)) throw new NotReadyError('this store cannot serve uploads')
  const size = info.offset
  const type = info.metadata['filetype']?.split(';', 1)[0]?.trim().toLowerCase()
  const inline = type !== undefined && INLINE.has(type)
  const headers: Record<string, string> = {
    'content-type': inline ? type : 'application/octet-stream',
    'content-disposition': disposition(inline ? 'inline' : 'attachment', info.metadata['filename']),
    'x-content-type-options': 'nosniff',
    'accept-ranges': 'bytes',
  }
  const range = parseRange(req.headers.get('range') ?? undefined, size)
  if (range === 'unsatisfiable') throw new RangeNotSatisfiableError(size)
  const [start, end] = range ?? [0, size]
  headers['content-length'] = String(end - start)
  if (range) headers['content-range'] = `bytes ${start}-${end - 1}/${size}`
  return {
    status: range ? 206 : 200,
    headers,
    ...(req.method === 'HEAD' ? {} : { stream: store.read(id, start, end) }),
  }
}

/** RFC 6266: an ASCII fallback and the UTF-8 name. */
function disposition(kind: string, filename: string | undefined): string {
  if (!filename) return kind
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`
}

/** One `bytes=` range as [start, end); undefined = serve everything; several ranges are served whole. */
function parseRange(h: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  if (!h) return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim())
  if (!m || (m[1] === '' && m[2] === '')) return undefined
  if (m[1] === '') {
    const n = Number(m[2])
    if (n === 0) return 'unsatisfiable'
    return [Math.max(0, size - n), size]
  }
  const start = Number(m[1])
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (start >= size || last < start) return 'unsatisfiable'
  return [start, last + 1]
}
