/** `latency`: every chunk waits `latency` ± `jitter` ms (jitter drawn from the seed), never overtaking earlier ones. */
import { type Item, now, Stage, TimedQueue } from '../chain.js'
import type { LatencyToxic } from '../toxic-spec.js'

export class LatencyStage extends Stage<LatencyToxic> {
  readonly #queue = new TimedQueue((item) => this.next.push(item))

  push(item: Item): void {
    // A marker gets no delay of its own; it just keeps its place behind the data before it.
    if (typeof item === 'string') {
      this.#queue.enqueue(item, 0)
      return
    }
    const { latency, jitter } = this.spec.attributes
    const delay = Math.max(0, jitter > 0 ? latency + this.ctx.rng.int(-jitter, jitter) : latency)
    this.ctx.trace('delay', () => ({ ms: delay, bytes: item.length }))
    this.#queue.enqueue(item, now() + delay)
  }

  override held(): number {
    return this.#queue.bytes
  }

  override flush(): void {
    this.#queue.flush()
  }

  override destroy(): void {
    this.#queue.clear()
  }
}
