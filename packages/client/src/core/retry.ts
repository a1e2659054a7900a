/**
 * Retry timing: capped exponential backoff with jitter, and `Retry-After` (RFC 9110 §10.2.3) honoured. Pure functions:
 * the caller owns the clock and the random source.
 */

export interface RetryPolicy {
  /** Consecutive failed attempts without progress before giving up. Progress (the offset moved) resets the count. */
  retries: number
  /** Delay before the first retry, in milliseconds. */
  baseDelay: number
  /** Cap of the exponential delay, in milliseconds. */
  maxDelay: number
  factor: number
  /** Spread each delay over [delay/2, delay] so that many clients do not retry in lockstep. */
  jitter: boolean
  /** The longest `Retry-After` honoured, in milliseconds; a longer one is shortened to it. */
  maxRetryAfter: number
}

export const defaultRetryPolicy: RetryPolicy = {
  retries: 10,
  baseDelay: 250,
  maxDelay: 20_000,
  factor: 2,
  jitter: true,
  maxRetryAfter: 120_000,
}

/** The backoff before retry number `attempt` (0 for the first retry). */
export function backoff(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const raw = Math.min(policy.maxDelay, policy.baseDelay * policy.factor ** Math.max(0, attempt))
  if (!policy.jitter) return Math.round(raw)
  return Math.round(raw / 2 + (random() * raw) / 2)
}

/** `Retry-After` as milliseconds from `now`: delay-seconds or an HTTP-date. Invalid values give undefined. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined
  const v = value.trim()
  if (/^\d+$/.test(v)) return Number(v) * 1000
  const date = Date.parse(v)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/** The delay before the next attempt: the backoff, or `Retry-After` when the server asks for longer. */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfter: number | undefined,
  random: () => number = Math.random,
): number {
  const b = backoff(policy, attempt, random)
  if (retryAfter === undefined) return b
  return Math.max(b, Math.min(retryAfter, policy.maxRetryAfter))
}
