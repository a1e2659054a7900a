/** `slow_close`: data passes, but the end of the stream (FIN, or a close) is held back `delay` ms. */
import { type Item, now, Stage, TimedQueue } from '../chain.js'
import type { SlowCloseToxic } from '../toxic-spec.js'

export class SlowCloseStage extends Stage<SlowCloseToxic> {
  readonly #queue = new TimedQueue((item) => this.next.push(item))

  push(item: Item): void {
    if (item === 'end' || item === 'close') {
      this.ctx.trace('slow-close', () => ({ ms: this.spec.attributes.delay }))
      this.#queue.enqueue(item, now() + this.spec.attributes.delay)
      return
    }
    this.#queue.enqueue(item, 0)
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
