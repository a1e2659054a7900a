/**
 * What a tus 1.0.0 check works with: what the server advertised in OPTIONS (version, extensions, maximum size,
 * checksum algorithms) and the requests of tus (creation, PATCH, HEAD, DELETE), written from the tus 1.0.0 text, not
 * taken from `@rufh/protocol`'s tus codec, so that a bug shared by codec and server is not hidden.
 */
import { type BodyPlan, type ExchangeResult, header, type RawResponse } from '@rufh/wire'
import { describe } from '../context.js'
import { RequestContext, type RequestContextOptions } from '../request-context.js'

export const TUS_VERSION = '1.0.0'
export const OCTET_STREAM = 'application/offset+octet-stream'

/** What the server's OPTIONS response advertised. */
export interface TusServer {
  extensions: readonly string[]
  /** `Tus-Max-Size`, when advertised and well-formed. */
  maxSize?: number
  /** `Tus-Checksum-Algorithm`, when advertised. */
  checksumAlgorithms?: readonly string[]
}

export interface TusContextOptions extends RequestContextOptions {
  server: TusServer
}

export interface TusUpload {
  url: URL
  /** The offset after creation (bytes sent with it). */
  offset: number
  ex: ExchangeResult
}

/** What a HEAD response says about an upload. */
export interface TusState {
  ex: ExchangeResult
  res: RawResponse
  offset: number | undefined
  length: number | undefined
  deferred: boolean
  metadata: string | undefined
  concat: string | undefined
}

/** A tus number: a non-negative decimal integer, else undefined. */
export function tusNumber(v: string | undefined): number | undefined {
  const t = v?.trim()
  return t !== undefined && /^\d{1,15}$/.test(t) ? Number(t) : undefined
}

/** A comma-separated list (`Tus-Version`, `Tus-Extension`, `Tus-Checksum-Algorithm`), trimmed. */
export function tusList(v: string | undefined): string[] {
  return v === undefined ? [] : v.split(',').map((s) => s.trim())
}

export class TusContext extends RequestContext {
  constructor(readonly opts: TusContextOptions) {
    super(opts)
  }

  get server(): TusServer {
    return this.opts.server
  }

  /** Whether the server advertises `extension` in `Tus-Extension`. */
  has(extension: string): boolean {
    return this.opts.server.extensions.includes(extension)
  }

  /** Uploads are only cleaned up where the server advertises termination. */
  protected cleanupFields(): [string, string][] | undefined {
    return this.has('termination') ? this.fields() : undefined
  }

  /** `Tus-Resumable` (of `version`, default 1.0.0) and `extra`. */
  fields(extra: [string, string][] = [], version = TUS_VERSION): [string, string][] {
    return [['Tus-Resumable', version], ...extra]
  }

  /**
   * A creation request (POST to the target): `length` becomes `Upload-Length`, `'defer'` `Upload-Defer-Length: 1`,
   * `'none'` neither (final concatenation); a body is sent as `application/offset+octet-stream`.
   */
  async create(
    o: {
      length?: number | 'defer' | 'none'
      body?: Uint8Array
      metadata?: string
      concat?: string
      headers?: [string, string][]
      version?: string
      plan?: BodyPlan
    } = {},
  ): Promise<{ ex: ExchangeResult; location: URL | undefined }> {
    const length = o.length ?? o.body?.length ?? 0
    const extra: [string, string][] = []
    if (length === 'defer') extra.push(['Upload-Defer-Length', '1'])
    else if (length !== 'none') extra.push(['Upload-Length', String(length)])
    if (o.metadata !== undefined) extra.push(['Upload-Metadata', o.metadata])
    if (o.concat !== undefined) extra.push(['Upload-Concat', o.concat])
    if (o.body !== undefined && o.body.length > 0) extra.push(['Content-Type', OCTET_STREAM])
    const ex = await this.send('POST', this.target, {
      headers: [...this.fields(extra, o.version), ...(o.headers ?? [])],
      ...(o.body !== undefined ? { body: o.body } : {}),
      ...(o.plan ? { plan: o.plan } : {}),
    })
    const loc = ex.final ? header(ex.final, 'location') : undefined
    const location = loc === undefined ? undefined : this.resolve(loc, ex)
    if (location) this.track(location)
    return { ex, location }
  }

  /** Creates an upload (with `body` as its first content); fails unless answered 2xx with Location. */
  async upload(o: Parameters<TusContext['create']>[0] = {}): Promise<TusUpload> {
    const { ex, location } = await this.create(o)
    const f = ex.final
    if (!f || f.status < 200 || f.status > 299 || !location)
      throw this.fail(`could not create an upload: ${describe(ex)} (201 with Location was expected)`, ex)
    return { url: location, offset: o.body?.length ?? 0, ex }
  }

  async patch(
    u: URL,
    o: {
      offset: number | string
      body: Uint8Array
      /** `null` leaves out Content-Type (default: application/offset+octet-stream). */
      contentType?: string | null
      headers?: [string, string][]
      version?: string
      plan?: BodyPlan
      /** Sent as POST with `X-HTTP-Method-Override: PATCH`. */
      override?: boolean
    },
  ): Promise<ExchangeResult> {
    const extra: [string, string][] = [['Upload-Offset', String(o.offset)]]
    const ct = o.contentType === undefined ? OCTET_STREAM : o.contentType
    if (ct !== null) extra.push(['Content-Type', ct])
    if (o.override) extra.push(['X-HTTP-Method-Override', 'PATCH'])
    return this.send(o.override ? 'POST' : 'PATCH', u, {
      headers: [...this.fields(extra, o.version), ...(o.headers ?? [])],
      body: o.body,
      ...(o.plan ? { plan: o.plan } : {}),
    })
  }

  async head(u: URL): Promise<ExchangeResult> {
    return this.send('HEAD', u, { headers: this.fields() })
  }

  /** HEAD that must be answered 200 or 204; returns what the response says. */
  async state(u: URL): Promise<TusState> {
    const ex = await this.head(u)
    const f = ex.final
    if (!f || (f.status !== 200 && f.status !== 204))
      throw this.fail(`HEAD did not succeed: ${describe(ex)} (200 or 204 expected)`, ex)
    return {
      ex,
      res: f,
      offset: tusNumber(header(f, 'upload-offset')),
      length: tusNumber(header(f, 'upload-length')),
      deferred: header(f, 'upload-defer-length')?.trim() === '1',
      metadata: header(f, 'upload-metadata'),
      concat: header(f, 'upload-concat'),
    }
  }

  /** The upload's offset must still be `expected`. */
  async expectOffset(u: URL, expected: number, why: string): Promise<void> {
    const s = await this.state(u)
    if (s.offset !== expected) {
      const got = header(s.res, 'upload-offset') ?? '(none)'
      throw this.fail(`${why}: HEAD reports Upload-Offset ${got}, expected ${expected}`, s.ex)
    }
  }

  async terminate(u: URL, override = false): Promise<ExchangeResult> {
    const ex = override
      ? await this.send('POST', u, { headers: this.fields([['X-HTTP-Method-Override', 'DELETE']]) })
      : await this.send('DELETE', u, { headers: this.fields() })
    if (ex.final?.status === 204) this.forget(u)
    return ex
  }

  /** OPTIONS on the target, without `Tus-Resumable` (as the protocol asks of clients). */
  async options(): Promise<ExchangeResult> {
    return this.send('OPTIONS', this.target)
  }

  /** GET of the upload's content, where the server offers downloads (not part of tus 1.0.0); else undefined. */
  async download(u: URL): Promise<Buffer | undefined> {
    const ex = await this.send('GET', u)
    const f = ex.final
    if (f?.status !== 200 || f.bodyTruncated) return undefined
    return Buffer.from(f.body)
  }
}
