/**
 * The server's one event channel. Procedures emit where the event happens (creation, completion, deletion, each
 * body transfer); hooks and metrics are listeners. The store knows nothing of it, so a store call notifies no one.
 *
 * Listeners run synchronously, in subscription order; one that throws is logged and the request goes on (its upload
 * already happened). Work that takes time belongs in the listener's own promise. Gates are different: the procedure
 * awaits them, in order, before it acts, and one that throws refuses the request with its error. `preCreate` runs
 * before anything is stored (and may change the new upload's id and metadata), `preFinish` before an upload is marked
 * complete (and may shape the completing response), `preTerminate` before a DELETE removes anything.
 */
import type { NewUpload, UploadInfo } from '../stores/store.js'
import type { UploadRequest } from '../types.js'
import { type FinishResponse, keepFinishResponse } from './finish-response.js'
import type { Logger } from './logger.js'

export interface UploadEventMap {
  /** An upload exists (creation, or tus concatenation before its `finished`). */
  created: [upload: UploadInfo]
  /** An upload became complete: its last byte is stored and its length fixed. */
  finished: [upload: UploadInfo]
  /** An upload was removed: cancelled by its client, or expired. */
  terminated: [id: string]
  /** A request body starts to be stored at `offset`. */
  transferStarted: [id: string, offset: number]
  /** That body stopped (ended, cut or refused); `bytes` of it were stored. */
  transferEnded: [id: string, bytes: number]
  /** Bytes of a running transfer are stored up to `offset` (as often as the store reports; throttle in listeners). */
  received: [id: string, offset: number]
  /** A connection was accepted, refused by a cap, closed for silence or a slow head, or closed (startServer only). */
  connection: [what: 'accepted' | 'refused' | 'timed-out' | 'closed']
}

export type UploadEvent = keyof UploadEventMap
export type Listener<E extends UploadEvent> = (...args: UploadEventMap[E]) => void
/**
 * Resolves to let the upload be created; throws (e.g. `ForbiddenError`, a 403) to refuse it. It may change `upload.id`
 * and `upload.metadata` (the upload is stored as the gates leave it). `request` is absent only when a caller outside
 * HTTP creates uploads.
 */
export type PreCreate = (upload: NewUpload, request?: UploadRequest) => Promise<void> | void
/** Resolves to let the upload complete, optionally with the completing response's status, fields and body. */
export type PreFinish = (
  upload: UploadInfo,
  request: UploadRequest,
) => Promise<FinishResponse | undefined> | FinishResponse | undefined
/** Resolves to let the DELETE remove the upload; throws to refuse it (nothing is removed). */
export type PreTerminate = (upload: UploadInfo, request: UploadRequest) => Promise<void> | void

export class UploadEvents {
  private readonly listeners: { [E in UploadEvent]?: Listener<E>[] } = {}
  private readonly gates: PreCreate[] = []
  private readonly finishGates: PreFinish[] = []
  private readonly terminateGates: PreTerminate[] = []

  constructor(private readonly logger?: Logger) {}

  /** Subscribes; returns the unsubscribe function. */
  on<E extends UploadEvent>(event: E, listener: Listener<E>): () => void {
    const list: Listener<E>[] = this.listeners[event] ?? []
    this.listeners[event] = list as (typeof this.listeners)[E]
    list.push(listener)
    return () => {
      const i = list.indexOf(listener)
      if (i >= 0) list.splice(i, 1)
    }
  }

  emit<E extends UploadEvent>(event: E, ...args: UploadEventMap[E]): void {
    const list = this.listeners[event] as Listener<E>[] | undefined
    if (!list) return
    for (const listener of [...list]) {
      try {
        listener(...args)
      } catch (err) {
        this.logger?.warn({ err, event }, 'event listener failed')
      }
    }
  }

  /** Adds a gate that every creation awaits, in order, before it stores anything. */
  onPreCreate(gate: PreCreate): () => void {
    return added(this.gates, gate)
  }

  /** Awaited by creation (also tus concatenation); throws what a gate threw. */
  async preCreate(upload: NewUpload, request?: UploadRequest): Promise<void> {
    for (const gate of [...this.gates]) await gate(upload, request)
  }

  /** Adds a gate that every completion awaits, in order, before the upload is marked complete. */
  onPreFinish(gate: PreFinish): () => void {
    return added(this.finishGates, gate)
  }

  /**
   * Awaited where an upload is about to be marked complete (its bytes are stored); throws what a gate threw, and the
   * upload stays incomplete. The last response a gate supplied is kept for the request's reply (finish-response.ts).
   */
  async preFinish(upload: UploadInfo, request: UploadRequest): Promise<void> {
    let response: FinishResponse | undefined
    for (const gate of [...this.finishGates]) response = (await gate(upload, request)) ?? response
    if (response) keepFinishResponse(request, response)
  }

  /** Adds a gate that every cancellation awaits, in order, before the upload is removed. */
  onPreTerminate(gate: PreTerminate): () => void {
    return added(this.terminateGates, gate)
  }

  /** Awaited by cancellation before it removes anything; throws what a gate threw. */
  async preTerminate(upload: UploadInfo, request: UploadRequest): Promise<void> {
    for (const gate of [...this.terminateGates]) await gate(upload, request)
  }
}

function added<T>(list: T[], item: T): () => void {
  list.push(item)
  return () => {
    const i = list.indexOf(item)
    if (i >= 0) list.splice(i, 1)
  }
}
