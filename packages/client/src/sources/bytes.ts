/** A byte array in memory. Slices are views (`subarray`), never copies. */
import type { Body, Slice, Source } from '../core/types.js'
import { digestHex } from './digest.js'

export function bytesBody(parts: readonly Uint8Array[]): Body {
  const size = parts.reduce((n, p) => n + p.byteLength, 0)
  return {
    size,
    blob: () => new Blob(parts as Uint8Array<ArrayBuffer>[]),
    async *chunks() {
      yield* parts
    },
  }
}

export class BytesSource implements Source {
  readonly seekable = true
  private readonly bytes: Uint8Array

  constructor(data: ArrayBuffer | ArrayBufferView) {
    this.bytes =
      data instanceof Uint8Array
        ? data
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : new Uint8Array(data)
  }

  get size(): number {
    return this.bytes.byteLength
  }

  /** SHA-256 of the content: the same bytes resume the same upload. */
  async fingerprint(): Promise<string | undefined> {
    const hex = await digestHex(this.bytes)
    return hex && `bytes:${this.size}:${hex}`
  }

  async slice(start: number, max: number): Promise<Slice> {
    const end = Math.min(this.size, start + max)
    return { body: bytesBody([this.bytes.subarray(start, end)]), last: end === this.size }
  }

  release(_offset: number): void {}

  async close(): Promise<void> {}
}
