/**
 * The few file-system calls the disk store makes per request, on plain file descriptors through node:fs's callback
 * API. Each is one round trip through libuv's thread pool either way, but `node:fs/promises` wraps every descriptor
 * in a `FileHandle` (an object with a GC finalizer, closed through its own promise chain): measured on this machine,
 * open + fstat + close cost 23–47 µs of CPU that way against 9–32 µs here, and on many held uploads these calls are
 * most of the server's CPU (issue 17, docs/benchmarks.md). A descriptor opened here must be closed by its opener.
 */
import { close, fdatasync, fstat, fsync, open, read, rename, stat, writev } from 'node:fs'

type Done<T> = (e: NodeJS.ErrnoException | null, value: T) => void

function call<T>(start: (done: Done<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((e, value) => (e ? reject(e) : resolve(value))))
}

export const openFd = (path: string, flags: string): Promise<number> => call<number>((d) => open(path, flags, d))

export const closeFd = (fd: number): Promise<void> => call<void>((d) => close(fd, (e) => d(e, undefined)))

export const fdSize = (fd: number): Promise<number> => call<number>((d) => fstat(fd, (e, s) => d(e, s?.size)))

export const pathSize = (path: string): Promise<number> => call<number>((d) => stat(path, (e, s) => d(e, s?.size)))

export const readAt = (fd: number, buf: Buffer, at: number, length: number, position: number): Promise<number> =>
  call<number>((d) => read(fd, buf, at, length, position, d))

export const renamePath = (from: string, to: string): Promise<void> =>
  call<void>((d) => rename(from, to, (e) => d(e, undefined)))

export const syncFd = (fd: number): Promise<void> => call<void>((d) => fsync(fd, (e) => d(e, undefined)))

export const datasyncFd = (fd: number): Promise<void> => call<void>((d) => fdatasync(fd, (e) => d(e, undefined)))

/**
 * Writes every byte of `buffers` at `position` (short writes are rare on regular files; the rest is retried). One
 * promise for the whole write, settled from the write's own callback: this is on the path of every body chunk, and
 * an async loop over `writevAt` costs two more promises, three closures and an array per chunk (issue 17).
 */
export function writeAllAt(fd: number, buffers: Uint8Array[], position: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let bufs = buffers
    let pos = position
    const written = (e: NodeJS.ErrnoException | null, bytes: number): void => {
      if (e) {
        reject(e)
        return
      }
      pos += bytes
      bufs = unwritten(bufs, bytes)
      if (bufs.length === 0) resolve()
      else next()
    }
    // A throw of writev itself (an argument it refuses) rejects, as it did from an async function.
    const next = (): void => {
      try {
        writev(fd, bufs as NodeJS.ArrayBufferView[], pos, written)
      } catch (e) {
        reject(e)
      }
    }
    if (bufs.length === 0) resolve()
    else next()
  })
}

/** What of `bufs` is left after `bytes` of them were written (empty buffers count as written). */
function unwritten(bufs: Uint8Array[], bytes: number): Uint8Array[] {
  let skip = bytes
  let i = 0
  while (i < bufs.length && skip >= (bufs[i] as Uint8Array).byteLength) {
    skip -= (bufs[i] as Uint8Array).byteLength
    i++
  }
  if (i === bufs.length) return []
  const rest = bufs.slice(i)
  if (skip > 0) rest[0] = (rest[0] as Uint8Array).subarray(skip)
  return rest
}
