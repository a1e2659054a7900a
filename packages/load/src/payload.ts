/**
 * Upload payloads generated from a seed, as streams, at any offset. Nothing is held per upload: a run keeps one
 * random table (1 MiB + one block) and every 64 KiB block of every upload is a window of it chosen by a hash of
 * (upload seed, block index), stamped with those two numbers. Blocks therefore differ within and across uploads (a
 * server that stores a block at the wrong offset is caught), generation is a memory copy (cheap next to the network),
 * and the verifier recomputes the expected hash from the seed alone.
 */
import { createHash } from 'node:crypto'
import { deriveSeed, mix32, Rng } from './rng.js'

export const BLOCK_SIZE = 64 * 1024
const TABLE_SIZE = 1024 * 1024

export class PayloadSource {
  private readonly table: Buffer

  constructor(runSeed: number) {
    this.table = Buffer.allocUnsafe(TABLE_SIZE + BLOCK_SIZE)
    const rng = new Rng(deriveSeed(runSeed, 0x7ab1e))
    for (let i = 0; i < this.table.length; i += 4) this.table.writeUInt32LE(rng.u32(), i)
  }

  /** Block `index` of the upload with this seed (always BLOCK_SIZE bytes; the caller trims the last one). */
  block(seed: number, index: number): Buffer {
    const start = mix32((seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0) % TABLE_SIZE
    const out = Buffer.allocUnsafe(BLOCK_SIZE)
    this.table.copy(out, 0, start, start + BLOCK_SIZE)
    out.writeUInt32LE((out.readUInt32LE(0) ^ seed) >>> 0, 0)
    out.writeUInt32LE((out.readUInt32LE(4) ^ index) >>> 0, 4)
    return out
  }

  /** Bytes [start, end) of the upload with this seed, in chunks of at most BLOCK_SIZE. */
  *chunks(seed: number, start: number, end: number): Generator<Buffer> {
    let pos = start
    while (pos < end) {
      const index = Math.floor(pos / BLOCK_SIZE)
      const from = pos - index * BLOCK_SIZE
      const to = Math.min(BLOCK_SIZE, end - index * BLOCK_SIZE)
      const b = this.block(seed, index)
      yield from === 0 && to === BLOCK_SIZE ? b : b.subarray(from, to)
      pos += to - from
    }
  }

  /** The hex digest of the whole upload, computed without holding it (yields to the event loop every 16 MiB). */
  async digest(seed: number, size: number, algorithm = 'sha256'): Promise<string> {
    const h = createHash(algorithm)
    let sinceYield = 0
    for (const c of this.chunks(seed, 0, size)) {
      h.update(c)
      sinceYield += c.length
      if (sinceYield >= 16 * 1024 * 1024) {
        sinceYield = 0
        await new Promise((r) => setImmediate(r))
      }
    }
    return h.digest('hex')
  }
}
