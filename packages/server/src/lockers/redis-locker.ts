/**
 * A locker shared by several server processes through Redis, for scale-out on a shared store: the same rules as
 * MemoryLocker (one transfer per upload, draft-09 §4.4; a newer request asks the holder to stop, draft-06 §4.4),
 * across nodes.
 *
 * - The lock is a key holding the lease's random token, set with NX and a TTL that the holder renews while it holds
 *   it, so a crashed node's locks expire by themselves. Release and renewal check the token (a Lua script), so a
 *   node never deletes or extends a lock that is no longer its own.
 * - Preemption is a message on `PREFIX preempt:ID` carrying the holder's token; the node holding that lease aborts
 *   its signal. A waiter learns of a release from `PREFIX released:ID`, and polls as a fallback.
 * - A holder that loses its lock (its renewal found another token, e.g. after a stall longer than the TTL) has its
 *   signal aborted too, so it stops writing.
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
  /** Lifetime of a lock that is not renewed (a crashed holder's). Renewed every third of it. Default 30 s. */
  ttlMs?: number
  /** How often a waiter retries when no release message arrives. Default 100 ms. */
  pollMs?: number
}

/** Deletes or extends the lock only if it still holds this lease's token. */
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
const RENEW =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"

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
    this.ttlMs = options.ttlMs ?? 30_000
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
    await this.ready
    const key = `${this.prefix}lock:${id}`
    const token = randomUUID()
    const deadline = Date.now() + timeoutMs
    let preempted: string | undefined
    while ((await this.cmd.set(key, token, 'PX', this.ttlMs, 'NX')) !== 'OK') {
      const holder = await this.cmd.get(key)
      if (holder !== null && holder !== preempted) {
        await this.cmd.publish(`${this.prefix}preempt:${id}`, holder)
        preempted = holder
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new UploadLockedError()
      if (holder !== null) await this.releaseOf(id, Math.min(left, this.pollMs))
    }
    return this.lease(id, key, token)
  }

  /** Closes the connections. Locks still held expire after their TTL. */
  async close(): Promise<void> {
    for (const c of this.held.values()) c.abort(new Error('the locker is closing'))
    await Promise.allSettled([this.sub.quit(), this.cmd.quit()])
  }

  private lease(id: string, key: string, token: string): Lease {
    const controller = new AbortController()
    this.held.set(token, controller)
    const renewal = setInterval(() => {
      this.cmd.eval(RENEW, 1, key, token, String(this.ttlMs)).then(
        (kept) => {
          if (kept !== 1) controller.abort(new Error('the lock was lost'))
        },
        () => {}, // Redis unreachable for now: the next renewal tries again; the TTL bounds how long.
      )
    }, this.ttlMs / 3)
    renewal.unref()
    let released = false
    return {
      signal: controller.signal,
      release: async () => {
        if (released) return
        released = true
        clearInterval(renewal)
        this.held.delete(token)
        await this.cmd.eval(RELEASE, 1, key, token)
        await this.cmd.publish(`${this.prefix}released:${id}`, token)
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
