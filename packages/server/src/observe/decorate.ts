/**
 * A store with some of its methods replaced (metrics, hooks). A Proxy rather than a wrapper class, so that whatever
 * optional capability the store has (listing, reading, truncating, concatenating) stays visible to the type guards.
 */
import type { ConcatenatingStore, Store } from '../stores/store.js'

export function decorate<S extends Store>(store: S, overrides: Partial<ConcatenatingStore>): S {
  return new Proxy(store, {
    get(target, key) {
      if (typeof key === 'string' && key in overrides) return overrides[key as keyof typeof overrides]
      const v: unknown = Reflect.get(target, key)
      return typeof v === 'function' ? v.bind(target) : v
    },
  })
}
