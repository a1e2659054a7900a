/** Removal of expired uploads (`max-age`, draft-06 §4.1.4), for stores that can list what they hold. */
import type { Config } from '../config.js'
import { isExpired } from '../rules/upload-rules.js'
import { isListable, isReclaiming } from '../stores/store.js'

export async function sweepExpired(cfg: Config): Promise<number> {
  const { store } = cfg
  if (!isListable(store)) return 0
  let removed = 0
  const now = Date.now()
  for await (const info of store.list()) {
    if (!isExpired(info, now)) continue
    // Taking the lock stops a transfer that outlived its upload.
    const lease = await cfg.locker.acquire(info.id, { timeoutMs: cfg.lockTimeoutMs })
    try {
      await store.remove(info.id)
      cfg.events.emit('terminated', info.id)
      removed++
    } finally {
      await lease.release()
    }
  }
  if (removed) cfg.logger?.info({ removed }, 'removed expired uploads')
  return removed
}

/** Removal of what crashes left that no upload names (a concatenation's data file without info: disk-orphans.ts). */
export async function reclaimOrphans(cfg: Config): Promise<number> {
  if (!isReclaiming(cfg.store)) return 0
  const removed = await cfg.store.reclaim()
  if (removed) cfg.logger?.info({ removed }, 'removed files that crashes left')
  return removed
}
