/** Chunks held until they make up one part: at most one part plus one chunk, cut exactly at part boundaries. */
export class PartBuffer {
  private chunks: Uint8Array[] = []
  size = 0

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk)
    this.size += chunk.byteLength
  }

  /** The first `n` bytes (or all of them) as one buffer; the rest stays. */
  take(n = this.size): Buffer {
    const out: Uint8Array[] = []
    let need = Math.min(n, this.size)
    while (need > 0) {
      const c = this.chunks[0] as Uint8Array
      if (c.byteLength <= need) {
        out.push(c)
        this.chunks.shift()
        need -= c.byteLength
        this.size -= c.byteLength
      } else {
        out.push(c.subarray(0, need))
        this.chunks[0] = c.subarray(need)
        this.size -= need
        need = 0
      }
    }
    return Buffer.concat(out)
  }
}
