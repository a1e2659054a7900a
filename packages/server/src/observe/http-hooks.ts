/**
 * Hooks over HTTP (`rufh serve --hooks-url URL`): one JSON POST per event,
 * `{ "type", "upload", "request"? }` (`request`: method, URL and the request's fields, for the `pre-*` events).
 *
 * - A 2xx answer allows; its JSON may carry what the event may set: pre-create `{ "id", "metadata" }`, pre-finish
 *   `{ "response": { "status", "headers", "body" } }`.
 * - Any other status refuses, with that status and the answer's text as the reason (a status outside 400-599 becomes
 *   403).
 * - Only the `events` chosen are sent (default: pre-create, post-create, post-finish, post-terminate; each blocking
 *   hook costs a round trip per upload, so pre-finish and pre-terminate are asked for, as tusd's
 *   `-hooks-enabled-events`).
 * - An endpoint that is down, slower than `timeoutMs` or answers nonsense fails a `pre-*` event closed (500; nothing
 *   is created, completed or removed). A failed `post-*` notification is logged and not retried.
 */
import { RefusedError } from '@rufh/protocol'
import { answerObject, postJson, reasonOf, requestJson } from './hook-http.js'
import type { HookEvent, Hooks } from './hooks.js'

export interface HttpHooksOptions {
  /** Give up on the endpoint after this long. Default 5 s. */
  timeoutMs?: number
  /** Minimum time between two post-receive events of one upload. Default 1 s. */
  receiveIntervalMs?: number
  /** The events to send. Default: pre-create, post-create, post-finish, post-terminate. */
  events?: readonly HookEvent[]
  /** Request fields to send besides the built-in list, where a runtime cannot list them (`FORWARDED_FIELDS`). */
  headers?: readonly string[]
}

export const DEFAULT_HOOK_EVENTS: readonly HookEvent[] = ['pre-create', 'post-create', 'post-finish', 'post-terminate']

export function httpHooks(url: string, options: HttpHooksOptions = {}): Hooks {
  const enabled = new Set(options.events ?? DEFAULT_HOOK_EVENTS)
  const timeoutMs = options.timeoutMs ?? 5_000
  const post = (type: HookEvent, upload: unknown, request?: Parameters<typeof requestJson>[0]) =>
    postJson(
      url,
      { type, upload, ...(request ? { request: requestJson(request, options.headers) } : {}) },
      type,
      timeoutMs,
    )
  const notify = async (type: HookEvent, upload: unknown) => {
    const a = await post(type, upload)
    if (!a.ok) throw new Error(`the ${type} hook answered ${a.status}`)
  }
  const all: Hooks = {
    async preCreate(upload, request) {
      const a = await post('pre-create', upload, request)
      if (!a.ok) throw new RefusedError(a.status, reasonOf(a, 'pre-create'))
      const { id, metadata } = answerObject(a, 'pre-create')
      return {
        ...(id !== undefined ? { id: id as string } : {}),
        ...(metadata !== undefined ? { metadata: metadata as Record<string, string> } : {}),
      }
    },
    async preFinish(upload, request) {
      const a = await post('pre-finish', upload, request)
      if (!a.ok) throw new RefusedError(a.status, reasonOf(a, 'pre-finish'))
      const { response } = answerObject(a, 'pre-finish')
      return response !== undefined ? { response: response as Record<string, never> } : undefined
    },
    async preTerminate(upload, request) {
      const a = await post('pre-terminate', upload, request)
      if (!a.ok) throw new RefusedError(a.status, reasonOf(a, 'pre-terminate'))
      return undefined
    },
    postCreate: (u) => notify('post-create', u),
    postReceive: (p) => notify('post-receive', p),
    postFinish: (u) => notify('post-finish', u),
    postTerminate: (id) => notify('post-terminate', { id }),
  }
  const names: Record<HookEvent, keyof Hooks> = {
    'pre-create': 'preCreate',
    'pre-finish': 'preFinish',
    'pre-terminate': 'preTerminate',
    'post-create': 'postCreate',
    'post-receive': 'postReceive',
    'post-finish': 'postFinish',
    'post-terminate': 'postTerminate',
  }
  const hooks: Hooks = { receiveIntervalMs: options.receiveIntervalMs ?? 1_000 }
  for (const event of enabled) Object.assign(hooks, { [names[event]]: all[names[event]] })
  return hooks
}
