/**
 * `bandwidth`: one connection's stream limited to `rate` KB/s (toxiproxy's KB of 1000 bytes; 0 means unlimited).
 * Bytes are paced on a virtual clock: each piece reserves the wire from when the previous one finished, so timer
 * lateness does not accumulate into a lower rate.
 */
import { type Item, now, type Sink, Stage, type StageContext, TimedQueue } from '../chain.js'
import type { BandwidthToxic } from '../toxic-spec.js'

/**
 * How far the wire's clock may lag behind real time. When the process is not scheduled for a few milliseconds (a
 * busy 2-core CI machine), the queue can run dry although the sender has more; without this credit that time would
 * simply be lost and the long-run rate would fall short. As with a token bucket's depth, it also lets up to this much
 * time's worth of data go at once after a pause; a stream's very first bytes get no credit.
 */
export const BURST_MS = 50

export class Pacer {
  #nextFree = Number.NEGATIVE_INFINITY
  /** Bytes per millisecond, which is KB/s. */
  rate: number

  constructor(rate: number) {
    this.rate = rate
  }

  /** Reserves the wire for `bytes` and returns when the last of them has gone out. */
  reserve(bytes: number, t: number): number {
    const start = this.#nextFree === Number.NEGATIVE_INFINITY ? t : Math.max(t - BURST_MS, this.#nextFree)
    this.#nextFree = start + bytes / this.rate
    return this.#nextFree
  }
}

/** Pieces of about 10 ms at the current rate, so a large read does not leave in one late burst. */
export function pieceSize(rate: number): number {
  return Math.max(1024, Math.floor(rate * 10))
}

export class BandwidthStage extends Stage<BandwidthToxic> {
  readonly #queue = new TimedQueue((item) => this.next.push(item))
  readonly #pacer: Pacer

  constructor(spec: BandwidthToxic, ctx: StageContext, next: Sink) {
    super(spec, ctx, next)
    this.#pacer = new Pacer(spec.attributes.rate)
  }

  push(item: Item): void {
    const rate = this.spec.attributes.rate
    if (typeof item === 'string' || rate <= 0) {
      this.#queue.enqueue(item, 0)
      return
    }
    const size = pieceSize(rate)
    for (let off = 0; off < item.length; off += size) {
      const piece = item.subarray(off, Math.min(item.length, off + size))
      this.#queue.enqueue(piece, this.#pacer.reserve(piece.length, now()))
    }
  }

  override update(spec: BandwidthToxic): void {
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
