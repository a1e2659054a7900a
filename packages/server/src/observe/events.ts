/**
 * The server's one event channel. Procedures emit where the event happens (creation, completion, deletion, each
 * body transfer); hooks and metrics are listeners. The store knows nothing of it, so a store call notifies no one.
 *
 * Listeners run synchronously, in subscription order; one that throws is logged and the request goes on (its upload
 * already happened). Work that takes time belongs in the listener's own promise. `preCreate` gates are different:
 * creation awaits them before anything is stored, and one that throws refuses the upload with its error.
 */
import type { NewUpload, UploadInfo } from '../stores/store.js'
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
}

export type UploadEvent = keyof UploadEventMap
export type Listener<E extends UploadEvent> = (...args: UploadEventMap[E]) => void
/** Resolves to let the upload be created; throws (e.g. `ForbiddenError`, a 403) to refuse it. */
export type PreCreate = (upload: NewUpload) => Promise<void> | void

export class UploadEvents {
  private readonly listeners: { [E in UploadEvent]?: Listener<E>[] } = {}
  private readonly gates: PreCreate[] = []

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
    this.gates.push(gate)
    return () => {
      const i = this.gates.indexOf(gate)
      if (i >= 0) this.gates.splice(i, 1)
    }
  }

  /** Awaited by creation (also tus concatenation); throws what a gate threw. */
  async preCreate(upload: NewUpload): Promise<void> {
    for (const gate of [...this.gates]) await gate(upload)
  }
}
