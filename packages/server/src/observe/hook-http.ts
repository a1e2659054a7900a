/**
 * What the HTTP hooks and the HTTP authorizer share: one JSON POST with a timeout, an answer read up to a bound, and
 * the request described as JSON. An endpoint that cannot be reached, times out or answers too much is a
 * `HookFailedError` (500): blocking hooks fail closed.
 */
import { HookFailedError } from '@rufh/protocol'
import type { UploadRequest } from '../types.js'

/** Request fields sent to hook and authorization endpoints when the runtime cannot list the request's fields. */
export const FORWARDED_FIELDS = [
  'authorization',
  'cookie',
  'origin',
  'referer',
  'user-agent',
  'content-type',
  'content-length',
  'content-disposition',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-request-id',
  'tus-resumable',
  'upload-metadata',
  'upload-length',
  'upload-offset',
  'upload-concat',
  'upload-complete',
  'upload-incomplete',
  'upload-draft-interop-version',
] as const

/** The largest answer read from an endpoint. */
export const MAX_ANSWER_BYTES = 256 * 1024

export interface RequestJson {
  method: string
  url: string
  headers: Record<string, string>
}

export function requestJson(req: UploadRequest, extra: readonly string[] = []): RequestJson {
  const headers: Record<string, string> = {}
  const listed = req.headers.names?.()
  const names = listed ? [...listed].map((n) => n.toLowerCase()) : [...FORWARDED_FIELDS]
  for (const name of [...names, ...extra.map((n) => n.toLowerCase())]) {
    const v = req.headers.get(name)
    if (v != null) headers[name] = v
  }
  return { method: req.method, url: req.url.href, headers }
}

export interface Answer {
  status: number
  ok: boolean
  text: string
  headers: Headers
}

/** POSTs `payload` as JSON; redirects are not followed (a 3xx is an answer like any non-2xx). */
export async function postJson(url: string, payload: unknown, hook: string, timeoutMs: number): Promise<Answer> {
  try {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    })
    return { status: r.status, ok: r.ok, text: await boundedText(r, hook), headers: r.headers }
  } catch (e) {
    if (e instanceof HookFailedError) throw e
    throw new HookFailedError(hook, { cause: e })
  }
}

async function boundedText(r: Response, hook: string): Promise<string> {
  if (!r.body) return ''
  const chunks: Uint8Array[] = []
  let n = 0
  for await (const chunk of r.body as AsyncIterable<Uint8Array>) {
    n += chunk.byteLength
    if (n > MAX_ANSWER_BYTES) {
      await r.body.cancel().catch(() => {})
      throw new HookFailedError(hook, { cause: new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`) })
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * The JSON object of a 2xx answer. An empty answer, or one that is not JSON by its `Content-Type` (a plain "OK"), is
 * `{}`; a JSON answer that does not parse to an object fails closed.
 */
export function answerObject(a: Answer, hook: string): Record<string, unknown> {
  const type = a.headers.get('content-type')?.split(';', 1)[0]?.trim().toLowerCase() ?? ''
  if (a.text.trim() === '' || !(type === 'application/json' || type.endsWith('+json'))) return {}
  try {
    const v = JSON.parse(a.text) as unknown
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>
  } catch (e) {
    throw new HookFailedError(hook, { cause: e })
  }
  throw new HookFailedError(hook, { cause: new Error('the answer is not a JSON object') })
}

/** The reason a refusal gives: the answer's text, trimmed and short, or a plain sentence. */
export function reasonOf(a: Answer, hook: string): string {
  return a.text.trim().slice(0, 500) || `refused by the ${hook} hook (${a.status})`
}
