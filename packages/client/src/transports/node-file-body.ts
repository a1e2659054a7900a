/**
 * Sends a byte range of a file to a Node writable (an http.ClientRequest or an HTTP/2 stream). `fs.ReadStream` reads
 * into a fresh buffer every time and hands it on; here two buffers (64 KiB for HTTP/1.1, 1 MiB for HTTP/2) are reused:
 * one is read while the other is being written, and a buffer is read into again only once the sink's write callback
 * says the socket has taken its bytes. No allocation, no page faults and no garbage per chunk.
 *
 * Reads are synchronous `pread`s on the event loop's thread while they come from the page cache (the usual case for a
 * file just written or read): a thread-pool read costs a hand-off to a worker and a wake-up of the loop per chunk,
 * CPU the server on the same 2-core machine then lacks. Two reads in a row that took longer than SLOW_READ_MS, the
 * second of which slept (a voluntary context switch), waited for the disk: the rest of the range is read through the
 * thread pool, so that the event loop is never held for long. A read that only took long because the thread was
 * preempted (a loaded machine) must not count, as switching would only make every later chunk dearer; the switch
 * count is process-wide (another thread may sleep meanwhile) and page-cache reads do sleep now and then, so one slow
 * read alone is not trusted either: 10 uploads of a cached 512 MiB file on a loaded 2-core VM had 70 reads over 2 ms,
 * 34 of them sleeping, never two in a row (with 1 MiB reads, each judged on its own). Switches are counted only around
 * the read after a slow one: a count is a getrusage of every thread (4 µs here), 66 ms of CPU per GiB when taken
 * around each 64 KiB read (`--cpu-prof` of a 1 GiB upload). So a preempted read followed by a slow read that slept
 * now switches too; that costs CPU (thread-pool reads), never bytes. A cold file whose reads the kernel's read-ahead
 * makes alternately slow and fast never switches; then the loop is held for one 64 KiB read at a time.
 * Measured against curl -T in the client-cpu bench.
 *
 * Only for sinks that are done with a chunk when they call its write callback (node:http requests, node:http2 streams:
 * both hand it to the socket first), which is what makes the reuse safe.
 */
import { close, open, read, readSync } from 'node:fs'
import type { Writable } from 'node:stream'
import type { FileRange } from '../core/types.js'
import { UploadError } from '../errors.js'
import type { BodyHooks } from './node-body.js'

/**
 * Bytes per read (and per write), by transport. Over HTTP/1.1, 64 KiB, as curl writes: in 20 alternating rounds of
 * `scripts/bench/h1-ab.mjs` (1 GiB into `rufh serve` on this 2-core machine), 1 MiB writes reached 0.78× curl's
 * throughput and 64 KiB ones 0.97×, with the server spending 0.74 s of CPU per GiB instead of 0.95; the client's own
 * CPU rose from 0.44 to 0.59 s per GiB (more chunks through the stream machinery). 32 KiB cost 0.71 s for no more
 * speed, 128 KiB gave 0.94×. HTTP/2 cuts the body into 16 KiB frames whatever the write: there 64 KiB writes only
 * added CPU (0.71× curl against 0.91× with 1 MiB, one run of 10 rounds each), so it keeps 1 MiB.
 */
export const HTTP1_READ_SIZE = 1 << 16
export const HTTP2_READ_SIZE = 1 << 20
/** One buffer read while one is written: the socket never waits for the disk when the file is in the page cache. */
const BUFFERS = 2
/** A read slower than this (ms) may have gone to the disk (`readPolicy`). */
const SLOW_READ_MS = 2
/** After this many disk reads in a row, reads leave the event loop's thread. */
export const DISK_READS_TO_SWITCH = 2
/**
 * A write the socket takes at once calls back on the next tick, not from the event loop: after this many bytes
 * sent without the event loop running, the next read waits for it (responses, timers, aborts must get through).
 */
const BYTES_PER_TURN = 4 * 1024 * 1024

/**
 * Whether a synchronous read of `ms` milliseconds came from the disk; `slept()` tells whether the process blocked
 * meanwhile, and is true without a count for the first slow read of a run (only the reads after it are watched).
 * Replaceable by tests, to take the thread-pool path.
 */
export const readPolicy = {
  fromDisk: (ms: number, slept: () => boolean): boolean => ms > SLOW_READ_MS && slept(),
}

/**
 * Starts sending, `readSize` bytes per read (`HTTP1_READ_SIZE`, `HTTP2_READ_SIZE`); returns a function that stops
 * sending (the request is then cut by its caller).
 */
export function sendFileRange(
  range: FileRange,
  sink: Writable,
  what: string,
  hooks: BodyHooks,
  readSize: number,
): () => void {
  const { path, end } = range
  let pos = range.start
  let fd: number | undefined
  let reading = false
  let stopped = false
  let sync = true
  let diskReads = 0
  let sinceTurn = 0
  let waitingTurn = false
  const free: Buffer[] = []
  let allocated = 0

  const fail = (message: string, cause?: unknown) => {
    if (stopped) return
    stop()
    hooks.failed(new UploadError('ERR_SOURCE', `${what}: ${message}`, cause === undefined ? undefined : { cause }))
  }
  const closeFile = () => {
    if (fd === undefined || reading) return
    close(fd, () => {})
    fd = undefined
  }
  const stop = () => {
    stopped = true
    closeFile()
  }
  const nextBuffer = (): Buffer | undefined => {
    const b = free.pop()
    if (b || allocated === BUFFERS) return b
    allocated++
    return Buffer.allocUnsafeSlow(Math.min(readSize, end - range.start))
  }
  const nextTurn = () => {
    waitingTurn = false
    sinceTurn = 0
    pump()
  }

  /** `n` bytes were read into `buf` at `pos`: they go to the sink. Returns false when the sending failed. */
  const got = (buf: Buffer, n: number): boolean => {
    // The file was fingerprinted at this size: fewer bytes mean it shrank under us.
    if (n === 0) {
      fail(`${path} ended ${end - pos} bytes early (it changed during the upload)`)
      return false
    }
    pos += n
    sinceTurn += n
    sink.write(n === buf.byteLength ? buf : buf.subarray(0, n), (e) => {
      // On an error the sink is destroyed and the transport reports why.
      if (e) return
      free.push(buf)
      pump()
    })
    hooks.progress?.(pos - range.start)
    return !stopped
  }

  const pump = () => {
    while (!stopped && !reading && !waitingTurn && fd !== undefined) {
      if (pos >= end) {
        stopped = true
        closeFile()
        hooks.ended()
        sink.end()
        return
      }
      if (sinceTurn >= BYTES_PER_TURN) {
        waitingTurn = true
        setImmediate(nextTurn)
        return
      }
      const buf = nextBuffer()
      if (!buf) return
      const want = Math.min(buf.byteLength, end - pos)
      if (!sync) {
        reading = true
        read(fd, buf, 0, want, pos, (err, n) => {
          reading = false
          if (stopped) return closeFile()
          if (err) return fail(`reading the body failed: ${err.message}`, err)
          if (got(buf, n)) pump()
        })
        return
      }
      const t0 = performance.now()
      // Only a read after a slow one can make the switch, so only its switches are counted (the top comment says why).
      const watched = diskReads > 0
      const v0 = watched ? process.resourceUsage().voluntaryContextSwitches : 0
      let n: number
      try {
        n = readSync(fd, buf, 0, want, pos)
      } catch (err) {
        return fail(`reading the body failed: ${(err as Error).message}`, err)
      }
      // Unwatched (the first slow read of a pair), a slow read counts by its time alone.
      const slept = () => !watched || process.resourceUsage().voluntaryContextSwitches > v0
      diskReads = readPolicy.fromDisk(performance.now() - t0, slept) ? diskReads + 1 : 0
      if (diskReads >= DISK_READS_TO_SWITCH) sync = false
      if (!got(buf, n)) return
    }
  }

  if (end === range.start) {
    hooks.ended()
    sink.end()
    return () => {}
  }
  open(path, 'r', (err, f) => {
    if (err) return fail(`cannot read ${path}: ${err.code ?? err.message}`, err)
    if (stopped) return void close(f, () => {})
    fd = f
    pump()
  })
  return stop
}
