/** tus checksum extension: hash an append's content on its way to the store; undo the append when it mismatches. */
import { createHash } from 'node:crypto'
import { type ChecksumAlgorithm, UnsupportedChecksumError } from '@rufh/protocol'
import type { Ctx } from '../context.js'
import { isTruncatable } from '../stores/store.js'

export interface Checksum {
  tap(chunk: Uint8Array): void
  matches(expected: Uint8Array): boolean
  truncate(id: string, offset: number): Promise<void>
}

export function checksum(ctx: Ctx, algorithm: ChecksumAlgorithm): Checksum {
  const { store } = ctx.cfg
  // Without a way to undo an append, a mismatch could not leave the upload unchanged: refuse up front.
  if (!isTruncatable(store)) throw new UnsupportedChecksumError(algorithm, [])
  const hash = createHash(algorithm)
  return {
    tap: (chunk) => hash.update(chunk),
    matches: (expected) => Buffer.from(expected).equals(hash.digest()),
    truncate: (id, offset) => store.truncate(id, offset),
  }
}
