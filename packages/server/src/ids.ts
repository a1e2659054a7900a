/**
 * Upload IDs: 144 random bits, base64url (24 characters). Never derived from client input (draft-08 §12: URIs must
 * not leak information; unguessable URIs are RECOMMENDED), and the strict alphabet means an ID can never name a path
 * outside the storage folder.
 */
import { randomFillSync } from 'node:crypto'

export const ID_PATTERN = /^[A-Za-z0-9_-]{24}$/

const ID_BYTES = 18
/**
 * Random bytes for the next 256 IDs, drawn from the CSPRNG at once instead of one call into OpenSSL per ID: 3,000 IDs
 * cost 5–13 ms that way on this machine against 3 ms pooled, and 48 ms of the event loop's thread in a profile of
 * 3,000 held uploads (issue 17). Every byte is used once; Node's `randomUUID` keeps a cache the same way.
 */
const pool = Buffer.alloc(ID_BYTES * 256)
let next = pool.length

export function newUploadId(): string {
  if (next === pool.length) {
    randomFillSync(pool)
    next = 0
  }
  next += ID_BYTES
  return pool.toString('base64url', next - ID_BYTES, next)
}

export function isUploadId(s: string): boolean {
  return ID_PATTERN.test(s)
}
