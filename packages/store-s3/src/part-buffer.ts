/**
 * Bytes held until they make up one part, cut exactly at part boundaries. Each chunk is copied once, as it arrives,
 * into a part-sized buffer, and not kept: a full part is then sent as it is. (Keeping the chunks and joining them
 * when the part was full held every part twice for a while, chunks and joined copy, until the next GC: 451 MiB
 * against 214 MiB for @tus/s3-store with 100 concurrent 8 MiB uploads, docs/benchmarks.md `s3`.) A part buffer is
 * allocated uninitialized, so memory pages a short append never writes are never resident either.
 */
export class PartBuffer {
  private readonly full: Buffer[] = []
  private current: Buffer | undefined
  private filled = 0

  constructor(private readonly partSize: number) {}

  /** Bytes held: full parts and the part being filled. */
  get size(): number {
    return this.full.length * this.partSize + this.filled
  }

  push(chunk: Uint8Array): void {
    let at = 0
    while (at < chunk.byteLength) {
      this.current ??= Buffer.allocUnsafe(this.partSize)
      const n = Math.min(chunk.byteLength - at, this.partSize - this.filled)
      this.current.set(chunk.subarray(at, at + n), this.filled)
      this.filled += n
      at += n
      if (this.filled === this.partSize) {
        this.full.push(this.current)
        this.current = undefined
        this.filled = 0
      }
    }
  }

  /** The oldest full part, if there is one. */
  takePart(): Buffer | undefined {
    return this.full.shift()
  }

  /** The bytes of the part being filled (fewer than one part; none while full parts wait), emptying the buffer. */
  takeRest(): Buffer {
    if (this.full.length > 0) throw new Error('PartBuffer: full parts must be taken first')
    const rest = this.current ? this.current.subarray(0, this.filled) : Buffer.alloc(0)
    this.current = undefined
    this.filled = 0
    return rest
  }
}
