/**
 * tus discovery announces only what the store can do (as tusd's composer does): each optional extension needs a store
 * capability, recognised by its type guard.
 */
import type { TusExtension } from '@rufh/protocol'
import { isConcatenating, isListable, isTruncatable, type Store } from '../stores/store.js'

export function tusExtensions(store: Store): TusExtension[] {
  const out: TusExtension[] = ['creation', 'creation-with-upload', 'creation-defer-length']
  // Every store can remove an upload (`Store.remove`).
  out.push('termination')
  // Expired uploads are removed by a sweep over the store's uploads.
  if (isListable(store)) out.push('expiration')
  // A mismatching checksum must leave the upload unchanged: the append is cut back off.
  if (isTruncatable(store)) out.push('checksum')
  if (isConcatenating(store)) out.push('concatenation')
  return out
}
