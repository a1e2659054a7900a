/** A minimal typed event emitter (no inheritance, no Node `events`): `on` returns the function that unsubscribes. */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(e: never) => void>>()

  on<K extends keyof Events>(name: K, fn: (e: Events[K]) => void): () => void {
    let set = this.listeners.get(name)
    if (!set) {
      set = new Set()
      this.listeners.set(name, set)
    }
    set.add(fn as (e: never) => void)
    return () => this.off(name, fn)
  }

  off<K extends keyof Events>(name: K, fn: (e: Events[K]) => void): void {
    this.listeners.get(name)?.delete(fn as (e: never) => void)
  }

  emit<K extends keyof Events>(name: K, e: Events[K]): void {
    const set = this.listeners.get(name)
    if (!set) return
    for (const fn of set) (fn as (e: Events[K]) => void)(e)
  }
}
