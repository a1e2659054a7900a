/**
 * `slicer`: cuts data into pieces of `average_size` ± `size_variation` bytes (drawn from the seed), sent `delay`
 * microseconds apart. Exercises parsers that assume a read holds a whole header or a whole chunk. Slice boundaries
 * are positions in the byte stream: a slice a read ends in the middle of is finished from the next read, so how the
 * kernel happened to split the reads does not change which sizes are drawn.
 */
import { type Item, now, Stage, TimedQueue } from '../chain.js'
import type { SlicerToxic } from '../toxic-spec.js'

export class SlicerStage extends Stage<SlicerToxic> {
  readonly #queue = new TimedQueue((item) => this.next.push(item))
  #nextAt = 0
  /** Bytes still owed to the current slice. */
  #left = 0

  push(item: Item): void {
    if (typeof item === 'string') {
      this.#queue.enqueue(item, 0)
      return
    }
    const { average_size, size_variation, delay } = this.spec.attributes
    const gap = delay / 1000
    let off = 0
    while (off < item.length) {
      if (this.#left === 0) {
        const size = Math.max(
          1,
          average_size + (size_variation > 0 ? this.ctx.rng.int(-size_variation, size_variation) : 0),
        )
        this.#left = size
        this.ctx.trace('slice', () => ({ bytes: size }))
      }
      const piece = item.subarray(off, Math.min(item.length, off + this.#left))
      off += piece.length
      this.#left -= piece.length
      const at = Math.max(now(), this.#nextAt)
      this.#nextAt = at + gap
      this.#queue.enqueue(piece, gap > 0 ? at : 0)
    }
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
