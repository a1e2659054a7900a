/**
 * Hooks: code that runs at points of an upload's life, as tusd's hooks do. `preCreate` can refuse an upload (403 with
 * its message); the `post*` hooks are notifications (their failures are logged, never turned into errors for the
 * client, whose upload already happened). In-process functions, or an HTTP endpoint (`httpHooks`) that receives one
 * JSON POST per event.
 *
 * They listen to the server's events (observe/events.ts), which the procedures emit for both protocols alike:
 * creation (also tus concatenation), completion, deletion.
 */
import { ForbiddenError } from '@rufh/protocol'
import type { NewUpload, UploadInfo } from '../stores/store.js'
import type { UploadEvents } from './events.js'
import type { Logger } from './logger.js'

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

/**
 * Subscribes the hooks to the server's events. `preCreate` becomes a creation gate (a refusal is a 403); the `post*`
 * hooks run after the event, not awaited: a slow or failing notification must not hold up or fail the request that
 * caused it (failures are logged).
 */
export function listenHooks(events: UploadEvents, hooks: Hooks, logger?: Logger): void {
  const after = (event: HookEvent, run: () => Promise<void> | void) =>
    Promise.resolve()
      .then(run)
      .catch((err: unknown) => logger?.warn({ err, event }, 'hook failed'))
  const { preCreate, postCreate, postFinish, postTerminate } = hooks
  if (preCreate)
    events.onPreCreate(async (init) => {
      const verdict = await preCreate.call(hooks, init)
      if (verdict?.reject !== undefined) throw new ForbiddenError(verdict.reject)
    })
  if (postCreate) events.on('created', (info) => void after('post-create', () => postCreate.call(hooks, info)))
  if (postFinish) events.on('finished', (info) => void after('post-finish', () => postFinish.call(hooks, info)))
  if (postTerminate) events.on('terminated', (id) => void after('post-terminate', () => postTerminate.call(hooks, id)))
}
