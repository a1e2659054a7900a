/** `reset_peer`: on the first data, drop it, wait `timeout` ms, then reset the connection (RST, not FIN). */
import { type Item, Stage } from '../chain.js'
import type { ResetPeerToxic } from '../toxic-spec.js'

export class ResetPeerStage extends Stage<ResetPeerToxic> {
  #timer: NodeJS.Timeout | undefined
  #armed = false

  push(item: Item): void {
    if (typeof item === 'string') {
      this.next.push(item)
      return
    }
    if (this.#armed) return
    this.#armed = true
    const ms = this.spec.attributes.timeout
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.ctx.trace('reset', () => ({ ms }))
      this.ctx.conn.reset()
    }, ms)
  }

  override flush(): void {
    this.destroy()
  }

  override destroy(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
