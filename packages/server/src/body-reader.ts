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
    let wake: ((reason: StopReason) => void) | undefined
    const onClient = () => wake?.('client')
    const onPreempt = () => wake?.('preempted')
    const onShutdown = () => wake?.('shutdown')
    client.addEventListener('abort', onClient)
    preempt.addEventListener('abort', onPreempt)
    shutdown.addEventListener('abort', onShutdown)
    try {
      for (;;) {
        const already = preempt.aborted ? 'preempted' : shutdown.aborted ? 'shutdown' : undefined
        if (already) {
          this.stopped = already
          return
        }
        let timer: NodeJS.Timeout | undefined
        const stop = new Promise<StopReason>((resolve) => {
          wake = resolve
          timer = setTimeout(() => resolve('idle'), idleMs)
        })
        let next: IteratorResult<Uint8Array> | StopReason
        const pending = it.next()
        // If we stop first, the pending read may still fail later (the client resets): that is expected, not a crash.
        pending.catch(() => {})
        try {
          next = await Promise.race([pending, stop])
        } catch (e) {
          this.error = e
          this.stopped = 'client'
          return
        } finally {
          clearTimeout(timer)
          wake = undefined
        }
        if (typeof next === 'string') {
          this.stopped = next
          return
        }
        if (next.done) {
          this.ended = true
          return
        }
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
      client.removeEventListener('abort', onClient)
      preempt.removeEventListener('abort', onPreempt)
      shutdown.removeEventListener('abort', onShutdown)
    }
  }
}
