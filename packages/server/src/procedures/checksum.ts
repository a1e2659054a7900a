/**
 * tus checksum extension: hash an append's content on its way to the store; undo the append when it mismatches.
 *
 * Crash safety: the bytes reach the store before their digest can be checked, so the offset the append started at is
 * recorded first (the upload's `checkpoint`) and cleared only once the digest matched or the bytes were cut back. A
 * kill -9 anywhere in between leaves the checkpoint, and the next read of the upload (`rollBack`, from settle.ts and
 * append.ts, under the upload's lease) cuts the unverified bytes off: the offset is again the one acknowledged before
 * the checksummed PATCH, and no unverified byte can be completed or served.
 */
import { createHash } from 'node:crypto'
import { type ChecksumAlgorithm, UnsupportedChecksumError } from '@rufh/protocol'
import type { Ctx } from '../context.js'
import { isTruncatable, type Store, type UploadInfo } from '../stores/store.js'

export interface Checksum {
  tap(chunk: Uint8Array): void
  matches(expected: Uint8Array): boolean
  /** Records the checkpoint (durably, before any byte is stored). */
  begin(): Promise<void>
  /** The digest matched: the bytes are the upload's. */
  commit(): Promise<void>
  /** A mismatch or a cut body: back to the checkpoint, which is then cleared. */
  undo(): Promise<void>
}

export function checksum(ctx: Ctx, algorithm: ChecksumAlgorithm, id: string, start: number): Checksum {
  const { store } = ctx.cfg
  // Without a way to undo an append, a mismatch could not leave the upload unchanged: refuse up front.
  if (!isTruncatable(store)) throw new UnsupportedChecksumError(algorithm, [])
  const hash = createHash(algorithm)
  return {
    tap: (chunk) => hash.update(chunk),
    matches: (expected) => Buffer.from(expected).equals(hash.digest()),
    begin: async () => {
      await store.update(id, { checkpoint: start })
    },
    commit: async () => {
      await store.update(id, { checkpoint: undefined })
    },
    undo: async () => {
      await store.truncate(id, start)
      await store.update(id, { checkpoint: undefined })
    },
  }
}

/**
 * An upload read with a checkpoint is one a crash left in the middle of a checksummed append (a running append holds
 * the lease the caller holds now, and clears its checkpoint before releasing it): its unverified bytes are cut off.
 */
export async function rollBack(store: Store, info: UploadInfo): Promise<UploadInfo> {
  const at = info.checkpoint
  if (at === undefined || !isTruncatable(store)) return info
  // Never past the data: a checkpoint is at most the offset (truncating past the end would add zeros).
  if (info.offset > at) await store.truncate(info.id, at)
  return store.update(info.id, { checkpoint: undefined })
}
