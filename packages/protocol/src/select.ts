/** Picks the codec for a request from `Upload-Draft-Interop-Version` (draft-01 §A: "Draft Interop Version"). */
import type { Codec, ProtocolCodec } from './codec.js'
import { codecs as allCodecs } from './codecs/index.js'
import { TusVersionError, UnsupportedVersionError } from './errors.js'
import { Field, type HeaderReader } from './fields.js'
import { readInteger } from './sf.js'

export interface Selection {
  codec: ProtocolCodec
  /**
   * Whether the request named this version. Servers MUST NOT send a 104 when the header is missing or names another
   * version (every draft's interop appendix); a request without the header is served with the newest codec but never
   * sees a 104.
   */
  interimAllowed: boolean
  /**
   * Set when the request names an interop version (a valid Integer) that this server does not speak. No draft
   * requires refusing it (they only forbid the 104): a creation is then served as an ordinary, non-resumable upload,
   * and requests to an existing upload are refused with this error (it lists the supported versions).
   */
  unsupported?: UnsupportedVersionError
}

/**
 * `available` lists the draft codecs a server speaks, oldest first (default: all of them); `tus` is the tus 1.0 codec
 * when the server speaks tus too. A request naming an interop version is a draft request; one carrying
 * `Tus-Resumable` is a tus request; one carrying neither is served with the newest draft codec.
 */
export function selectCodec(h: HeaderReader, available: readonly Codec[] = allCodecs, tus?: ProtocolCodec): Selection {
  const sel = selectRequest(h, available, tus)
  if (sel.unsupported) throw sel.unsupported
  return sel
}

/**
 * Like `selectCodec`, but a valid Integer naming a version the server does not speak selects the newest codec
 * (without 104s) and sets `unsupported` instead of throwing; a value that is not an Integer still throws.
 */
export function selectRequest(
  h: HeaderReader,
  available: readonly Codec[] = allCodecs,
  tus?: ProtocolCodec,
): Selection {
  const newest = available[available.length - 1]
  if (!newest) throw new RangeError('no codecs')
  const raw = h.get(Field.interopVersion)
  const tusVersion = h.get('tus-resumable')
  if ((raw === null || raw === undefined) && tus && tusVersion !== null && tusVersion !== undefined) {
    if (tusVersion.trim() !== '1.0.0') throw new TusVersionError(tusVersion)
    return { codec: tus, interimAllowed: false }
  }
  if (raw === null || raw === undefined) return { codec: newest, interimAllowed: false }
  const v = readInteger(raw)
  const supported = available.map((c) => c.interop)
  if (v === undefined) throw new UnsupportedVersionError(raw, supported)
  const codec = available.find((c) => c.interop === v)
  if (!codec) return { codec: newest, interimAllowed: false, unsupported: new UnsupportedVersionError(raw, supported) }
  return { codec, interimAllowed: true }
}
