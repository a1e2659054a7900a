/**
 * Upload IDs: 144 random bits, base64url (24 characters). Never derived from client input (draft-08 §12: URIs must
 * not leak information; unguessable URIs are RECOMMENDED), and the strict alphabet means an ID can never name a path
 * outside the storage folder.
 */
import { randomBytes } from 'node:crypto'

export const ID_PATTERN = /^[A-Za-z0-9_-]{24}$/

export function newUploadId(): string {
  return randomBytes(18).toString('base64url')
}

export function isUploadId(s: string): boolean {
  return ID_PATTERN.test(s)
}
