/**
 * Hooks: code that runs at points of an upload's life, as tusd's hooks do. `preCreate` can refuse an upload (403 with
 * its message); the `post*` hooks are notifications (their failures are logged, never turned into errors for the
 * client, whose upload already happened). In-process functions, or an HTTP endpoint (`httpHooks`) that receives one
 * JSON POST per event.
 *
 * They hang on the store (like the metrics), so every procedure and both protocols trigger them the same way:
 * creation (also tus concatenation), completion, deletion.
 */
import { ForbiddenError } from '@rufh/protocol'
import type { Logger } from 'pino'
import {
  type ConcatenatingStore,
  isConcatenating,
  type NewUpload,
  type Store,
  type UploadInfo,
  type UploadPatch,
} from '../stores/store.js'
import { decorate } from './decorate.js'

export interface Hooks {
  /** Before an upload is created. Resolve with `{ reject: message }` (or throw) to refuse it. */
  preCreate?(upload: NewUpload): Promise<undefined | { reject: string }> | undefined | { reject: string }
  postCreate?(upload: UploadInfo): Promise<void> | void
  postFinish?(upload: UploadInfo): Promise<void> | void
  postTerminate?(id: string): Promise<void> | void
}

export type HookEvent = 'pre-create' | 'post-create' | 'post-finish' | 'post-terminate'

export interface HttpHooksOptions {
  /** Give up on the endpoint after this long. Default 5 s. */
  timeoutMs?: number
}

/**
 * Hooks that POST `{ "type": "pre-create" | "post-create" | "post-finish" | "post-terminate", "upload": {...} }` to
 * `url`. For `pre-create`, a 2xx answer lets the upload be created; any other answer refuses it, with the answer's
 * text as the reason (the endpoint being unreachable fails the creation with 500: no hook, no upload).
 */
export function httpHooks(url: string, options: HttpHooksOptions = {}): Hooks {
  const timeoutMs = options.timeoutMs ?? 5_000
  const post = (type: HookEvent, upload: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type, upload }),
      signal: AbortSignal.timeout(timeoutMs),
    })
  const notify = async (type: HookEvent, upload: unknown) => {
    const r = await post(type, upload)
    await r.body?.cancel()
    if (!r.ok) throw new Error(`the ${type} hook answered ${r.status}`)
  }
  return {
    async preCreate(upload) {
      const r = await post('pre-create', upload)
      if (r.ok) {
        await r.body?.cancel()
        return undefined
      }
      const text = (await r.text()).trim().slice(0, 500)
      return { reject: text || `refused by the pre-create hook (${r.status})` }
    },
    postCreate: (u) => notify('post-create', u),
    postFinish: (u) => notify('post-finish', u),
    postTerminate: (id) => notify('post-terminate', { id }),
  }
}

/** The store, calling the hooks around creation, completion and deletion. */
export function hookedStore<S extends Store>(store: S, hooks: Hooks, logger?: Logger): S {
  const after = (event: HookEvent, run: (() => Promise<void> | void) | undefined) => {
    if (!run) return
    // Not awaited: a slow or failing notification must not hold up or fail the request that caused it.
    Promise.resolve()
      .then(run)
      .catch((err: unknown) => logger?.warn({ err, event }, 'hook failed'))
  }
  const preCreate = async (init: NewUpload) => {
    const verdict = await hooks.preCreate?.(init)
    if (verdict?.reject !== undefined) throw new ForbiddenError(verdict.reject)
  }
  const hooked: Partial<ConcatenatingStore> = {
    async create(init: NewUpload): Promise<UploadInfo> {
      await preCreate(init)
      const info = await store.create(init)
      after('post-create', hooks.postCreate && (() => hooks.postCreate?.(info)))
      return info
    },
    // The procedures mark an upload complete once, when it completes.
    async update(id: string, patch: UploadPatch): Promise<UploadInfo> {
      const info = await store.update(id, patch)
      if (patch.complete === true) after('post-finish', hooks.postFinish && (() => hooks.postFinish?.(info)))
      return info
    },
    async remove(id: string): Promise<void> {
      await store.remove(id)
      after('post-terminate', hooks.postTerminate && (() => hooks.postTerminate?.(id)))
    },
  }
  if (isConcatenating(store))
    hooked.concatenate = async (init, parts) => {
      await preCreate(init)
      const info = await store.concatenate(init, parts)
      after('post-create', hooks.postCreate && (() => hooks.postCreate?.(info)))
      after('post-finish', hooks.postFinish && (() => hooks.postFinish?.(info)))
      return info
    }
  return decorate(store, hooked)
}
