/** Keeps unfinished uploads for the life of the process (tests, or one long-running page). */
import type { StateStore, StoredUpload } from '../core/types.js'

export class MemoryStore implements StateStore {
  private readonly map = new Map<string, StoredUpload>()

  async get(key: string): Promise<StoredUpload | undefined> {
    const v = this.map.get(key)
    return v && { ...v }
  }

  async set(key: string, value: StoredUpload): Promise<void> {
    this.map.set(key, { ...value })
  }

  async remove(key: string): Promise<void> {
    this.map.delete(key)
  }

  get size(): number {
    return this.map.size
  }
}
