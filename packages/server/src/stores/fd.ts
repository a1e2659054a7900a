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

export const writevAt = (fd: number, buffers: Uint8Array[], position: number): Promise<number> =>
  call<number>((d) => writev(fd, buffers as NodeJS.ArrayBufferView[], position, d))

export const renamePath = (from: string, to: string): Promise<void> =>
  call<void>((d) => rename(from, to, (e) => d(e, undefined)))

export const syncFd = (fd: number): Promise<void> => call<void>((d) => fsync(fd, (e) => d(e, undefined)))

export const datasyncFd = (fd: number): Promise<void> => call<void>((d) => fdatasync(fd, (e) => d(e, undefined)))

/** Writes every byte of `buffers` at `position` (short writes are rare on regular files; the rest is retried). */
export async function writeAllAt(fd: number, buffers: Uint8Array[], position: number): Promise<void> {
  let pos = position
  let bufs = buffers
  while (bufs.length > 0) {
    const bytesWritten = await writevAt(fd, bufs, pos)
    pos += bytesWritten
    bufs = unwritten(bufs, bytesWritten)
  }
}

/** What a write of `views` that wrote `written` bytes left: the views without their first `written` bytes. */
export function unwritten(views: Uint8Array[], written: number): Uint8Array[] {
  let skip = written
  const rest: Uint8Array[] = []
  for (const v of views) {
    if (skip >= v.byteLength) skip -= v.byteLength
    else {
      rest.push(skip > 0 ? v.subarray(skip) : v)
      skip = 0
    }
  }
  return rest
}
