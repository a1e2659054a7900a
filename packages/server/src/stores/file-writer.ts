/**
 * The disk store's write queue for one append: chunks are queued as they arrive and written in batches, one `writev`
 * per batch at the next position, on node:fs's callback API.
 *
 * Callbacks rather than an async loop: on a held upload every chunk is a batch of its own, and an async function per
 * batch and per write (each with its promise, its awaits and the closures that settle them) allocated about 1.9 KB
 * per 16 KiB chunk, against nothing here but the batch's array and the write's callback (issue 17, V8's sampling
 * heap profiler in docs/benchmarks.md). Garbage made per chunk is what V8's heap grows by when many uploads are held.
 */
import { writev } from 'node:fs'
import { unwritten } from './fd.js'
import { releaseChunk } from './release.js'

const SETTLED: Promise<void> = Promise.resolve()

export class FileWriter {
  /** Where the next batch goes: every byte before it is written. */
  pos: number
  /** Bytes queued and not yet handed to a write. */
  queued = 0
  /** The first write that failed (or `fail`'s reason); nothing more is written after it. */
  failure: unknown
  private queue: Uint8Array[] = []
  /** The last batch's array, emptied, to queue the next one in: no new array per chunk (issue 17). */
  private spare: Uint8Array[] = []
  private busy = false
  private fd: number | undefined
  /** Resolves a `settled` wait. */
  private idle: (() => void) | undefined
  /** Resolves a `moved` wait. */
  private moving: (() => void) | undefined

  constructor(
    start: number,
    private readonly onWritten?: ((pos: number) => void) | undefined,
    /** Free each chunk's memory once written (release.ts, AppendOptions.release). */
    private readonly release?: boolean | undefined,
  ) {
    this.pos = start
  }

  /** Whether `open` gave it the file. */
  get isOpen(): boolean {
    return this.fd !== undefined
  }

  /** Starts writing what is queued, and what comes after, to `fd`. */
  open(fd: number): void {
    this.fd = fd
    this.next()
  }

  push(chunk: Uint8Array): void {
    this.queue.push(chunk)
    this.queued += chunk.byteLength
    if (!this.busy) this.next()
  }

  /** Stops the writer: what is queued is dropped, a write in flight still completes. */
  fail(e: unknown): void {
    this.failure ??= e
    if (!this.busy) this.wake()
  }

  /**
   * Resolves once everything queued is written, or a write failed; while the file is not open, once it fails. The
   * caller then knows no write is in flight on the descriptor (a closed descriptor's number is reused by the next
   * open). One caller waits at a time (each append loop has one writer and waits on it from one place at a time).
   */
  settled(): Promise<void> {
    // Not writing means settled: a writer that is open, has not failed and has chunks queued always has a write in
    // flight (`push`, `open` and each completed write start the next one).
    if (!this.busy) return SETTLED
    return new Promise<void>((resolve) => {
      this.idle = resolve
    })
  }

  /**
   * Resolves once the write in flight is done and what was queued behind it has gone into the next write (`queued`
   * is 0 again), or a write failed; at once while not writing. The append loops wait on this at their high-water
   * mark, so that the socket is read while that next batch is written: waiting for `settled` there left the disk
   * idle while the socket was read and the socket unread while the disk wrote (issue 17, docs/benchmarks.md). At
   * most two batches are then in memory, as before: one being written, one filling up to the mark (past it by one
   * chunk at most). One caller waits at a time, as for `settled`.
   */
  moved(): Promise<void> {
    if (!this.busy) return SETTLED
    return new Promise<void>((resolve) => {
      this.moving = resolve
    })
  }

  private next(): void {
    const fd = this.fd
    if (fd === undefined || this.failure !== undefined || this.queue.length === 0) {
      this.wake()
      return
    }
    const batch = this.queue
    const n = this.queued
    this.queue = this.spare
    this.queued = 0
    this.busy = true
    try {
      this.write(fd, batch, batch, n, this.pos)
    } catch (e) {
      // writev threw instead of calling back (an invalid argument): fail, rather than stay busy forever.
      this.busy = false
      this.fail(e)
    }
  }

  /** Writes `views` (what is left of `batch`, `left` bytes) at `at`; short writes, rare on regular files, go on. */
  private write(fd: number, batch: Uint8Array[], views: Uint8Array[], left: number, at: number): void {
    writev(fd, views as NodeJS.ArrayBufferView[], at, (e, written) => {
      if (e) {
        this.busy = false
        this.fail(e)
        return
      }
      if (written < left) {
        this.write(fd, batch, unwritten(views, written), left - written, at + written)
        return
      }
      // Written: the kernel has the bytes, so the chunks' memory can go now rather than at the next GC (release.ts).
      if (this.release) for (const chunk of batch) releaseChunk(chunk)
      batch.length = 0
      this.spare = batch
      this.pos = at + left
      this.busy = false
      try {
        this.onWritten?.(this.pos)
      } catch (err) {
        // Not thrown from an fs callback (that would end the process): the append fails with it.
        this.fail(err)
        return
      }
      this.next()
      this.wakeMoved()
    })
  }

  private wake(): void {
    const idle = this.idle
    this.idle = undefined
    idle?.()
    this.wakeMoved()
  }

  private wakeMoved(): void {
    const moving = this.moving
    this.moving = undefined
    moving?.()
  }
}
