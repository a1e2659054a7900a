/**
 * A request body that can also hand its chunks to a store as they arrive, instead of being pulled with `next()`.
 *
 * Why: on a held upload each pull waits half a second for its chunk, and a wait costs a pending promise with its
 * resolvers plus the store's `await` of it (about 600 bytes per chunk in V8's sampling heap profiler, issue 17). Those
 * objects live through the wait, long enough to be copied by a young-generation collection, and garbage made that way
 * is what a server holding thousands of uploads spends its collector's time and its heap on. Pushed chunks cost no
 * object per wait. The body reader (procedures/body-reader.ts) offers this for Node streams; a store that does not
 * know it pulls as before, and any other body is only pulled.
 */

export interface ChunkSink {
  /**
   * One chunk, the sink's to keep. Answers false to take no more until the body's `resume()`, which must come later
   * (from a callback), not from within `take`: the body is still passing chunks on then, so it does nothing.
   */
  take(chunk: Uint8Array): boolean
  /**
   * No more chunks: the body ended or was stopped (`error` undefined: the body says which, as when pulled), or
   * reading it threw `error`. Called once, and never after the body's `return()`.
   */
  done(error?: unknown): void
}

export interface PushBody extends AsyncIterable<Uint8Array> {
  /** Whether `pushTo` works for this body; when false it can only be pulled. */
  readonly canPush: boolean
  /** Starts handing chunks to `sink`: at most once, and never with pulls of the same body. */
  pushTo(sink: ChunkSink): void
  /** Goes on after `take` answered false. */
  resume(): void
  /** Stops early, as an iterator's `return()`: `done` is not called after it. */
  return(): Promise<IteratorResult<Uint8Array>>
}

export function isPushBody(body: AsyncIterable<Uint8Array>): body is PushBody {
  const b = body as Partial<PushBody>
  return b.canPush === true && typeof b.pushTo === 'function' && typeof b.resume === 'function'
}
