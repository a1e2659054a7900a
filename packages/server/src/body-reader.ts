/**
 * Wraps a request body for a store: it ends the stream cleanly instead of failing it, so the store persists every
 * byte it got (draft-04 §4.4: a partly received append keeps its contiguous prefix). It stops when
 * - the client goes away or the body errors (`client`),
 * - another request preempts this one (`preempted`), or the server shuts down (`shutdown`),
 * - no byte arrives for `idleMs` (`idle`: a half-open connection must not hold the upload forever),
 * - `limit` bytes were passed on and more arrive (`limit`).
 * It never calls the source's `return()`: destroying the request would lose the chance to answer it.
 */
export type StopReason = 'client' | 'preempted' | 'shutdown' | 'idle' | 'limit'

export interface BodyReaderOptions {
  limit?: number | undefined
  idleMs: number
  client: AbortSignal
  preempt: AbortSignal
  shutdown: AbortSignal
}

export class BodyReader implements AsyncIterable<Uint8Array> {
  bytes = 0
  stopped: StopReason | undefined
  /** The body ended normally: every byte the client sent was passed on. */
  ended = false
  error: unknown

  constructor(
    private readonly source: AsyncIterable<Uint8Array>,
    private readonly options: BodyReaderOptions,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const it = this.source[Symbol.asyncIterator]()
    const { client, preempt, shutdown, idleMs, limit } = this.options
    // One pending read at a time; a stop signal settles it early. No promise or timer outlives its read.
    let settle: ((r: IteratorResult<Uint8Array> | StopReason) => void) | undefined
    const wake = (reason: StopReason) => settle?.(reason)
    const onClient = () => wake('client')
    const onPreempt = () => wake('preempted')
    const onShutdown = () => wake('shutdown')
    client.addEventListener('abort', onClient)
    preempt.addEventListener('abort', onPreempt)
    shutdown.addEventListener('abort', onShutdown)
    // One idle timer per body, re-armed lazily from the time of the last chunk (not one timer per chunk).
    let lastData = Date.now()
    let idle: NodeJS.Timeout
    const check = () => {
      const quiet = Date.now() - lastData
      if (quiet >= idleMs) wake('idle')
      else idle = setTimeout(check, idleMs - quiet)
    }
    idle = setTimeout(check, idleMs)
    try {
      for (;;) {
        const already = preempt.aborted ? 'preempted' : shutdown.aborted ? 'shutdown' : undefined
        if (already) {
          this.stopped = already
          return
        }
        let next: IteratorResult<Uint8Array> | StopReason
        try {
          next = await new Promise<IteratorResult<Uint8Array> | StopReason>((resolve, reject) => {
            settle = resolve
            // If a stop wins, this read may still fail later (the client resets): expected, not a crash.
            it.next().then(resolve, (e: unknown) => reject(e))
          })
        } catch (e) {
          this.error = e
          this.stopped = 'client'
          return
        } finally {
          settle = undefined
        }
        if (typeof next === 'string') {
          this.stopped = next
          return
        }
        if (next.done) {
          this.ended = true
          return
        }
        lastData = Date.now()
        let chunk = next.value
        if (limit !== undefined && this.bytes + chunk.byteLength > limit) {
          chunk = chunk.subarray(0, limit - this.bytes)
          this.stopped = 'limit'
        }
        this.bytes += chunk.byteLength
        if (chunk.byteLength > 0) yield chunk
        if (this.stopped) return
      }
    } finally {
      clearTimeout(idle)
      client.removeEventListener('abort', onClient)
      preempt.removeEventListener('abort', onPreempt)
      shutdown.removeEventListener('abort', onShutdown)
    }
  }
}
