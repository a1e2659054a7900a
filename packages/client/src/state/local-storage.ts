/**
 * Unfinished uploads in the page's `localStorage` (survives reloads), under keys prefixed `rufh:`. It does not remember
 * versions (`StateStore.setVersion`): pages create carefully anyway, so a guessed version costs no content, and
 * nothing is left in `localStorage` once the uploads are done.
 */
import type { StateStore, StoredUpload } from '../core/types.js'
import { parseStored } from './parse.js'

interface KeyValue {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

export class LocalStorageStore implements StateStore {
  constructor(
    private readonly storage: KeyValue = globalThis.localStorage,
    private readonly prefix = 'rufh:',
  ) {}

  async get(key: string): Promise<StoredUpload | undefined> {
    const v = this.storage.getItem(this.prefix + key)
    return v === null ? undefined : parseStored(v)
  }

  async set(key: string, value: StoredUpload): Promise<void> {
    this.storage.setItem(this.prefix + key, JSON.stringify(value))
  }

  async remove(key: string): Promise<void> {
    this.storage.removeItem(this.prefix + key)
  }
}

/** The page's localStorage, or undefined where there is none (workers, private modes that throw). */
export function defaultBrowserStore(): LocalStorageStore | undefined {
  try {
    const s = globalThis.localStorage
    if (!s) return undefined
    s.getItem('rufh:probe')
    return new LocalStorageStore(s)
  } catch {
    return undefined
  }
}
