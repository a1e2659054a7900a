/**
 * How many bytes one request may carry: the caller's chunk size, narrowed by the server's `Upload-Limit`
 * (draft-09 §4.1.4: clients aware of `max-append-size`/`min-append-size` MUST obey them) and by 413 answers
 * (draft -12: retry with a size between the two). Pure.
 */
import type { Limits } from '@rufh/protocol'
import { LimitExceededError } from '../errors.js'

export class Sizing {
  /** Current cap per request, before limits. */
  private cap: number
  private limits: Limits = {}

  constructor(chunkSize: number) {
    if (!(chunkSize > 0)) throw new RangeError('chunkSize must be positive')
    this.cap = chunkSize
  }

  /** Merges newly learned limits (later announcements override earlier ones, key by key). */
  learn(l: Limits | undefined): void {
    if (l) this.limits = { ...this.limits, ...l }
  }

  get known(): Readonly<Limits> {
    return this.limits
  }

  /** The most content one append (or, from I9, creation) may carry now. */
  get appendSize(): number {
    let n = this.cap
    const { maxAppendSize, minAppendSize } = this.limits
    if (maxAppendSize !== undefined) n = Math.min(n, maxAppendSize)
    if (minAppendSize !== undefined) n = Math.max(n, minAppendSize)
    return Math.max(1, n)
  }

  /** The most content a creation request carries before I9 (append limits do not bind creation there). */
  get creationSize(): number {
    return this.cap
  }

  /** After a 413: use the announced maximum, or half of what was refused. Returns false when it cannot shrink. */
  shrink(refused: number, announcedMax: number | undefined): boolean {
    if (announcedMax !== undefined && announcedMax < refused) {
      this.learn({ maxAppendSize: announcedMax })
      this.cap = Math.min(this.cap, announcedMax)
      return true
    }
    const floor = this.limits.minAppendSize ?? 1
    const next = Math.floor(refused / 2)
    if (next < Math.max(1, floor)) return false
    this.cap = next
    return true
  }

  /** Throws when `size` bytes can never be accepted (`max-size`). */
  checkSize(size: number | undefined): void {
    const max = this.limits.maxSize
    if (size !== undefined && max !== undefined && size > max) throw new LimitExceededError('max-size', size, max)
  }
}
