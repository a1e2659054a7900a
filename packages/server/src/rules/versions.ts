/**
 * Requests naming an interop version this server does not speak (draft-01 §A ff.: such a server sends no 104, and
 * nothing requires a refusal). A creation is served as an ordinary upload (procedures/create.ts); any request to an
 * existing upload, and discovery, is refused with the supported versions, so that a client can step down.
 */
import type { Selection } from '@rufh/protocol'

export function refuseUnsupportedVersion(sel: Selection): void {
  if (sel.unsupported) throw sel.unsupported
}
