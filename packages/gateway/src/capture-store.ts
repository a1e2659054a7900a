/**
 * A Store decorator for spool mode: records the creation's request head in the journal before the upload is
 * created, and removes the journal's entries with the upload.
 */
import type { NewUpload, Store, UploadInfo } from '@rufh/server'
import { creationHead } from './context.js'
import type { Journal } from './journal.js'

export function capturingStore<S extends Store>(store: S, journal: Journal): S {
  const record = async (init: NewUpload) => {
    const head = creationHead(init)
    if (head) await journal.saveHead(init.id, head)
  }
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function') return value
      if (prop === 'create')
        return async (init: NewUpload): Promise<UploadInfo> => {
          await record(init)
          return target.create(init)
        }
      if (prop === 'concatenate')
        return async (init: NewUpload, parts: readonly string[]): Promise<UploadInfo> => {
          await record(init)
          return (
            target as unknown as { concatenate: (i: NewUpload, p: readonly string[]) => Promise<UploadInfo> }
          ).concatenate(init, parts)
        }
      if (prop === 'remove')
        return async (id: string): Promise<void> => {
          await target.remove(id)
          await journal.remove(id)
        }
      return (value as (...a: unknown[]) => unknown).bind(target)
    },
  })
}
