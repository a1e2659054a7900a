/** Test helper (not shipped): the requests of each procedure in a draft interop version or in tus, with extra fields. */
import { appendHeaders, completeness, type Result, send } from './index.js'

export type Extra = Record<string, string>

export interface Dialect {
  name: string
  /** Creation carrying `body`; `length` is the representation's (tus needs it; drafts ignore it). */
  create(target: string, body: string, length: number, complete: boolean, extra?: Extra): Promise<Result>
  append(url: string, offset: number, body: string, complete: boolean, extra?: Extra): Promise<Result>
  retrieve(url: string, extra?: Extra): Promise<Result>
  cancel(url: string, extra?: Extra): Promise<Result>
  download(url: string, extra?: Extra): Promise<Result>
  discover(target: string, extra?: Extra): Promise<Result>
  /** Whether a retrieval says the upload is complete (tus: undefined, it has no such field). */
  completeOf(r: Result): boolean | undefined
}

export function draft(interop: 6 | 8): Dialect {
  const v = { 'upload-draft-interop-version': String(interop) }
  return {
    name: `interop ${interop}`,
    create: (target, body, _length, complete, extra = {}) =>
      send(target, { method: 'POST', headers: { ...v, ...completeness(interop, complete), ...extra }, body }),
    append: (url, offset, body, complete, extra = {}) =>
      send(url, { method: 'PATCH', headers: { ...appendHeaders(interop, offset, complete), ...extra }, body }),
    retrieve: (url, extra = {}) => send(url, { method: 'HEAD', headers: { ...v, ...extra } }),
    cancel: (url, extra = {}) => send(url, { method: 'DELETE', headers: { ...v, ...extra } }),
    download: (url, extra = {}) => send(url, { method: 'GET', headers: extra }),
    discover: (target, extra = {}) => send(target, { method: 'OPTIONS', headers: { ...v, ...extra } }),
    completeOf: (r) => (r.headers['upload-complete'] === undefined ? undefined : r.headers['upload-complete'] === '?1'),
  }
}

const T = { 'tus-resumable': '1.0.0' }
const OCTETS = { 'content-type': 'application/offset+octet-stream' }

export const tus: Dialect = {
  name: 'tus',
  create: (target, body, length, _complete, extra = {}) =>
    send(target, {
      method: 'POST',
      headers: { ...T, 'upload-length': String(length), ...(body ? OCTETS : {}), ...extra },
      ...(body ? { body } : {}),
    }),
  append: (url, offset, body, _complete, extra = {}) =>
    send(url, { method: 'PATCH', headers: { ...T, ...OCTETS, 'upload-offset': String(offset), ...extra }, body }),
  retrieve: (url, extra = {}) => send(url, { method: 'HEAD', headers: { ...T, ...extra } }),
  cancel: (url, extra = {}) => send(url, { method: 'DELETE', headers: { ...T, ...extra } }),
  download: (url, extra = {}) => send(url, { method: 'GET', headers: { ...T, ...extra } }),
  discover: (target, extra = {}) => send(target, { method: 'OPTIONS', headers: { ...T, ...extra } }),
  completeOf: () => undefined,
}

export const DIALECTS: readonly Dialect[] = [draft(6), draft(8), tus]
