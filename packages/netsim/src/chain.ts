/**
 * The pieces a link is built from. Bytes move through a chain of stages as `Item`s: data buffers and markers. A
 * marker travels in order with the data so that "close after these bytes" means exactly that even when a latency or
 * bandwidth stage is holding the bytes back.
 */
import { performance } from 'node:perf_hooks'
import type { Rng } from './rng.js'
import type { Stream, ToxicSpec } from './toxic-spec.js'

/**
 * `end`: the source half-closed (FIN); pass it on. `close`: end this direction after the data before it, then tear
 * the connection down. `reset`: reset both sockets (RST). `freeze`: from here on forward nothing, close nothing.
 */
export type Marker = 'end' | 'close' | 'reset' | 'freeze'
export type Item = Buffer | Marker

export interface Sink {
  push(item: Item): void
}

/** What a fault did, for tests and logs. Emitted by `Netsim` as `'fault'`. */
export interface FaultEvent {
  proxy: string
  /** The connection's number within its proxy, counting from 0 in accept order. */
  connection: number
  stream: Stream
  toxic: string
  type: ToxicSpec['type']
  fault: string
  /** For HTTP faults: the request's number among those the toxic matched (1-based). */
  request?: number
  detail?: Record<string, number | string | boolean>
}

/** Connection-wide actions a stage may take out of band (a timeout closing, a reset after a delay). */
export interface ConnectionControl {
  close(): void
  reset(): void
  freeze(): void
}

export interface StageContext {
  readonly proxy: string
  readonly connection: number
  readonly stream: Stream
  /** Draws for this toxic on this connection only. */
  readonly rng: Rng
  readonly conn: ConnectionControl
  /** Reports a fault; the detail is built only if someone is listening. */
  trace(fault: string, detail?: () => Record<string, number | string | boolean>): void
  /** State shared by every connection of the proxy for this toxic (a shared bandwidth pacer), made on first use. */
  shared<T>(make: () => T): T
}

export const now = (): number => performance.now()

export abstract class Stage<S extends ToxicSpec = ToxicSpec> implements Sink {
  next: Sink
  spec: S

  constructor(
    spec: S,
    protected readonly ctx: StageContext,
    next: Sink,
  ) {
    this.spec = spec
    this.next = next
  }

  abstract push(item: Item): void

  /** Bytes held back, counted toward the link's backpressure limit. */
  held(): number {
    return 0
  }

  /** New attributes for a live stage; state (bytes counted, pacing) carries over as toxiproxy's does. */
  update(spec: S): void {
    this.spec = spec
  }

  /** The toxic is being removed: hand everything held to `next` now, in order, and stop all timers. */
  flush(): void {}

  /** The connection is gone: stop all timers, drop what is held. */
  destroy(): void {}
}

/**
 * A FIFO of items, each released at or after its time, never before an earlier item. One timer at a time, set for
 * the head. Release times are absolute so that late timer callbacks do not add up to drift.
 */
export class TimedQueue {
  #items: { item: Item; at: number }[] = []
  #head = 0
  #bytes = 0
  #last = 0
  #timer: NodeJS.Timeout | undefined

  constructor(private readonly out: (item: Item) => void) {}

  /** The time the last queued item goes out (or went out): later items cannot leave before it. */
  get lastRelease(): number {
    return this.#last
  }

  get bytes(): number {
    return this.#bytes
  }

  get empty(): boolean {
    return this.#head === this.#items.length
  }

  enqueue(item: Item, at: number): void {
    const t = Math.max(at, this.#last)
    this.#last = t
    if (this.empty && t <= now()) {
      this.out(item)
      return
    }
    this.#items.push({ item, at: t })
    if (typeof item !== 'string') this.#bytes += item.length
    if (this.#timer === undefined) this.#arm()
  }

  #arm(): void {
    const first = this.#items[this.#head]
    if (!first) return
    const wait = Math.max(0, Math.ceil(first.at - now()))
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#release()
    }, wait)
  }

  #release(): void {
    const t = now()
    while (this.#head < this.#items.length) {
      const e = this.#items[this.#head]!
      if (e.at > t) break
      this.#take()
      this.out(e.item)
    }
    this.#compact()
    if (!this.empty && this.#timer === undefined) this.#arm()
  }

  #take(): void {
    const e = this.#items[this.#head]!
    this.#items[this.#head] = undefined as never
    this.#head++
    if (typeof e.item !== 'string') this.#bytes -= e.item.length
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = []
      this.#head = 0
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
  }

  /** Releases everything now, in order. */
  flush(): void {
    this.#stop()
    while (this.#head < this.#items.length) {
      const e = this.#items[this.#head]!
      this.#take()
      this.out(e.item)
    }
    this.#compact()
    this.#last = Math.min(this.#last, now())
  }

  clear(): void {
    this.#stop()
    this.#items = []
    this.#head = 0
    this.#bytes = 0
  }

  #stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
