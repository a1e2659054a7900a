/** A Blob or File: slices are `Blob.slice` (no bytes read until sent), so any size stays out of memory. */
import type { Body, Slice, Source } from '../core/types.js'
import { readWebStream } from './web-stream-reader.js'

export function blobBody(blob: Blob): Body {
  return {
    size: blob.size,
    blob: () => blob,
    chunks: () => readWebStream(blob.stream() as ReadableStream<Uint8Array>),
  }
}

export class BlobSource implements Source {
  readonly seekable = true

  constructor(private readonly blob: Blob) {}

  get size(): number {
    return this.blob.size
  }

  /** Files: name, size, type and modification time. Plain Blobs have no stable identity. */
  async fingerprint(): Promise<string | undefined> {
    const f = this.blob as Blob & { name?: unknown; lastModified?: unknown }
    if (typeof f.name !== 'string' || typeof f.lastModified !== 'number') return undefined
    return `file:${f.name}:${this.blob.size}:${this.blob.type}:${f.lastModified}`
  }

  async slice(start: number, max: number): Promise<Slice> {
    const end = Math.min(this.size, start + max)
    return { body: blobBody(this.blob.slice(start, end)), last: end === this.size }
  }

  release(_offset: number): void {}

  async close(): Promise<void> {}
}
