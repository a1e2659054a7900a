/**
 * Reading a small file (the disk store's upload info) in as few system calls as the file allows. Every call is a
 * round trip through libuv's thread pool, and on many held uploads those round trips are most of the server's CPU
 * (issue 17, docs/benchmarks.md): `readFile` makes four or five (open, fstat for the size, read, a read that sees
 * the end, close), this makes three (open, one read, close).
 */
import { closeFd, openFd, readAt } from './fd.js'

const FIRST_READ = 4096

/**
 * The file's text parsed as JSON (by `decode`, which throws on what is not whole); undefined when the file is empty.
 * A read shorter than asked is the end of a regular file; the parse proves it, because the file holds one JSON value
 * (written whole: renamed into place, or in one write, disk-store.ts) and no strict prefix of a JSON object parses.
 * When it does not parse, the rest is read to the end as `readFile` would.
 */
export async function readJsonFile(path: string, decode: (text: string) => unknown = JSON.parse): Promise<unknown> {
  const fd = await openFd(path, 'r')
  try {
    let buf = Buffer.allocUnsafe(FIRST_READ)
    let n = 0
    for (;;) {
      if (n === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2)
        buf.copy(bigger, 0, 0, n)
        buf = bigger
      }
      const bytesRead = await readAt(fd, buf, n, buf.length - n, n)
      n += bytesRead
      if (n === 0) return undefined
      if (bytesRead === 0) return decode(buf.toString('utf8', 0, n))
      if (n < buf.length) {
        const value = parsed(buf.toString('utf8', 0, n), decode)
        if (value !== undefined) return value
      }
    }
  } finally {
    await closeFd(fd)
  }
}

function parsed(text: string, decode: (text: string) => unknown): unknown {
  try {
    return decode(text)
  } catch {
    return undefined
  }
}
