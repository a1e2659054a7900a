/**
 * An in-memory resumable-upload server behind the `Transport` interface, built from the protocol codecs' server side.
 * It lets the core be tested without sockets, with faults placed exactly: cut a body after N bytes, answer one request
 * with a chosen status, speak only some interop versions, apply limits.
 */
import {
  type Codec,
  CompletedUploadError,
  codecFor,
  type Fields,
  type HeaderReader,
  LimitError,
  type Limits,
  newestCodec,
  OffsetMismatchError,
  type RufhError,
  readInteger,
  UnsupportedVersionError,
  UploadNotFoundError,
} from '@rufh/protocol'
import type { Transport, TransportRequest, TransportResponse } from '../core/types.js'
import { NetworkError } from '../errors.js'

export interface FakeUpload {
  bytes: Uint8Array[]
  offset: number
  complete: boolean
  length: number | undefined
}

export interface Logged {
  method: string
  url: string
  headers: Record<string, string>
  status: number
  bodySize: number
}

export interface FakeOptions {
  /** Whether the transport shows 104s (Node) or not (browsers). */
  interim?: boolean
  /** Interop versions spoken; others are refused like a rufh server does (400 + `supported`). */
  versions?: number[]
  /** Refuse unknown versions without saying which are supported (like a non-rufh server). */
  silentRefusal?: boolean
  /**
   * Serve requests naming a version not in `versions` as ordinary ones (the drafts' server without support: no 104, a
   * plain 2xx, no upload resource); their content is counted in `plainBytes`.
   */
  plainUnknown?: boolean
  limits?: Limits
  /** Announce limits in responses (false: enforce silently, for 413 tests). */
  announceLimits?: boolean
  /** Called before each request is served; return a response to short-circuit, or throw to fail it. */
  intercept?: (req: TransportRequest, n: number) => TransportResponse | undefined
  /** Cut the body of request number `n` (0-based) after `bytes` bytes (the server keeps what it got). */
  cut?: Map<number, number>
  /** Milliseconds to wait per body chunk (to make pauses land mid-request). */
  chunkDelay?: number
  /** Serve request number `n` fully, then lose its response (the transport fails as if the connection broke). */
  loseResponse?: Set<number>
  /** Offset retrievals leave out `Upload-Complete` and `Upload-Length` (optional after -12: PR #3493). */
  retrievalOmitsCompletion?: boolean
  /** Refuse appends to a completed upload (the drafts' rule) instead of taking them. */
  refuseCompleted?: boolean
}

const base = 'http://fake.test/files/'

function reader(h: Record<string, string>): HeaderReader {
  return { get: (n) => h[n.toLowerCase()] ?? null }
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.byteLength
  }
  return out
}

export class FakeServer implements Transport {
  readonly interim: boolean
  readonly uploads = new Map<string, FakeUpload>()
  readonly log: Logged[] = []
  readonly endpoint = base
  /** Content taken by ordinary (not resumable) requests. */
  plainBytes = 0
  private next = 1
  private n = 0

  constructor(private readonly o: FakeOptions = {}) {
    this.interim = o.interim ?? true
  }

  bytesOf(url: string): Uint8Array {
    return join(this.uploads.get(url)?.bytes ?? [])
  }

  private limits(): Limits {
    return this.o.announceLimits === false ? {} : (this.o.limits ?? {})
  }

  async request(req: TransportRequest): Promise<TransportResponse> {
    const n = this.n++
    const entry: Logged = {
      method: req.method,
      url: req.url,
      headers: req.headers,
      status: 0,
      bodySize: req.body?.size ?? 0,
    }
    this.log.push(entry)
    const intercepted = this.o.intercept?.(req, n)
    if (intercepted) {
      entry.status = intercepted.status
      return intercepted
    }
    const res = await this.serve(req, n)
    entry.status = res.status
    if (this.o.loseResponse?.has(n)) throw new NetworkError('fake: response lost')
    return res
  }

  private reply(status: number, headers: Fields, body = ''): TransportResponse {
    return { status, headers: reader(headers), body }
  }

  private fail(codec: Codec, err: RufhError, procedure: Parameters<Codec['failure']>[1], up?: FakeUpload) {
    const view = up && { offset: up.offset, length: up.length, complete: up.complete, expiresAt: undefined }
    const r = codec.failure(err, procedure, { limits: this.limits(), now: Date.now() }, view)
    return this.reply(r.status, r.headers, r.body)
  }

  private async serve(req: TransportRequest, n: number): Promise<TransportResponse> {
    const h = reader({ ...req.headers, 'content-length': String(req.body?.size ?? 0) })
    let codec: Codec
    let interimAllowed: boolean
    try {
      const raw = h.get('upload-draft-interop-version')
      const v = readInteger(raw)
      const found = raw == null ? newestCodec : v === undefined ? undefined : codecFor(v)
      if (!found || (this.o.versions && !this.o.versions.includes(found.interop)))
        throw new UnsupportedVersionError(String(raw), this.o.versions ?? [3, 4, 5, 6, 7, 8, 9, 10])
      codec = found
      interimAllowed = raw != null
    } catch (e) {
      if (this.o.plainUnknown) return this.plain(req)
      if (this.o.silentRefusal) return this.reply(400, {})
      return this.fail(newestCodec, e as RufhError, 'creation')
    }
    const ctx = { limits: this.limits(), now: Date.now() }
    const interim = (fields: Fields) => {
      if (this.interim && interimAllowed) req.onInterim?.(104, reader(fields))
    }
    if (req.url === base) {
      if (req.method === 'OPTIONS') {
        const r = codec.discovery(ctx)
        return this.reply(r.status, r.headers)
      }
      const c = codec.readCreation(h)
      if (!c) return this.reply(200, {}, 'plain upload')
      const size = req.body?.size ?? 0
      const max = this.o.limits?.maxAppendSize
      if (codec.appendLimitsBindCreation && max !== undefined && size > max)
        return this.fail(codec, new LimitError('max-append-size', size, max), 'creation')
      const url = `${base}${this.next++}`
      const up: FakeUpload = { bytes: [], offset: 0, complete: false, length: c.length }
      this.uploads.set(url, up)
      interim(codec.announce(url, { offset: 0, length: c.length, complete: false, expiresAt: undefined }, ctx))
      await this.take(req, n, up, codec, interim)
      up.complete = c.complete
      if (c.complete) up.length = up.offset
      const r = codec.created(url, { ...up, expiresAt: undefined }, ctx)
      return this.reply(r.status, r.headers)
    }
    const up = this.uploads.get(req.url)
    if (!up) return this.fail(codec, new UploadNotFoundError(), 'append')
    if (req.method === 'HEAD' || req.method === 'GET') {
      const r = codec.retrieved({ ...up, expiresAt: undefined }, ctx)
      if (this.o.retrievalOmitsCompletion) {
        delete r.headers['upload-complete']
        delete r.headers['upload-length']
      }
      return this.reply(r.status, r.headers)
    }
    if (req.method === 'DELETE') {
      this.uploads.delete(req.url)
      const r = codec.cancelled()
      return this.reply(r.status, r.headers)
    }
    let a: ReturnType<Codec['readAppend']>
    try {
      a = codec.readAppend(h)
      if (up.complete && this.o.refuseCompleted) throw new CompletedUploadError(a.contentLength === 0)
      if (a.offset !== up.offset) throw new OffsetMismatchError(up.offset, a.offset)
      const max = this.o.limits?.maxAppendSize
      if (max !== undefined && (a.contentLength ?? 0) > max)
        throw new LimitError('max-append-size', a.contentLength!, max)
    } catch (e) {
      return this.fail(codec, e as RufhError, 'append', up)
    }
    await this.take(req, n, up, codec, interim)
    if (a.complete) {
      up.complete = true
      up.length = up.offset
    }
    const r = codec.appended({ ...up, expiresAt: undefined }, ctx)
    return this.reply(r.status, r.headers)
  }

  /** An ordinary request: the body is taken, and a creation answered 201 without `Location`. */
  private async plain(req: TransportRequest): Promise<TransportResponse> {
    for await (const chunk of req.body?.chunks() ?? []) this.plainBytes += chunk.byteLength
    return req.method === 'OPTIONS' ? this.reply(204, {}) : this.reply(201, {}, 'stored')
  }

  /** Reads the body into the upload, sending progress 104s; a cut keeps the bytes received and fails the request. */
  private async take(
    req: TransportRequest,
    n: number,
    up: FakeUpload,
    codec: Codec,
    interim: (f: Fields) => void,
  ): Promise<void> {
    if (!req.body) return
    const cut = this.o.cut?.get(n)
    let got = 0
    for await (const chunk of req.body.chunks()) {
      if (req.signal.aborted) throw req.signal.reason
      if (this.o.chunkDelay) await new Promise((r) => setTimeout(r, this.o.chunkDelay))
      if (req.signal.aborted) throw req.signal.reason
      const room = cut === undefined ? chunk.byteLength : Math.min(chunk.byteLength, cut - got)
      if (room > 0) {
        up.bytes.push(chunk.slice(0, room))
        up.offset += room
        got += room
        req.onProgress?.(got)
      }
      if (cut !== undefined && got >= cut) throw new NetworkError(`fake: connection cut after ${cut} bytes`)
      if (codec.progressInterim) interim(codec.progress(up.offset))
    }
  }
}
