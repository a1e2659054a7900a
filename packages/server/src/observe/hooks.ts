/**
 * Hooks: code that runs at points of an upload's life, as tusd's hooks do. The `pre*` hooks decide (the procedure
 * awaits them, and a refusal reaches the client): `preCreate` may refuse an upload (403) or set its id and metadata,
 * `preFinish` may refuse completion (its status; the upload stays incomplete) or shape the completing response,
 * `preTerminate` may refuse a DELETE (its status; nothing is removed). The `post*` hooks are notifications: their
 * failures are logged, never turned into errors for the client, whose upload already happened; `postReceive` reports
 * progress at most once per `receiveIntervalMs`. In-process functions, or an HTTP endpoint (http-hooks.ts).
 *
 * They listen to the server's events (observe/events.ts), which the procedures emit for both protocols alike.
 * Notifications of one upload are delivered in order (post-receive before post-finish; tusd#1095, #702).
 */
import { ForbiddenError, HookFailedError, RefusedError, RufhError } from '@rufh/protocol'
import { isUploadId } from '../ids.js'
import type { NewUpload, UploadInfo } from '../stores/store.js'
import type { UploadRequest } from '../types.js'
import type { UploadEvents } from './events.js'
import type { FinishResponse } from './finish-response.js'
import type { Logger } from './logger.js'

type Maybe<T> = Promise<T> | T

/** A refusal: `status` defaults to 403 (pre-create always answers 403). */
export interface Refusal {
  reject: string
  status?: number
}

/** What pre-create may change: the upload's id (the strict upload-id form) and its metadata (replaced whole). */
export interface CreationChange {
  id?: string
  metadata?: Record<string, string>
}

export interface Hooks {
  /** Before an upload is created. Resolve with `{ reject }` (or throw) to refuse it, or with changes to make. */
  preCreate?(upload: NewUpload, request?: UploadRequest): Maybe<undefined | Refusal | CreationChange>
  /** Before an upload is marked complete (its bytes are stored). */
  preFinish?(upload: UploadInfo, request: UploadRequest): Maybe<undefined | Refusal | { response: FinishResponse }>
  /** Before a DELETE removes an upload. */
  preTerminate?(upload: UploadInfo, request: UploadRequest): Maybe<undefined | Refusal>
  postCreate?(upload: UploadInfo): Maybe<void>
  /** While bytes arrive: the upload's stored offset, at most once per `receiveIntervalMs`, and once at each body's end. */
  postReceive?(progress: { id: string; offset: number }): Maybe<void>
  postFinish?(upload: UploadInfo): Maybe<void>
  postTerminate?(id: string): Maybe<void>
  /** Minimum time between two `postReceive` calls for one upload. Default 1 s. */
  receiveIntervalMs?: number
}

export type HookEvent =
  | 'pre-create'
  | 'pre-finish'
  | 'pre-terminate'
  | 'post-create'
  | 'post-receive'
  | 'post-finish'
  | 'post-terminate'

function isRefusal(v: unknown): v is Refusal {
  return typeof v === 'object' && v !== null && typeof (v as Refusal).reject === 'string'
}

/** Runs a blocking hook: what it throws refuses (a `RufhError` as it is; anything else fails closed, 500). */
async function decide<T>(hook: HookEvent, run: () => Maybe<T>): Promise<T> {
  try {
    return await run()
  } catch (e) {
    if (e instanceof RufhError) throw e
    throw new HookFailedError(hook, { cause: e })
  }
}

function applyCreationChange(init: NewUpload, change: CreationChange): void {
  if (change.id !== undefined) {
    // The id becomes a path segment and a file name: only the strict form (ids.ts) is accepted.
    if (typeof change.id !== 'string' || !isUploadId(change.id))
      throw new HookFailedError('pre-create', { cause: new TypeError(`'${String(change.id).slice(0, 80)}' is no id`) })
    init.id = change.id
  }
  if (change.metadata !== undefined) {
    const m = change.metadata
    if (typeof m !== 'object' || m === null || Object.values(m).some((v) => typeof v !== 'string'))
      throw new HookFailedError('pre-create', { cause: new TypeError('metadata must map names to strings') })
    init.metadata = { ...m }
  }
}

/**
 * Subscribes the hooks to the server's events. The `pre*` hooks become gates; the `post*` hooks run after the event,
 * not awaited: a slow or failing notification must not hold up or fail the request that caused it (failures are
 * logged).
 */
export function listenHooks(events: UploadEvents, hooks: Hooks, logger?: Logger): void {
  const { preCreate, preFinish, preTerminate, postCreate, postReceive, postFinish, postTerminate } = hooks
  // One queue per upload, so that its notifications arrive in the order the events happened.
  const queues = new Map<string, Promise<void>>()
  const after = (id: string, event: HookEvent, run: () => Maybe<void>) => {
    const next = (queues.get(id) ?? Promise.resolve())
      .then(run)
      .catch((err: unknown) => logger?.warn({ err, event }, 'hook failed'))
    queues.set(id, next)
    void next.then(() => {
      if (queues.get(id) === next) queues.delete(id)
    })
  }
  if (preCreate)
    events.onPreCreate(async (init, request) => {
      const verdict = await decide('pre-create', () => preCreate.call(hooks, init, request))
      if (isRefusal(verdict)) throw new ForbiddenError(verdict.reject)
      if (verdict) applyCreationChange(init, verdict)
    })
  if (preFinish)
    events.onPreFinish(async (upload, request) => {
      const verdict = await decide('pre-finish', () => preFinish.call(hooks, upload, request))
      if (isRefusal(verdict)) throw new RefusedError(verdict.status ?? 403, verdict.reject)
      return verdict?.response
    })
  if (preTerminate)
    events.onPreTerminate(async (upload, request) => {
      const verdict = await decide('pre-terminate', () => preTerminate.call(hooks, upload, request))
      if (isRefusal(verdict)) throw new RefusedError(verdict.status ?? 403, verdict.reject)
    })
  if (postCreate) events.on('created', (u) => after(u.id, 'post-create', () => postCreate.call(hooks, u)))
  if (postFinish) events.on('finished', (u) => after(u.id, 'post-finish', () => postFinish.call(hooks, u)))
  if (postTerminate) events.on('terminated', (id) => after(id, 'post-terminate', () => postTerminate.call(hooks, id)))
  if (postReceive)
    listenProgress(events, hooks.receiveIntervalMs ?? 1_000, (id, offset) =>
      after(id, 'post-receive', () => postReceive.call(hooks, { id, offset })),
    )
}

/** Throttles `received` to one call per interval and upload, plus one at the end of a body for bytes not yet told. */
function listenProgress(events: UploadEvents, intervalMs: number, tell: (id: string, offset: number) => void): void {
  const running = new Map<string, { at: number; told: number; latest: number }>()
  events.on('transferStarted', (id, offset) => {
    running.set(id, { at: Date.now(), told: offset, latest: offset })
  })
  events.on('received', (id, offset) => {
    const r = running.get(id)
    if (!r) return
    r.latest = offset
    const now = Date.now()
    if (now - r.at < intervalMs || offset <= r.told) return
    r.at = now
    r.told = offset
    tell(id, offset)
  })
  events.on('transferEnded', (id) => {
    const r = running.get(id)
    running.delete(id)
    if (r && r.latest > r.told) tell(id, r.latest)
  })
}
