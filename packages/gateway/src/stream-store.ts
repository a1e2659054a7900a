/**
 * Stream mode (NIOResumableUpload's model): a Store whose uploads are backend requests. Creation opens the backend
 * request; every append writes into its body with back-pressure (at most the socket's highWaterMark queued here, so
 * nothing piles up in memory); completion ends it; and the offset told to the client is what the backend connection
 * took (backend-body.ts). A client gone longer than `idleTimeoutMs` makes the backend request end as an aborted body (the
 * connection is destroyed before the declared length or the final chunk), never as a complete one.
 *
 * The backend request lives in this process: upload URLs must route to the node that created them (sticky routing),
 * and a restart loses every upload in progress (their clients get 404 and start again).
 */
import type { ClientRequest } from 'node:http'
import { OffsetMismatchError, UploadNotFoundError } from '@rufh/protocol'
import {
  type AppendOptions,
  type Logger,
  type NewUpload,
  newUploadMeta,
  type Store,
  type UploadInfo,
  type UploadPatch,
} from '@rufh/server'
import { BackendBody } from './backend-body.js'
import { creationHead } from './context.js'
import type { Delivery } from './delivery.js'
import { GatewayError } from './errors.js'
import { type ForwardOptions, openBackend, readResponse } from './forward.js'
import { backendFields } from './head.js'
import type { BackendResponse } from './journal.js'

export interface StreamStoreOptions {
  backend: URL
  idleTimeoutMs: number
  forward: ForwardOptions
  logger: Logger | undefined
  /** How long a finished upload's backend answer is kept for a client that lost it. Default 10 min. */
  keepMs?: number
  /**
   * Bytes the backend connection may queue in this process before an append waits for it (the socket's
   * highWaterMark). Default 1 MiB: Node's 16 KiB made every 64 KiB chunk of a fast upload wait for the socket.
   */
  highWaterMark?: number
}

interface Entry {
  info: UploadInfo
  req: ClientRequest
  /** Writes appends into `req`; what it took is `info.offset`. */
  out: BackendBody
  /** The running append's progress callback. */
  progress: ((offset: number) => void) | undefined
  response: Promise<BackendResponse>
  idle: NodeJS.Timeout | undefined
  /** Set once the backend request ended, aborted or failed: no more bytes go in. */
  closed: string | undefined
}

export class StreamStore implements Store {
  private readonly entries = new Map<string, Entry>()
  private readonly keepMs: number

  constructor(private readonly o: StreamStoreOptions) {
    this.keepMs = o.keepMs ?? 10 * 60_000
  }

  async create(init: NewUpload): Promise<UploadInfo> {
    const head = creationHead(init)
    if (!head) throw new Error('stream mode: an upload is created only by a client request')
    const headers = backendFields(head, init.id, init.length, init.metadata)
    const { req, response } = openBackend(
      this.o.backend,
      { method: head.method, path: head.path, headers },
      this.o.forward.timeoutMs,
      this.o.highWaterMark ?? 1024 * 1024,
    )
    req.flushHeaders()
    const info: UploadInfo = { ...newUploadMeta(init), offset: 0 }
    const entry: Entry = {
      info,
      req,
      out: new BackendBody(req, 0, (taken) => {
        info.offset = taken
        entry.progress?.(taken)
      }),
      progress: undefined,
      response: response.then((res) => readResponse(res, this.o.forward.responseLimit)),
      idle: undefined,
      closed: undefined,
    }
    // A backend that answers (or fails) before the upload is complete ends it: later appends are refused (410).
    entry.response.then(
      () => this.close(entry, 'the backend answered before the upload was complete', false),
      (e: unknown) => this.close(entry, `the backend request failed: ${(e as Error).message}`, false),
    )
    this.entries.set(init.id, entry)
    this.arm(entry)
    this.o.logger?.info({ id: init.id, path: head.path }, 'backend request started')
    return { ...info }
  }

  async get(id: string): Promise<UploadInfo> {
    const e = this.entries.get(id)
    if (!e) throw new UploadNotFoundError()
    return { ...e.info }
  }

  async append(id: string, offset: number, body: AsyncIterable<Uint8Array>, options?: AppendOptions): Promise<number> {
    const e = this.entries.get(id)
    if (!e) throw new UploadNotFoundError()
    if (offset !== e.info.offset) throw new OffsetMismatchError(e.info.offset, offset)
    if (e.idle) clearTimeout(e.idle)
    e.progress = options?.onProgress
    try {
      for await (const chunk of body) {
        if (e.closed !== undefined || e.out.gone) break
        const full = e.out.write(chunk)
        if (full) await full
        if (e.req.destroyed) break
      }
      // The offset this append answers is every byte the connection took, none still queued here.
      await e.out.flushed()
    } finally {
      e.progress = undefined
      this.arm(e)
    }
    return e.info.offset
  }

  async update(id: string, patch: UploadPatch): Promise<UploadInfo> {
    const e = this.entries.get(id)
    if (!e) throw new UploadNotFoundError()
    if (patch.length !== undefined) e.info.length = patch.length
    if (patch.invalid !== undefined) {
      e.info.invalid = patch.invalid
      this.close(e, patch.invalid, true)
    }
    if (patch.complete === true && !e.info.complete) {
      e.info.complete = true
      if (e.idle) clearTimeout(e.idle)
      e.closed ??= 'complete'
      if (!e.req.destroyed) e.req.end()
    }
    return { ...e.info }
  }

  async remove(id: string): Promise<void> {
    const e = this.entries.get(id)
    if (!e) return
    this.close(e, 'cancelled', true)
    this.entries.delete(id)
  }

  /** The backend's answer to a completed upload. */
  async response(id: string): Promise<BackendResponse> {
    const e = this.entries.get(id)
    if (!e) throw new UploadNotFoundError()
    try {
      return await e.response
    } catch (err) {
      throw err instanceof GatewayError
        ? err
        : new GatewayError('ERR_BACKEND_UNREACHABLE', (err as Error).message, false, { cause: err })
    }
  }

  /** Ends the backend request: aborted unless it completed. */
  private close(e: Entry, why: string, abort: boolean): void {
    if (e.idle) clearTimeout(e.idle)
    if (e.info.complete) {
      this.forgetLater(e)
      return
    }
    e.closed ??= why
    e.info.invalid ??= why
    e.out.release()
    if (abort && !e.req.destroyed) {
      this.o.logger?.warn({ id: e.info.id, offset: e.info.offset, why }, 'backend request aborted')
      e.req.destroy(new GatewayError('ERR_BACKEND_ABORTED', why, false))
    }
    this.forgetLater(e)
  }

  private arm(e: Entry): void {
    if (e.idle) clearTimeout(e.idle)
    if (e.closed !== undefined || e.info.complete) return
    e.idle = setTimeout(
      () => this.close(e, 'the client was gone longer than the idle timeout', true),
      this.o.idleTimeoutMs,
    )
    e.idle.unref()
  }

  private forgetLater(e: Entry): void {
    const t = setTimeout(() => {
      if (this.entries.get(e.info.id) === e) this.entries.delete(e.info.id)
    }, this.keepMs)
    t.unref()
  }

  /** Aborts every backend request still open (shutdown). */
  closeAll(): void {
    for (const e of this.entries.values()) if (!e.info.complete) this.close(e, 'the gateway stopped', true)
  }
}

export class StreamDelivery implements Delivery {
  constructor(private readonly store: StreamStore) {}
  deliver(id: string): Promise<BackendResponse> {
    return this.store.response(id)
  }
  async delivered(id: string): Promise<BackendResponse | undefined> {
    if (!(await this.store.get(id).catch(() => undefined))?.complete) return undefined
    return this.store.response(id).catch(() => undefined)
  }
  kick(): void {}
  async recover(): Promise<number> {
    return 0
  }
  async close(): Promise<void> {
    this.store.closeAll()
  }
}
