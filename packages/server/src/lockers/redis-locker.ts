/**
 * A locker shared by several server processes through Redis, for scale-out on a shared store: the same rules as
 * MemoryLocker (one transfer per upload, draft-09 §4.4; a newer request asks the holder to stop, draft-06 §4.4),
 * across nodes.
 *
 * - The lock is a key holding the lease's random token, set with NX and a short lifetime (`ttlMs`, 4 s) that the
 *   holder renews every quarter of it, so a killed node's locks expire by themselves: a request on another node for
 *   one of its uploads waits at most `ttlMs` (+ one poll) and is then served, well within the server's lock wait
 *   (10 s), so it gets no 423. Release and renewal check the token (a Lua script), so a node never deletes or
 *   extends a lock that is no longer its own.
 * - Never two writers: the holder counts its lock as proven only until three quarters of `ttlMs` after it *sent*
 *   its last confirmed renewal (Redis restarted the lifetime later than that). Past that point, because Redis was
 *   slow or unreachable, or the holder's own event loop stalled, `held()` answers false and the signal aborts, so
 *   the transfer takes no more bytes; the last quarter is left for the write already under way to land. Redis can
 *   give the key to another node only after the full `ttlMs` without renewal. Having stopped, the holder gives the
 *   lock up for good: it renews no more (the key then expires within `ttlMs`), and a renewal sent during the outage
 *   and answered late does not make `held()` true again.
 * - Preemption is a message on `PREFIX preempt:ID` carrying the holder's token; the node holding that lease aborts
 *   its signal. A waiter learns of a release from `PREFIX released:ID`, and polls as a fallback.
 * - A holder that loses its lock (its renewal found another token) has its signal aborted too.
 * - A Redis that does not answer holds no request for long: acquiring gives up with UploadLockedError at its lock
 *   wait (a lock Redis sets for it later is let go), release returns after a renewal interval (it only lets the next
 *   request in before the key expires by itself).
 */
import { randomUUID } from 'node:crypto'
import { UploadLockedError } from '@rufh/protocol'
import { Redis } from 'ioredis'
import type { AcquireOptions, Lease, Locker } from './locker.js'

export interface RedisLockerOptions {
  /** `redis://[user:pass@]host:port[/db]`. Default `redis://127.0.0.1:6379`. */
  url?: string
  /** Prefix of every key and channel. Default `rufh:`. */
  prefix?: string
  /**
   * Lifetime of a lock that is not renewed (a killed holder's): the longest a request on another node waits for such
   * an upload. Renewed every quarter of it; the holder stops writing when no renewal was confirmed for three quarters
   * of it. Default 4 s (`DEFAULT_LOCK_TTL_MS`); keep it well under the server's lock wait (`lockTimeoutMs`, 10 s).
   */
  ttlMs?: number
  /** How often a waiter retries when no release message arrives. Default 100 ms. */
  pollMs?: number
}

/** Deletes or extends the lock only if it still holds this lease's token. */
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
const RENEW =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"

export const DEFAULT_LOCK_TTL_MS = 4000

export class RedisLocker implements Locker {
  private readonly cmd: Redis
  private readonly sub: Redis
  private readonly prefix: string
  private readonly ttlMs: number
  private readonly pollMs: number
  /** Leases held by this process, by token. */
  private readonly held = new Map<string, AbortController>()
  /** Local waiters to wake when a release message arrives, by upload id. */
  private readonly waiters = new Map<string, Set<() => void>>()
  private readonly ready: Promise<unknown>

  constructor(options: RedisLockerOptions = {}) {
    this.prefix = options.prefix ?? 'rufh:'
    this.ttlMs = options.ttlMs ?? DEFAULT_LOCK_TTL_MS
    this.pollMs = options.pollMs ?? 100
    this.cmd = new Redis(options.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 })
    this.sub = this.cmd.duplicate()
    // Connection errors surface as failed commands (a request then fails with 500); keep them off the process.
    this.cmd.on('error', () => {})
    this.sub.on('error', () => {})
    const p = this.prefix
    this.sub.on('pmessage', (_pattern: string, channel: string, message: string) => {
      if (channel.startsWith(`${p}preempt:`)) this.held.get(message)?.abort(new Error('preempted by a newer request'))
      else if (channel.startsWith(`${p}released:`)) {
        const id = channel.slice(`${p}released:`.length)
        for (const wake of this.waiters.get(id) ?? []) wake()
      }
    })
    this.ready = this.sub.psubscribe(`${p}preempt:*`, `${p}released:*`)
  }

  async acquire(id: string, { timeoutMs }: AcquireOptions): Promise<Lease> {
    const deadline = Date.now() + timeoutMs
    // Every command is bounded by the lock wait: a Redis that does not answer gets a 423 in time, not a request
    // left waiting for as long as Redis is away (then served after its client gave up).
    await this.within(this.ready, deadline)
    const key = `${this.prefix}lock:${id}`
    const token = randomUUID()
    let preempted: string | undefined
    for (;;) {
      const sentAt = performance.now()
      const set = this.cmd.set(key, token, 'PX', this.ttlMs, 'NX')
      const got = await this.within(set, deadline).catch((e: unknown) => {
        // Redis may still run it: a lock taken for nobody is let go as soon as it answers, not left to expire.
        set.then((r) => r === 'OK' && this.cmd.eval(RELEASE, 1, key, token)).catch(() => {})
        throw e
      })
      if (got === 'OK') return this.lease(id, key, token, sentAt)
      const holder = await this.within(this.cmd.get(key), deadline)
      if (holder !== null && holder !== preempted) {
        await this.within(this.cmd.publish(`${this.prefix}preempt:${id}`, holder), deadline)
        preempted = holder
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new UploadLockedError()
      if (holder !== null) await this.releaseOf(id, Math.min(left, this.pollMs))
    }
  }

  /** `p`'s outcome, or UploadLockedError if it has none by `deadline` (Date.now() clock). */
  private async within<T>(p: Promise<T>, deadline: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UploadLockedError()), Math.max(0, deadline - Date.now()))
    })
    try {
      return await Promise.race([p, late])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Closes the connections. Locks still held expire after their TTL. */
  async close(): Promise<void> {
    for (const c of this.held.values()) c.abort(new Error('the locker is closing'))
    await Promise.allSettled([this.sub.quit(), this.cmd.quit()])
  }

  /** A lease on `key`, whose lock Redis set (or last renewed) no earlier than `sentAt` (monotonic clock). */
  private lease(id: string, key: string, token: string, sentAt: number): Lease {
    const controller = new AbortController()
    this.held.set(token, controller)
    // Proven until three quarters of the lifetime after the last confirmed renewal was sent (see the top comment).
    const proof = (this.ttlMs * 3) / 4
    let provenUntil = sentAt + proof
    let released = false
    // Set once the lock is given up (proof ran out, or another token found): for good. A renewal answered after that
    // (sent during an outage, run when Redis came back) proves nothing to a holder that has stopped, and renewing
    // would keep the key alive for a holder that no longer writes.
    let gaveUp = false
    let expiry: NodeJS.Timeout | undefined
    const lose = (why: string) => {
      gaveUp = true
      clearInterval(renewal)
      clearTimeout(expiry)
      if (!controller.signal.aborted) controller.abort(new Error(why))
    }
    const proven = (): boolean => {
      if (!gaveUp && performance.now() < provenUntil) return true
      lose('the lock could not be renewed in time')
      return false
    }
    // Fires when the proof runs out with no newer renewal confirmed; re-armed by each confirmed renewal. Node's timers
    // run on the event loop's whole-millisecond clock, not on performance.now(), and often fire up to ~2 ms before the
    // instant asked for: such an early call finds the lock still proven and re-arms for the rest. (Without that, an
    // early timer left the signal unaborted while Redis did not answer, if no write came to call held(): issue 15.)
    const arm = () => {
      clearTimeout(expiry)
      expiry = setTimeout(() => proven() && arm(), Math.max(1, Math.ceil(provenUntil - performance.now())))
      expiry.unref()
    }
    const renewal: NodeJS.Timeout = setInterval(() => {
      const at = performance.now()
      this.cmd.eval(RENEW, 1, key, token, String(this.ttlMs)).then(
        (kept) => {
          if (released || gaveUp) return
          if (kept !== 1) return lose('the lock was lost')
          if (at + proof <= provenUntil) return
          provenUntil = at + proof
          arm()
        },
        () => {}, // Redis unreachable for now: the next renewal tries again; the proof runs out meanwhile.
      )
    }, this.ttlMs / 4)
    renewal.unref()
    arm()
    return {
      signal: controller.signal,
      held: proven,
      release: async () => {
        if (released) return
        released = true
        clearInterval(renewal)
        clearTimeout(expiry)
        this.held.delete(token)
        // Releasing only lets another request in before the key expires by itself (within the lifetime: renewals
        // have stopped). The request's answer waits for it, so a Redis that does not answer holds that back for at
        // most a renewal interval; the release still runs (token-checked) when Redis answers. A failure before that
        // bound is the caller's to see, as before.
        const done = this.cmd
          .eval(RELEASE, 1, key, token)
          .then(() => this.cmd.publish(`${this.prefix}released:${id}`, token))
        done.catch(() => {})
        let bound: NodeJS.Timeout | undefined
        try {
          await Promise.race([done, new Promise((r) => (bound = setTimeout(r, this.ttlMs / 4)))])
        } finally {
          clearTimeout(bound)
        }
      },
    }
  }

  /** Resolves when a release of `id` is announced, or after `ms`. */
  private releaseOf(id: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const set = this.waiters.get(id) ?? new Set()
      this.waiters.set(id, set)
      const done = () => {
        clearTimeout(timer)
        set.delete(done)
        if (set.size === 0) this.waiters.delete(id)
        resolve()
      }
      const timer = setTimeout(done, ms)
      set.add(done)
    })
  }
}
