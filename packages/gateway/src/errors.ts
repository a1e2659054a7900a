/**
 * Backend trouble, as stable codes and RFC 9457 problem bodies (502 Bad Gateway, 504 Gateway Timeout). Bad input is
 * answered by the server core, exactly as `rufh serve` answers it.
 */
import type { HandlerReply } from '@rufh/server'

export type GatewayErrorCode =
  | 'ERR_BACKEND_UNREACHABLE'
  | 'ERR_BACKEND_TIMEOUT'
  | 'ERR_BACKEND_FAILED'
  | 'ERR_BACKEND_ABORTED'
  | 'ERR_BACKEND_RESPONSE_TOO_LARGE'
  | 'ERR_DELIVERY_IN_PROGRESS'
  | 'ERR_NO_REQUEST_HEAD'

const STATUS: Record<GatewayErrorCode, number> = {
  ERR_BACKEND_UNREACHABLE: 502,
  ERR_BACKEND_TIMEOUT: 504,
  ERR_BACKEND_FAILED: 502,
  ERR_BACKEND_ABORTED: 502,
  ERR_BACKEND_RESPONSE_TOO_LARGE: 502,
  ERR_DELIVERY_IN_PROGRESS: 503,
  ERR_NO_REQUEST_HEAD: 502,
}

const TITLES: Record<number, string> = { 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' }

export class GatewayError extends Error {
  readonly code: GatewayErrorCode
  readonly status: number
  /** Whether another attempt may succeed (connection errors, timeouts, 5xx). */
  readonly retryable: boolean

  constructor(code: GatewayErrorCode, message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options)
    this.name = 'GatewayError'
    this.code = code
    this.status = STATUS[code]
    this.retryable = retryable
  }
}

export function problemReply(err: GatewayError, extra: Record<string, string> = {}): HandlerReply {
  const body = JSON.stringify({
    type: 'about:blank',
    title: TITLES[err.status] ?? 'Error',
    status: err.status,
    detail: err.message,
    code: err.code,
  })
  const headers: Record<string, string> = { 'content-type': 'application/problem+json', ...extra }
  if (err.status === 503) headers['retry-after'] = '1'
  return { status: err.status, headers, body }
}
