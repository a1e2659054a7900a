/** Keeps unfinished uploads for the life of the process (tests, or one long-running page). */
import type { KnownVersion, StateStore, StoredUpload } from '../core/types.js'

export class MemoryStore implements StateStore {
  private readonly map = new Map<string, StoredUpload>()
  private readonly versions = new Map<string, KnownVersion>()

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

  async getVersion(endpoint: string): Promise<KnownVersion | undefined> {
    const v = this.versions.get(endpoint)
    return v && { ...v }
  }

  async setVersion(endpoint: string, value: KnownVersion | undefined): Promise<void> {
    if (value) this.versions.set(endpoint, { ...value })
    else this.versions.delete(endpoint)
  }

  /** Unfinished uploads held (remembered versions are not counted). */
  get size(): number {
    return this.map.size
  }
}
