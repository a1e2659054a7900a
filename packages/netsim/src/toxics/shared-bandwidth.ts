/**
 * `shared_bandwidth` (netsim only): one `rate` (KB/s) for the whole proxy in that stream, as when every connection
 * crosses the same slow link. The pacer serves the connections' queues by deficit round-robin: each turn grants a
 * connection a quantum of bytes, so concurrent connections share the budget by bytes, whatever sizes their reads
 * happen to have, and the first one to fill its queue does not get ahead.
 */
import { type Item, now, type Sink, Stage, type StageContext } from '../chain.js'
import type { SharedBandwidthToxic } from '../toxic-spec.js'
import { BURST_MS, pieceSize } from './bandwidth.js'

/** Bytes a connection may send per turn; about one socket read. */
const QUANTUM = 64 * 1024

interface Member {
  readonly queue: Item[]
  head: number
  /** Bytes this connection may still send in its current turn. */
  deficit: number
  out(item: Item): void
}

const hasData = (m: Member): boolean => m.head < m.queue.length

export class SharedPacer {
  rate: number
  #members: Member[] = []
  #turn = 0
  /** Whether the member whose turn it is has been given its quantum yet. */
  #granted = false
  /** When the wire is next free, on the same virtual clock as the per-connection pacer. */
  #nextFree = Number.NEGATIVE_INFINITY
  #timer: NodeJS.Timeout | undefined

  constructor(rate: number) {
    this.rate = rate
  }

  join(m: Member): void {
    this.#members.push(m)
  }

  leave(m: Member): void {
    this.#members = this.#members.filter((x) => x !== m)
  }

  /** New data was queued: start the wire if it was idle. */
  kick(): void {
    if (this.#timer !== undefined) return
    // An idle wire banks at most BURST_MS of the time it spent idle (none before its first byte).
    const t = now()
    this.#nextFree = this.#nextFree === Number.NEGATIVE_INFINITY ? t : Math.max(this.#nextFree, t - BURST_MS)
    this.#pump()
  }

  #nextTurn(): void {
    this.#turn = (this.#turn + 1) % Math.max(1, this.#members.length)
    this.#granted = false
  }

  #pump(): void {
    const t = now()
    for (;;) {
      if (!this.#members.some(hasData)) return
      const m = this.#members[this.#turn % this.#members.length]!
      if (!hasData(m)) {
        m.deficit = 0
        this.#nextTurn()
        continue
      }
      if (!this.#granted) {
        m.deficit += QUANTUM
        this.#granted = true
      }
      const item = m.queue[m.head]!
      if (typeof item !== 'string') {
        if (item.length > m.deficit) {
          this.#nextTurn()
          continue
        }
        // Rate 0 is unlimited: what was queued before the change still leaves in order, at once.
        const end = this.rate > 0 ? this.#nextFree + item.length / this.rate : this.#nextFree
        if (end > t) {
          this.#timer = setTimeout(
            () => {
              this.#timer = undefined
              this.#pump()
            },
            Math.ceil(end - t),
          )
          return
        }
        this.#nextFree = end
        m.deficit -= item.length
      }
      m.queue[m.head++] = undefined as never
      if (m.head === m.queue.length) {
        m.queue.length = 0
        m.head = 0
      }
      m.out(item)
    }
  }
}

export class SharedBandwidthStage extends Stage<SharedBandwidthToxic> {
  readonly #pacer: SharedPacer
  readonly #member: Member
  #bytes = 0

  constructor(spec: SharedBandwidthToxic, ctx: StageContext, next: Sink) {
    super(spec, ctx, next)
    const rate = spec.attributes.rate
    this.#pacer = ctx.shared(() => new SharedPacer(rate))
    this.#member = {
      queue: [],
      head: 0,
      deficit: 0,
      out: (item) => {
        if (typeof item !== 'string') this.#bytes -= item.length
        this.next.push(item)
      },
    }
    this.#pacer.join(this.#member)
  }

  push(item: Item): void {
    const q = this.#member
    const rate = this.spec.attributes.rate
    if (rate <= 0 && q.head === q.queue.length) {
      this.next.push(item)
      return
    }
    if (typeof item !== 'string') this.#bytes += item.length
    if (typeof item === 'string' || rate <= 0) q.queue.push(item)
    else {
      const size = pieceSize(rate)
      for (let off = 0; off < item.length; off += size)
        q.queue.push(item.subarray(off, Math.min(item.length, off + size)))
    }
    this.#pacer.kick()
  }

  override update(spec: SharedBandwidthToxic): void {
    super.update(spec)
    this.#pacer.rate = spec.attributes.rate
  }

  override held(): number {
    return this.#bytes
  }

  override flush(): void {
    const q = this.#member
    this.#pacer.leave(q)
    const items = q.queue.slice(q.head)
    q.queue.length = 0
    q.head = 0
    this.#bytes = 0
    for (const item of items) this.next.push(item)
  }

  override destroy(): void {
    this.#pacer.leave(this.#member)
    this.#member.queue.length = 0
    this.#member.head = 0
    this.#bytes = 0
  }
}
