/** `limit_data`: forwards `bytes` bytes in total, then closes the connection; the count survives updates. */
import { type Item, Stage } from '../chain.js'
import type { LimitDataToxic } from '../toxic-spec.js'

export class LimitDataStage extends Stage<LimitDataToxic> {
  #sent = 0
  #done = false

  push(item: Item): void {
    if (this.#done) return
    if (typeof item === 'string') {
      this.next.push(item)
      return
    }
    const left = this.spec.attributes.bytes - this.#sent
    const part = left < item.length ? item.subarray(0, Math.max(0, left)) : item
    if (part.length > 0) {
      this.#sent += part.length
      this.next.push(part)
    }
    if (this.#sent >= this.spec.attributes.bytes) {
      this.#done = true
      this.ctx.trace('limit', () => ({ bytes: this.#sent }))
      // In band, so the close follows the permitted bytes even through a slow stage after this one.
      this.next.push('close')
    }
  }
}
