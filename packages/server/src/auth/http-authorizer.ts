/**
 * `rufh serve --auth-url URL`: an authorizer that asks an HTTP endpoint. It POSTs
 * `{ "procedure", "method", "url", "headers", "upload" }` as JSON; a 2xx answer allows (a JSON answer may name the
 * `principal`), a 401 denies with 401 (the endpoint's `WWW-Authenticate`, or `Bearer`), any other status denies with
 * 403, each with the answer's text as the reason. An endpoint that is down or slower than the timeout fails closed
 * (500): nothing is stored.
 */
import { ForbiddenError, HookFailedError, UnauthorizedError } from '@rufh/protocol'
import { answerObject, postJson, reasonOf, requestJson } from '../observe/hook-http.js'
import type { Authorize } from './authorize.js'

export interface HttpAuthorizerOptions {
  /** Give up on the endpoint after this long. Default 5 s. */
  timeoutMs?: number
  /** Request fields to send besides the built-in list (observe/hook-http.ts `FORWARDED_FIELDS`). */
  headers?: readonly string[]
}

export function httpAuthorizer(url: string, options: HttpAuthorizerOptions = {}): Authorize {
  const timeoutMs = options.timeoutMs ?? 5_000
  return async (request, { procedure, upload }) => {
    const payload = { procedure, ...requestJson(request, options.headers), upload: upload ?? null }
    const a = await postJson(url, payload, 'authorization', timeoutMs)
    if (a.status === 401)
      throw new UnauthorizedError(reasonOf(a, 'authorization'), a.headers.get('www-authenticate') ?? 'Bearer')
    if (!a.ok) throw new ForbiddenError(reasonOf(a, 'authorization'))
    const { principal } = answerObject(a, 'authorization')
    if (principal === undefined || principal === null) return undefined
    if (typeof principal !== 'string' || principal.length > 256)
      throw new HookFailedError('authorization', { cause: new TypeError('principal must be a string (≤ 256)') })
    return { principal }
  }
}
