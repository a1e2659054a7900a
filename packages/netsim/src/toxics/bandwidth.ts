/**
 * `bandwidth` (per connection) and `shared_bandwidth` (one budget for every connection of the proxy). `rate` is in
 * KB/s with toxiproxy's KB of 1000 bytes; 0 means unlimited. Bytes are paced on a virtual clock: each piece reserves
 * the wire from when the previous one finished, so timer lateness does not accumulate into a lower rate.
 */
import { type Item, Stage, type StageContext, type Sink, TimedQueue, now } from '../chain.js'
import type { BandwidthToxic, SharedBandwidthToxic } from '../toxic-spec.js'

export class Pacer {
  #nextFree = 0
  /** Bytes per millisecond, which is KB/s. */
  rate: number

  constructor(rate: number) {
    this.rate = rate
  }

  /** Reserves the wire for `bytes` and returns when the last of them has gone out. */
  reserve(bytes: number, t: number): number {
    const start = Math.max(t, this.#nextFree)
    this.#nextFree = start + bytes / this.rate
    return this.#nextFree
  }
}

/** Pieces of about 10 ms at the current rate, so a large read does not leave in one late burst. */
function pieceSize(rate: number): number {
  return Math.max(1024, Math.floor(rate * 10))
}

export class BandwidthStage extends Stage<BandwidthToxic | SharedBandwidthToxic> {
  readonly #queue = new TimedQueue((item) => this.next.push(item))
  readonly #pacer: Pacer

  constructor(spec: BandwidthToxic | SharedBandwidthToxic, ctx: StageContext, next: Sink) {
    super(spec, ctx, next)
    const rate = spec.attributes.rate
    this.#pacer = spec.type === 'shared_bandwidth' ? ctx.shared(() => new Pacer(rate)) : new Pacer(rate)
  }

  push(item: Item): void {
    const rate = this.spec.attributes.rate
    if (typeof item === 'string' || rate <= 0) return this.#queue.enqueue(item, 0)
    const size = pieceSize(rate)
    for (let off = 0; off < item.length; off += size) {
      const piece = item.subarray(off, Math.min(item.length, off + size))
      this.#queue.enqueue(piece, this.#pacer.reserve(piece.length, now()))
    }
  }

  override update(spec: BandwidthToxic | SharedBandwidthToxic): void {
    super.update(spec)
    this.#pacer.rate = spec.attributes.rate
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
