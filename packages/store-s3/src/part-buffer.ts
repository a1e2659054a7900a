/**
 * Bytes held until they make up one part, cut exactly at part boundaries, in temporary files (one per part) rather
 * than in memory: a part waits there until it is sent, and is sent from there (a file stream). Memory per running
 * append is then a few chunks, whatever the part size; temporary disk is at most `PARTS_IN_FLIGHT` + 1 parts per
 * append (append.ts). Held in memory, 100 concurrent 8 MiB uploads waiting on a busy S3 service held
 * 800+ MiB of parts (4.5× @tus/s3-store, which also spools parts to disk; docs/benchmarks.md `s3`).
 *
 * Files are named `rufh-s3-<random>` in the given folder and removed once sent or when the append ends (`discard`).
 */
import { randomUUID } from 'node:crypto'
import { type FileHandle, open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'

/** A full part, or the rest, in its own file. */
export interface SpooledPart {
  path: string
  size: number
}

export class PartBuffer {
  private readonly full: SpooledPart[] = []
  private current: { path: string; fh: FileHandle; size: number } | undefined

  constructor(
    private readonly partSize: number,
    private readonly dir: string,
  ) {}

  /** Bytes held: full parts and the part being filled. */
  get size(): number {
    return this.full.length * this.partSize + (this.current?.size ?? 0)
  }

  async push(chunk: Uint8Array): Promise<void> {
    let at = 0
    while (at < chunk.byteLength) {
      if (!this.current) {
        const path = join(this.dir, `rufh-s3-${randomUUID()}`)
        this.current = { path, fh: await open(path, 'wx', 0o600), size: 0 }
      }
      const c = this.current
      const n = Math.min(chunk.byteLength - at, this.partSize - c.size)
      await c.fh.write(chunk, at, n)
      c.size += n
      at += n
      if (c.size === this.partSize) {
        await c.fh.close()
        this.full.push({ path: c.path, size: c.size })
        this.current = undefined
      }
    }
  }

  /** The oldest full part, if there is one; the caller removes its file (`remove`) once it is sent. */
  takePart(): SpooledPart | undefined {
    return this.full.shift()
  }

  /** The part being filled (fewer than one part's bytes; none while full parts wait), emptying the buffer. */
  async takeRest(): Promise<SpooledPart | undefined> {
    if (this.full.length > 0) throw new Error('PartBuffer: full parts must be taken first')
    const c = this.current
    if (!c) return undefined
    this.current = undefined
    await c.fh.close()
    return { path: c.path, size: c.size }
  }

  /** Removes every file still held (an append that failed, or ended). */
  async discard(): Promise<void> {
    const c = this.current
    this.current = undefined
    if (c) await c.fh.close().catch(() => {})
    const paths = [...this.full.map((p) => p.path), ...(c ? [c.path] : [])]
    this.full.length = 0
    await Promise.all(paths.map(remove))
  }
}

export function remove(path: string): Promise<void> {
  return rm(path, { force: true })
}

export function readPart(p: SpooledPart): Promise<Buffer> {
  return readFile(p.path)
}
