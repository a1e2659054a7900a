/**
 * `timeout`: nothing gets through (data is read and dropped, so the sender is not blocked), and after `timeout` ms
 * the whole connection is closed. With `timeout` 0 the connection stays open and silent until the toxic goes.
 */
import { type Item, type Sink, Stage, type StageContext } from '../chain.js'
import type { TimeoutToxic } from '../toxic-spec.js'

export class TimeoutStage extends Stage<TimeoutToxic> {
  #timer: NodeJS.Timeout | undefined

  constructor(spec: TimeoutToxic, ctx: StageContext, next: Sink) {
    super(spec, ctx, next)
    this.#arm()
  }

  #arm(): void {
    this.#disarm()
    const ms = this.spec.attributes.timeout
    if (ms <= 0) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.ctx.trace('timeout', () => ({ ms }))
      this.ctx.conn.close()
    }, ms)
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  push(item: Item): void {
    if (typeof item === 'string') this.next.push(item)
    else this.ctx.trace('drop', () => ({ bytes: item.length }))
  }

  /** Like toxiproxy, a changed toxic starts over: the timeout counts from the update. */
  override update(spec: TimeoutToxic): void {
    super.update(spec)
    this.#arm()
  }

  override flush(): void {
    this.#disarm()
  }

  override destroy(): void {
    this.#disarm()
  }
}
